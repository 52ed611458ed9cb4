"""The emergency rules (service/answering/alarm_rules.py) and the emergency reply (replies.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from service.answering.alarm_rules import Emergency, detect_emergency
from service.answering.replies import emergency_message

EMERGENCIES: list[tuple[str, str]] = [
    # cardiac
    ("I have chest pain", "cardiac"),
    ("chest pains for the last 20 minutes", "cardiac"),
    ("there is a pain in my chest and my left arm", "cardiac"),
    ("my chest feels tight and heavy", "cardiac"),
    ("crushing chest", "cardiac"),
    ("i think im having a heart attack", "cardiac"),
    ("help heart attack", "cardiac"),
    ("my chest hurts so much", "cardiac"),
    ("i had a heart attack 3 years ago and now i have chest pain again", "cardiac"),
    # stroke
    ("my dads face is drooping", "stroke"),
    ("face drooping on the left", "stroke"),
    ("his speech is slurred", "stroke"),
    ("slurred speech and confusion", "stroke"),
    ("i'm numb on one side", "stroke"),
    ("i cant lift my arm", "stroke"),
    ("i think im having a stroke", "stroke"),
    ("stroke symptoms right now", "stroke"),
    ("is this a stroke", "stroke"),
    ("i had a stroke years ago and now my face is drooping again", "stroke"),
    ("my mom is a stroke survivor and now her speech is slurred again", "stroke"),
    # breathing, including a possible collapsed lung after needling
    ("i cant breathe", "breathing"),
    ("cant breath", "breathing"),
    ("I can not breath!!", "breathing"),
    ("I CAN'T BREATHE", "breathing"),
    ("i can\u2019t breathe", "breathing"),
    ("my husband is not breathing", "breathing"),
    ("the baby stopped breathing", "breathing"),
    ("struggling to breathe", "breathing"),
    ("im short of breath after acupuncture", "breathing"),
    ("feeling breathless since my session", "breathing"),
    ("difficulty breathing after the needles", "breathing"),
    ("sharp pain in my chest after acupuncture", "breathing"),
    ("trouble breathing since my session", "breathing"),
    ("after acupuncture i have a sharp pain in my chest", "breathing"),
    ("please help with my shortness of breath after the needles", "breathing"),
    ("i think i have a collapsed lung", "breathing"),
    ("i have asthma and i'm struggling to breathe", "breathing"),
    # suicide and overdose
    ("i feel suicidal", "suicide"),
    ("i want to kill myself", "suicide"),
    ("i keep thinking about killing myself", "suicide"),
    ("i want to end my life", "suicide"),
    ("i just want to die", "suicide"),
    ("i dont want to live anymore", "suicide"),
    ("i have been self harming again", "suicide"),
    ("i want to hurt myself", "suicide"),
    ("i took too many pills", "overdose"),
    ("i think i overdosed", "overdose"),
    # bleeding
    ("its bleeding a lot", "bleeding"),
    ("the needle site won't stop bleeding", "bleeding"),
    ("the bleeding wont stop", "bleeding"),
    ("he is bleeding heavily", "bleeding"),
    ("there is lots of blood", "bleeding"),
    ("coughing up blood since my session", "bleeding"),
    # anaphylaxis
    ("i think its anaphylaxis", "anaphylaxis"),
    ("anaphylactic reaction", "anaphylaxis"),
    ("my throat is swelling", "anaphylaxis"),
    ("throat closing", "anaphylaxis"),
    ("my lips are swelling up", "anaphylaxis"),
    ("tongue swelling", "anaphylaxis"),
    ("allergic reaction and i cant breathe properly", "anaphylaxis"),
    ("having an allergic reaction, my face is swollen", "anaphylaxis"),
    # unconscious
    ("she is unconscious", "unconscious"),
    ("he passed out and wont wake up", "unconscious"),
    ("my husband is not responsive", "unconscious"),
    ("hes unresponsive", "unconscious"),
    ("help my dad collapsed", "unconscious"),
    # seizure
    ("my son is having a seizure", "seizure"),
    ("she is fitting", "seizure"),
    ("he's convulsing", "seizure"),
    ("my son just had his first seizure", "seizure"),
    # poisoning
    ("my toddler swallowed bleach", "poisoning"),
    ("i think i was poisoned", "poisoning"),
    # any medicine in a quantity nobody takes
    ("i swallowed a whole packet of nurofen an hour ago", "overdose"),
    ("my sister took 30 of her anxiety tablets", "overdose"),
    ("downed about 25 paracetamol because of the toothache", "overdose"),
    # a head injury getting worse
    ("my daughter banged her head on the pool edge and now she keeps vomiting", "head_injury"),
    ("he hit his head on the ice and he is really confused", "head_injury"),
    ("i was knocked out for a few seconds at football", "head_injury"),
    # cauda equina
    ("my lower back is agony and i cant control my bladder since this morning", "spinal"),
    ("numbness around my groin and buttocks with this back pain", "spinal"),
    ("both my legs are giving way and my back is really bad", "spinal"),
    # a clot after surgery or a flight
    ("my calf has been swollen and red since the flight and now i get breathless on the stairs", "blood_clot"),
    # a spreading infection
    ("my cheek is so swollen it has closed my eye and i have a temperature", "infection_spreading"),
    ("the swelling from my gum is moving down into my neck", "infection_spreading"),
    # severe injuries
    ("my husband fell off the ladder and the bone is poking through his skin", "severe_injury"),
    ("got hit in the face with a bat and i think my jaw is dislocated", "severe_injury"),
    ("oven cleaner got into my eyes", "severe_injury"),
    ("a grey shadow is coming across the vision in my right eye", "severe_injury"),
    ("a metal splinter is lodged in my eye", "severe_injury"),
    ("my daughter tripped at netball and her permanent front tooth got knocked clean out", "severe_injury"),
    ("he fell off his bike and knocked out an adult tooth, we have it in milk", "severe_injury"),
    ("a tooth fell out whole with the root after he was hit by a cricket ball", "severe_injury"),
]

NON_EMERGENCIES: list[str] = [
    "my 3 year old knocked out a baby tooth on the coffee table, should we come in",
    "my little girls wobbly baby tooth came out whole this morning",
    "what should we do if our son ever knocks out an adult tooth at hockey",
    "can acupuncture help with stroke rehabilitation?",
    "i had a heart attack 3 years ago, is acupuncture safe for me?",
    "my father had a stroke last year, can you treat him?",
    "does cupping make you bleed?",
    "is it normal to bleed a little after needles?",
    "a small drop of blood after the needle came out, is that ok?",
    "will i faint?",
    "can acupuncture help with anxiety and breathing exercises?",
    "does it hurt?",
    "what is qi?",
    "my upper back is killing me",
    "this back pain is killing me",
    "i'm dying to try cupping",
    "can acupuncture help asthma?",
    "does acupuncture help chest tightness from stress",
    "can acupuncture cause a collapsed lung?",
    "does acupuncture cause pneumothorax?",
    "can acupuncture help with shortness of breath from asthma?",
    "i get breathless when i run, can acupuncture help?",
    "i hurt myself at the gym, can you help?",
    "i cut myself shaving",
    "my dad has slurred speech since his stroke, can acupuncture help?",
    "my mum is a stroke survivor with weakness on one side",
    "is acupuncture safe after a heart attack?",
    "can acupuncture prevent a stroke?",
    "can acupuncture cause a stroke?",
    "my heart attack was in 2015, can i have acupuncture?",
    "i cant breathe through my nose because of allergies",
    "i cant lift my arm above my head, frozen shoulder",
    "do you lose a lot of blood with wet cupping?",
    "can acupuncture help heavy bleeding during periods?",
    "i have a history of seizures, is acupuncture ok?",
    "i was diagnosed with bells palsy, my face is drooping on the left, can you help?",
    "could i get anaphylaxis from the needles?",
    "can you fit me in tomorrow?",
    "i have food poisoning, should i cancel?",
    "i don't want to die from a collapsed lung, is acupuncture safe?",
    "can you overdose on chinese herbs?",
    "what are the signs of a stroke?",
    "i fainted after my last session, is that normal?",
    "my stomach is killing me",
    "",
    "it took 20 minutes to get numb",
    "my toddler knocked his baby tooth out on the table, what do i do",
    "can physio help me walk again after a broken hip",
    "i fractured my wrist last year and it is still stiff",
    "will my cheek be swollen after the implant surgery?",
    "is it normal for my leg to be swollen two weeks after the knee replacement?",
    "i hit my head on the cupboard yesterday, it is a bit sore but i feel fine",
    "what are the warning signs of a detached retina?",
]


@pytest.mark.parametrize(("message", "kind"), EMERGENCIES)
def test_detects_emergency(message: str, kind: str) -> None:
    found = detect_emergency(message)
    assert found is not None, message
    assert found.kind == kind, (message, found)
    assert found.matched  # the triggering span is reported


@pytest.mark.parametrize("message", NON_EMERGENCIES)
def test_ignores_non_emergency(message: str) -> None:
    assert detect_emergency(message) is None


def test_lists_are_big_enough() -> None:
    assert len(EMERGENCIES) >= 40
    assert len(NON_EMERGENCIES) >= 25


def test_history_suppresses_only_what_it_overlaps() -> None:
    found = detect_emergency("I had a stroke years ago and now my face is drooping again")
    assert found == Emergency(kind="stroke", matched="face is drooping")


@pytest.mark.parametrize("kind", ["cardiac", "stroke", "breathing", "bleeding", "seizure"])
def test_message_starts_with_call_instruction(kind: str) -> None:
    text = emergency_message(kind, "911")
    assert text.startswith("This sounds like a medical emergency. Call 911 now")
    assert "Do not wait for a reply" in text
    assert "988" not in text


def test_suicide_message_mentions_988_in_us() -> None:
    text = emergency_message("suicide", "911")
    assert text.startswith(
        "If you are thinking about ending your life or are in crisis, call 911 now"
    )
    assert "call or text 988" in text


def test_custom_number_replaces_911_and_drops_988() -> None:
    for kind in ["suicide", "cardiac", "overdose"]:
        text = emergency_message(kind, "112")
        assert "112" in text
        assert "911" not in text
        assert "988" not in text


def test_clinic_name_is_mentioned() -> None:
    text = emergency_message("cardiac", "999", clinic_name="Willow Acupuncture")
    assert text.startswith("This sounds like a medical emergency. Call 999 now")
    assert "Willow Acupuncture" in text


def test_safety_module_is_stdlib_only() -> None:
    source = Path(__file__).resolve().parents[1] / "service" / "answering" / "alarm_rules.py"
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "re", "dataclasses"}
