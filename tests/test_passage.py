"""Passages from the clinic's real articles: sections, lists with lead-ins, no promotions."""
from __future__ import annotations

from pathlib import Path

import pytest

from index.readers import read_article
from index.passage import LIST_MAX_WORDS, MAX_WORDS, split_article
from index.promo import is_promotional
from index.sentences import split_sentences

ROOT = Path(__file__).resolve().parent.parent
RELIEVING = ROOT / "corpus" / "relieving-upper-back-pain-with-acupuncture.txt"
NATURALLY = ROOT / "corpus" / "acupuncture-upper-back-pain-naturally.txt"


def test_headings_are_context_not_passages() -> None:
    passages = split_article(read_article(RELIEVING))
    headings = {"The Science Behind Acupuncture for Upper Back Pain", "What to Expect During an Acupuncture Session",
                "The Traditional Chinese Medicine Perspective", "Final Thoughts"}
    assert headings <= {p.section for p in passages}
    for p in passages:
        assert p.text not in headings
        assert all(s not in headings for s in p.sentences)
    sessions = next(p for p in passages if "Sessions typically last" in p.text)
    assert sessions.section == "What to Expect During an Acupuncture Session"
    assert sessions.embed_text.startswith(sessions.title)


def test_list_stays_with_its_lead_in() -> None:
    passages = split_article(read_article(RELIEVING))
    science = next(p for p in passages if "Pain Modulation:" in p.text)
    assert science.sentences[0].startswith("Modern research has shown")
    assert science.sentences[0].endswith("mechanisms:")
    assert len(science.item_starts) == 5
    assert "\n- Pain Modulation:" in science.text
    assert science.unit_of(0) == 0 and science.unit_of(science.item_starts[-1]) == 5


def test_passages_know_where_they_come_from() -> None:
    article = read_article(NATURALLY)
    passages = split_article(article)
    assert [p.position for p in passages] == list(range(len(passages)))
    for p in passages:
        assert p.article_id == "acupuncture-upper-back-pain-naturally"
        assert p.passage_id == f"{p.article_id}#{p.position}"
        assert p.title == "Can Acupuncture Reduce Upper Back Pain Naturally?"
        assert len(p.text.split()) <= (LIST_MAX_WORDS if p.item_starts else MAX_WORDS + 40)


@pytest.mark.parametrize(
    ("path", "kept"),
    [(RELIEVING, "acupuncture may be a great addition to your toolbox."),
     (NATURALLY, "In conclusion, acupuncture can be a valuable tool")],
)
def test_promotions_never_reach_a_passage(path: Path, kept: str) -> None:
    text = " ".join(p.text for p in split_article(read_article(path)))
    for banned in ("BOOK A FREE DISCOVERY CALL", "Instagram", "@pokedbydee", "Balmorex", "Learn more about Dee"):
        assert banned not in text
    assert kept in text  # the paragraph around a plug stays


@pytest.mark.parametrize(
    ("sentence", "promo"),
    [
        ("BOOK A FREE DISCOVERY CALL WITH DEE", True),
        ("Follow us on Instagram @exampleclinic for weekly self-care tips!", True),
        ("For more insights on natural solutions for health, check out products like Balmorex Pro.", True),
        ("Learn more about Dee and her practice HERE", True),
        ("Sign up for our newsletter.", True),
        ("Sessions typically last 30–60 minutes.", False),
        ("Cupping should not be painful.", False),
        ("Please call the clinic if soreness lasts more than three days.", False),
        ("Here is what to expect.", False),
        ("TCM sees health as a balance between Yin and Yang.", False),
    ],
)
def test_promotion_detection(sentence: str, promo: bool) -> None:
    assert is_promotional(sentence) is promo


def test_sentence_split_keeps_every_character() -> None:
    text = ("Sessions typically last 30–60 minutes, e.g. with Dr. Lee. Is your pain worse in the winter? "
            "This might be because there is an excess of Cold in the body.")
    sentences = split_sentences(text)
    assert sentences == [
        "Sessions typically last 30–60 minutes, e.g. with Dr. Lee.",
        "Is your pain worse in the winter?",
        "This might be because there is an excess of Cold in the body.",
    ]
    assert " ".join(sentences) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bring a towel, a drink, etc. The session lasts an hour.",
         ["Bring a towel, a drink, etc.", "The session lasts an hour."]),
        ("Prof. Chen will see you first.", ["Prof. Chen will see you first."]),
        ("It costs $1.50 a day. Ask us.", ["It costs $1.50 a day.", "Ask us."]),
    ],
)
def test_sentence_split_knows_abbreviations(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("sentence", "promo"),
    [
        ("Ready to book?", True),
        ("Call (555) 014-2200 or book online at clinic.test.", True),
        ("Book now!", True),
        ("Our patients swear by the CoolCalm wrap; ask for one at the front desk.", True),
        ("Many patients love BrightMint toothpaste, now available at our front desk.", True),
        ("Get 10% off your first visit with code SMILE.", True),
        ("Tag us on TikTok and show us your smile!", True),
        ("You can book your first visit online or by phone.", False),
        ("Book morning appointments when your child is well rested.", False),
        ("Call us if you have a fever or the swelling spreads.", False),
        ("Go to the emergency department right away, or call 911 now.", False),
        ("We love seeing kids at the clinic.", False),
    ],
)
def test_calls_to_action_are_recognised_in_general(sentence: str, promo: bool) -> None:
    assert is_promotional(sentence) is promo


def test_a_table_row_is_a_passage_of_its_own() -> None:
    from index.document import Article, Block, Section

    article = Article("fees", "Fees", (Section("Our fees", (
        Block("Below are our fees."), Block("Porcelain crown: $1,200.", is_row=True),
        Block("Sealants: $55 per tooth.", is_row=True))),))
    passages = split_article(article)
    assert [(p.sentences, p.row) for p in passages] == [
        (("Below are our fees.",), False), (("Porcelain crown: $1,200.",), True),
        (("Sealants: $55 per tooth.",), True)]
    assert all(p.section == "Our fees" for p in passages)
