"""Spot patient messages that describe an emergency, before any answering.

The bot quotes the clinic's articles; someone typing "cant breathe since my
session" must be told to call the emergency number, not handed an article.
This is deliberately plain ``re`` (no model, no web framework): it is
deterministic, instant, testable, and runs before retrieval.

How it works:
* ``_normalise`` lowercases, drops apostrophes and punctuation and joins
  "can not"/"cannot" into "cant", so each pattern needs one spelling only.
* ``_PATTERNS`` is a table of (kind, regex). The first kind in table order
  with a live match wins, so the more specific kinds sit first (anaphylaxis
  before breathing, a lung injury after needles before chest pain).
* ``_SUPPRESSORS`` describe the past ("had a stroke", "years ago"), general
  questions ("can acupuncture cause a stroke") and look-alikes ("cant breathe
  through my nose"). One cancels only the matches whose span it overlaps, so
  "i had a stroke years ago and now my face is drooping" is still a stroke.
Safety first: when unsure (any chest pain, any mention of suicide) we flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Emergency", "detect_emergency"]


@dataclass(frozen=True)
class Emergency:
    kind: str  # "cardiac" | "stroke" | "breathing" | "suicide" | "bleeding" | "anaphylaxis" | ...
    matched: str  # the span of the normalised message that triggered it


# --- shared fragments -------------------------------------------------------
_BREATHE = r"br(?:ea|e|ae)th(?:e|ing|in|eing)?"  # breathe/breath/breth/breathing
_WHO = r"(?:my|his|her|their|the)"
_SEIZURE = r"s(?:ei|ie|e)z(?:ure|er)s?"  # seizure, siezure, seizer
_NEEDLES = r"(?:ac+up\w*|needl\w*|session|treatment|appointment|cupping|dry needling)"
# Symptoms after needling can mean a collapsed lung (pneumothorax).
_NEEDLE_CTX = rf"(?:after|since|following|from|during)\s+(?:(?:my|the|a|an|this|that|todays|yesterdays|last|your)\s+)*{_NEEDLES}"
_LUNG_SYMPTOM = (
    rf"(?:sharp\s+|stabbing\s+)?(?:chest pains?|pains? in {_WHO} chest|chest (?:hurts|is hurting)"
    rf"|short(?:ness)? of {_BREATHE}|breathless\w*|cant {_BREATHE}"
    rf"|(?:trouble|difficulty|struggling|hard) (?:to )?{_BREATHE})"
)
# Named events that people also mention as history or as a general question.
_EVENT_CORE = (
    rf"(?:heart att?acks?|strokes?|{_SEIZURE}|fits|convulsions?|anaphyla\w+|overdoses?"
    r"|cardiac arrests?|collapsed lung|punctured lung|pneumothorax|suicide attempts?|allergic reactions?)"
)
_EVENT = rf"(?:(?:a|an|my|his|her|their|the|mild|minor|major|massive|small|big|bad|first|second)\s+){{0,3}}{_EVENT_CORE}"
# Milder symptoms that also appear in "can acupuncture help ..." questions.
_MILD = (
    r"(?:short(?:ness)? of breath|breathless(?:ness)?|(?:difficulty|trouble|problems?) breathing"
    r"|chest tightness|tight(?:ness in (?:the|my))? chest|heavy bleeding)"
)
# Words around quantities and head injuries, for the overdose and head-injury rules.
_ABOUT = r"(?:like|about|around|maybe|over|at least|almost|nearly)"
_NOT_PILLS = (r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|seconds?|secs?|steps?|photos?|pictures?|times?"
              r"|tries|goes|shots?|breaths?|laps?|miles?|km|kilometers?|meters?|feet|pounds?|lbs?|kg|kilos?|dollars?"
              r"|bucks?|percent|people|patients?|sessions?|visits?|questions?|calls?)\b")
_HEAD_RED_FLAG = (r"(?:knocked out|passed out|blacked out|unconscious|vomit\w*|throw\w* up|threw up|puk\w*|confus\w*"
                  r"|drowsy|cant stay awake|wont stay awake|seizure|fitting|clear fluid|worse|worst)\b")
# A word that may sit in a history window; "now"/"again" start a present-tense clause.
_PAST_WORD = r"(?!(?:now|again|suddenly|today|tonight)\b)\w+"
# Words allowed between "help"/"treat" and the symptom in a treatment question.
_FILLER = r"(?:\s+(?:with|for|my|the|chronic|mild|of|on|your|anxiety|stress|and|related|people|who|have|get))"
_WORDS_BEFORE = rf"(?:\b{_PAST_WORD}\s+){{0,3}}"  # a few words before a history phrase

# --- (kind, regex) table: order is priority ---------------------------------
# One pattern a line keeps the table readable, so the formatter is kept off it.
# fmt: off
_PATTERN_TABLE: tuple[tuple[str, str], ...] = (
    ("suicide", r"\bsui?c?id(?:e|al)\w*\b|\bkill(?:ing)?\s+my\s*self\b|\bself\s*harm\w*\b"),
    ("suicide", r"\bend(?:ing)?\s+(?:my|his|her)\s+(?:own\s+)?life\b|\bend it all\b|\btake my (?:own )?life\b"),
    ("suicide", r"(?<!dont )\b(?:want|wanna|wanting|ready)\s+(?:to\s+)?die\b|\bwish i (?:was|were) dead\b|\bbetter off dead\b"),
    ("suicide", r"\bdont\s+want\s+to\s+(?:live|be alive|exist|wake up|be here anymore)\b|\bno reason to live\b"),
    # "i hurt myself at the gym" is an injury, so hurting needs intent words.
    ("suicide", r"\b(?:want|wanna|going|gonna|urges?|thinking (?:about|of)|thoughts of|tempted)\s+(?:to\s+)?(?:hurt|harm|cut)\w*\s+my\s*self\b"),
    ("suicide", r"\b(?:cutting|harming)\s+my\s*self\b"),
    ("overdose", r"\boverdos\w*\b"),
    ("overdose", r"\b(?:took|taken|swallowed)\s+(?:way\s+)?(?:too many|too much|a (?:whole\s+)?(?:bottle|handful|packet|box) of|every|all (?:of\s+)?(?:my|the|his|her))\s+(?:\w+\s+)?(?:pills|tablets|meds|medications?|medicines?|painkillers|paracetamol|tylenol|ibuprofen|insulin)\b"),
    # Any medicine in a quantity nobody takes: "a whole bottle of advil", "20 of my sleeping pills", "about 20 tylenol".
    ("overdose", r"\b(?:took|taken|swallowed|ate|eaten|had|downed)\s+(?:a\s+|an\s+|the\s+)?(?:whole|entire|full|half (?:a|the))\s+(?:bottle|packet|pack|box|strip|sheet|tub|container|jar|blister)\b"),
    ("overdose", rf"\b(?:took|taken|swallowed|ate|eaten|downed)\s+(?:{_ABOUT}\s+)?(?:\d{{2,}}|a dozen|dozens|ten|twelve|fifteen|twenty|thirty|forty|fifty)\s+(?:of\s+(?:my|his|her|their|the|those|these|mums?|moms?|dads?)\s+\w+|(?!{_NOT_PILLS})[a-z]+)"),
    # A head injury that is getting worse: knocked out, vomiting, confused, drowsy, a seizure, fluid from the nose.
    ("head_injury", rf"\b(?:hit|banged|bumped|smacked|cracked|knocked|struck|whacked|hurt|injured)\s+(?:my|his|her|their|the|our)\s+head\b(?:\s+\w+){{0,25}}?\s+{_HEAD_RED_FLAG}"),
    ("head_injury", r"\b(?:i|he|she|they|we|you)\s+(?:was|were|got|been|are|is)\s+knocked (?:out|unconscious)\b|\b(?:knocked out|blacked out|passed out)\b(?:\s+\w+){0,20}?\s+(?:vomit\w*|throw\w* up|threw up|puk\w*|confus\w*)"),
    ("head_injury", rf"\b(?:after|since)\s+(?:he|she|i|they)?\s*(?:hitting|banging|bumping|hit|banged|bumped)\s+(?:my|his|her|their)\s+head\b(?:\s+\w+){{0,15}}?\s+{_HEAD_RED_FLAG}"),
    # Cauda equina: bladder or bowel control lost, numbness in the saddle area, both legs weak.
    ("spinal", r"\b(?:cant|unable to|no longer|couldnt)\s+(?:control|hold)\s+(?:my\s+|his\s+|her\s+)?(?:bladder|bowels?|pee|wee|urine|poo)\b|\b(?:lost|losing|loss of|no)\s+(?:my\s+)?(?:bladder|bowel)\s+control\b|\b(?:lost|losing|loss of)\s+control\s+(?:of|over)\s+(?:my\s+|his\s+|her\s+)?(?:bladder|bowels?)\b"),
    ("spinal", r"\bnumb(?:ness)?\s+(?:\w+\s+){0,3}?(?:groin|saddle|genitals?|private parts|between (?:my|his|her) legs|buttocks|inner thighs?|down there)\b|\bcant feel\s+(?:\w+\s+){0,4}?(?:groin|genitals?|down there|when i wipe|between my legs)\b"),
    ("spinal", r"\bboth (?:my\s+|his\s+|her\s+)?legs\s+(?:are\s+|feel\s+|keep\s+|have\s+|suddenly\s+)?(?:gone\s+|going\s+)?(?:weak|numb|giving way|giving out|collaps\w*|dead)\b"),
    # A clot: a swollen, hot or painful calf or leg, then breathlessness or chest pain.
    ("blood_clot", r"\b(?:calf|leg|thigh)\b(?:\s+\w+){0,8}?\s+(?:swollen|swelling|hot|red|warm|tender|painful)\b(?:\s+\w+){0,15}?\s+(?:breath\w*|chest|cough\w* (?:up )?blood)"),
    # An infection spreading: facial or neck swelling reaching the eye, neck or throat, or with a fever.
    ("infection_spreading", r"\b(?:face|cheek|jaw|neck|gum|mouth|eye)s?\s+(?:is\s+|are\s+|has\s+|have\s+|got\s+|getting\s+|keeps\s+)?(?:all\s+|so\s+|really\s+|very\s+)?(?:swollen|swelling|puffed|blown up|swelled)\b(?:\s+\w+){0,12}?\s+(?:eye|eyes|neck|throat|fever|temperature|swallow\w*)\b"),
    ("infection_spreading", r"\bswell\w*\s+(?:\w+\s+){0,5}?(?:spread\w*|moving|going|reaching|up to|down to|into)\s+(?:(?:to|into|up|down|towards)\s+){0,2}(?:my\s+|his\s+|her\s+|the\s+)?(?:eye|eyes|neck|throat)\b"),
    # Severe injuries: a bone through the skin, a broken jaw or neck, a chemical or an object in the eye, sight lost.
    ("severe_injury", r"\bbones?\s+(?:is\s+|are\s+)?(?:sticking|poking|coming)\s+(?:out|through)\b|\b(?:arm|leg|wrist|ankle|finger|elbow|knee)\s+(?:is\s+)?bent\s+the wrong way\b"),
    ("severe_injury", r"\b(?:my|his|her)\s+(?:jaw|neck|skull|pelvis|hip|femur|thigh bone)\s+(?:is|might be|may be|could be|feels|looks)\s+(?:broken|dislocated|fractured)\b|\b(?:broke|broken|fractured|dislocated)\s+(?:my|his|her)\s+(?:jaw|neck|skull|pelvis|hip|femur)\b"),
    ("severe_injury", r"\b(?:chemicals?|bleach|acid|drain cleaner|oven cleaner|cleaner|lye|ammonia)\b(?:\s+\w+){0,6}?\s+(?:in|into)\s+(?:my|his|her|their|the)\s+eyes?\b|\bsplash\w*\s+(?:\w+\s+){0,4}?in(?:to)?\s+(?:my|his|her|their)\s+eyes?\b"),
    ("severe_injury", r"\b(?:curtain|shadow|veil)\s+(?:\w+\s+){0,4}?(?:over|across|coming down|in)\s+(?:\w+\s+){0,3}?(?:vision|eyes?|sight)\b|\bsudden(?:ly)?\s+(?:\w+\s+){0,3}?(?:lost|lose|losing|loss of)\s+(?:\w+\s+){0,2}?(?:vision|sight)\b|\bsuddenly\s+(?:cant|can not)\s+see\b"),
    ("severe_injury", r"\b(?:something|metal|glass|a piece of \w+|a splinter|a shard)\s+(?:\w+\s+){0,5}?(?:stuck|lodged|embedded)\s+in\s+(?:my|his|her)\s+eye\b|\b(?:stabbed|poked|punctured|pierced)\s+(?:\w+\s+){0,3}?eye\b"),
    # A permanent (adult) tooth knocked out, or out whole with its root: time-critical dental trauma.
    ("severe_injury", r"\b(?:adult|permanent|grown up)\s+(?:front\s+|back\s+)?(?:tooth|teeth)\b(?:\s+\w+){0,4}?\s+(?:knocked|came|come|fell|popped)\s+(?:clean\s+|right\s+)?out\b|\bknock\w*\s+(?:out\s+)?(?:\w+\s+){0,3}?(?:adult|permanent|grown up)\s+(?:front\s+|back\s+)?(?:tooth|teeth)\b"),
    ("severe_injury", r"(?<!baby )(?<!milk )\b(?:tooth|teeth)\s+(?:\w+\s+){0,2}?(?:came|come|fell|popped|knocked)\s+(?:clean\s+|right\s+)?out\s+(?:whole|in one piece|with (?:the|its|a) roots?|roots? and (?:all|everything))\b"),
    ("poisoning", r"\b(?:swallowed|drank|drunk|ate|eaten|ingested)\s+(?:some\s+|the\s+)?(?:bleach|antifreeze|rat poison|poison|weed ?killer|pesticide|detergent|drain cleaner|laundry pods?|batter(?:y|ies)|button batter(?:y|ies)|lighter fluid|paint thinner)\b"),
    ("poisoning", r"\bpoisoned\b|(?<!food )\bpoisoning\b|\bcarbon monoxide\b"),
    ("anaphylaxis", r"\bana(?:ph|f)[iy]la[kcx]\w*\b|\bepi ?pen\b"),
    ("anaphylaxis", r"\b(?:throat|lips?|tongue|mouth)\s+(?:is\s+|are\s+|feels\s+)?(?:getting\s+|starting\s+to\s+|started\s+)?(?:swell\w*|swollen|closing)\b"),
    ("anaphylaxis", rf"\bswell\w*\s+(?:of|in)\s+{_WHO}\s+(?:throat|tongue|lips|mouth)\b"),
    ("anaphylaxis", rf"\ballergic reaction\b(?:\s+\w+){{0,8}}?\s+(?:swell\w*|swollen|{_BREATHE}|wheez\w*|throat|hives)\b"),
    ("anaphylaxis", rf"\b(?:swell\w*|swollen|{_BREATHE}|wheez\w*|throat|hives)\b(?:\s+\w+){{0,8}}?\s+allergic reaction\b"),
    ("breathing", rf"\b{_LUNG_SYMPTOM}(?:\s+\w+){{0,4}}?\s+{_NEEDLE_CTX}\b"),
    ("breathing", rf"\b{_NEEDLE_CTX}(?:\s+\w+){{0,4}}?\s+{_LUNG_SYMPTOM}\b"),
    ("breathing", r"\b(?:collapsed|punctured)\s+lung\b|\blung\s+(?:has\s+)?collapsed\b|\bpneumothorax\b"),
    ("breathing", rf"\bcant\s+(?:\w+\s+)?{_BREATHE}\b|\bcant\s+(?:catch|get)\s+(?:my|his|her|a)\s+breath\b"),
    ("breathing", r"\b(?:not|isnt|stopped|quit|no longer)\s+(?:\w+\s+)?br(?:ea|e)thing\b"),
    ("breathing", rf"\b(?:struggl\w*|fighting|gasping|hard|difficult|trouble|difficulty|problems?|labou?red|barely)\s+(?:to\s+|for\s+|with\s+)?{_BREATHE}\b"),
    ("breathing", rf"\bshort(?:ness)? of {_BREATHE}\b|\bbreathless\w*\b|\b(?:choking|suffocating)\b"),
    ("breathing", r"\b(?:lips|face|fingers)\s+(?:are\s+|is\s+)?(?:turning|going|gone)\s+blue\b|\b(?:having|bad|severe)\s+(?:an\s+)?asthma attack\b"),
    ("cardiac", rf"\bchest pains?\b|\bpains? in {_WHO} chest\b|\bchest (?:hurts|is hurting)\b"),
    ("cardiac", r"\bchest\s+(?:feels|is|feeling)\s+(?:(?:really|very|so|super|extremely|quite|kind of|kinda)\s+)?(?:tight|heavy|crushed|squeezed)\b|\bchest (?:tightness|pressure)\b"),
    ("cardiac", rf"\b(?:crushing|squeezing|tight|heavy|tightness in {_WHO}|pressure (?:in|on) {_WHO})\s+chest\b"),
    ("cardiac", r"\bheart att?ack\b|\bcardiac arrest\b|\bheart (?:has\s+)?stopped\b|\bno pulse\b"),
    ("cardiac", r"\bpain\s+(?:spreading|radiating|going|shooting)\s+(?:down|to|into|up)\s+(?:my\s+|his\s+|her\s+)?(?:left\s+)?(?:arm|jaw)\b"),
    ("stroke", r"\b(?:having|just had|showing (?:signs|symptoms) of)\s+(?:a\s+)?(?:mini\s+)?stroke\b"),
    ("stroke", r"\b(?:is this|is it|think (?:its|it is|this is)|might be|could be|may be)\s+(?:a\s+)?(?:mini\s+)?stroke\b|\bstroke\s+(?:(?:symptoms|signs)\s+)?(?:right\s+)?now\b"),
    ("stroke", r"\b(?:face|mouth)\s+(?:is\s+|has\s+|started\s+|keeps\s+|looks\s+)?(?:suddenly\s+|all\s+)?(?:droop\w*|sagg\w*|lopsided|dropp\w*)\b"),
    ("stroke", rf"\b(?:droop\w*|sagg\w*)\s+(?:on one side of\s+)?{_WHO}?\s*face\b"),
    ("stroke", rf"\bone side of {_WHO} (?:face|mouth|body)\s+(?:\w+\s+){{0,2}}(?:droop\w*|sagg\w*|numb|weak|paraly[sz]ed|dead)\b"),
    ("stroke", r"\b(?:numb(?:ness)?|weak(?:ness)?|paraly[sz]ed|paralysis)\s+(?:on|down|in)\s+(?:one|the (?:left|right)|(?:my|his|her) (?:left|right)) side\b"),
    ("stroke", r"\bslurr(?:ed|ing)\s+(?:\w+\s+)?(?:speech|words|talking)\b|\b(?:speech|words)\s+(?:is\s+|are\s+|sounds?\s+|got\s+)?(?:all\s+|really\s+|very\s+)?slurr\w*\b"),
    ("stroke", r"\b(?:is|are|am|im|hes|shes|keeps|started|been)\s+slurring\b"),
    ("stroke", r"\b(?:cant|unable to)\s+(?:lift|raise|move)\s+(?:my|his|her|one|either)\s+(?:left\s+|right\s+)?arms?\b"),
    ("stroke", r"\bsudden(?:ly)?\s+(?:\w+\s+)?(?:numb(?:ness)?|weak(?:ness)?|confus\w*|cant see|blind\w*)\b|\bworst headache of my life\b"),
    ("unconscious", r"\buncon\w*ious\b|\bunresponsive\b|\b(?:not|isnt)\s+(?:responsive|responding)\b"),
    ("unconscious", r"\b(?:wont|isnt|not)\s+wak(?:e|ing)\s+up\b|\bcant\s+wake\s+(?:him|her|them|(?:my|our)\s+\w+)\s+up\b|\bcollapsed\b(?!\s+lung)"),
    ("seizure", rf"\b(?:having|just had)\s+(?:(?:a|his|her|my|their|another)\s+)?(?:first\s+)?(?:{_SEIZURE}|convulsions?|fit)\b|\b(?:seizing|convuls\w*)\b|\bfoaming at the mouth\b"),
    ("seizure", rf"\b{_SEIZURE}\s+(?:right\s+)?now\b|\b(?:is this|think its|might be|could be)\s+a\s+{_SEIZURE}\b"),
    # "fitting me in" is about appointments, so fitting needs a subject.
    ("seizure", r"\b(?:is|are|im|hes|shes|theyre|keeps|started|been|still)\s+fitting\b(?!\s+(?:me|us|him|her|them|in|into)\b)"),
    ("bleeding", r"\bbleeding\s+(?:really\s+|very\s+|so\s+)?(?:a lot|so much|heavily|badly|bad|profusely|everywhere|like crazy|non ?stop|a ton)\b"),
    ("bleeding", r"\b(?:wont|cant|doesnt|isnt|not)\s+stop(?:ping)?\s+(?:the\s+)?(?:bleeding|blood)\b|\b(?:bleeding|blood)\s+(?:\w+\s+){0,8}?(?:wont|isnt|doesnt|hasnt|not)\s+stop\w*"),
    ("bleeding", r"\b(?:heavy|severe|uncontroll?ed|massive|profuse)\s+bleeding\b|\b(?:lots|a lot|loads|so much|tons|pool|puddle)\s+of\s+blood\b"),
    ("bleeding", r"\bblood\s+(?:is\s+|keeps\s+)?(?:everywhere|gushing|pouring|spurting|squirting)\b|\b(?:gushing|pouring|spurting|coughing up|coughing|vomiting)\s+blood\b"),
)

# --- suppressors: past events, general questions, benign look-alikes --------
_SUPPRESSOR_TABLE: tuple[str, ...] = (
    # A healed or treated injury: "physio after a broken hip", "since i broke my jaw in 2019".
    r"\b(?:after|since|following|recover\w* from|rehab\w* (?:after|for|from)|healing from|healed)\s+(?:a\s+|an\s+|my\s+|his\s+|her\s+|the\s+)?(?:broken|fractured|dislocated)\s+\w+",
    # History. "just had" stays live: a seizure a minute ago is still now.
    rf"\b(?<!just )(?:had|have had|has had|ive had|hes had|shes had|suffered|survived|recover\w* from|recovery from|history of|post|after|since)\s+(?:having\s+)?{_EVENT}",
    rf"\b(?:previous|prior|past|old|earlier|former)\s+{_EVENT_CORE}",
    # A question about what something looks like: "what are the signs of a collapsed lung?"
    rf"\b(?:signs?|symptoms?|warning signs?|red flags?)\s+(?:of|for)\s+{_EVENT}",
    rf"\b{_EVENT_CORE}\s+(?:rehab\w*|recovery|survivors?|patients?|victims?|history)\b(?:\s+{_PAST_WORD}){{0,4}}",
    r"\bhistory of(?:\s+\w+){1,3}",
    # Lasting effects: "slurred speech since his stroke" is rehab, not now.
    rf"{_WORDS_BEFORE}(?:after|since|following|from|because of|due to)\s+(?:having\s+)?{_WHO}\s+(?:\w+\s+)?(?:stroke|heart attack)\b",
    # Long ago or long-standing: "... years ago", "last year", "for months".
    rf"{_WORDS_BEFORE}(?:\d+|a|a few|few|several|many|some|two|three|four|five)?\s*(?:years?|months?)\s+ago\b",
    rf"{_WORDS_BEFORE}(?:last\s+(?:year|month)|in\s+(?:19|20)\d\d|for\s+(?:\d+\s+|many\s+|several\s+|a few\s+)?(?:years|months))\b",
    # General questions: "can acupuncture cause a stroke", "risk of anaphylaxis".
    rf"\b(?:prevent\w*|risks? of|cause|causes|causing|chances? of|lead to)\s+{_EVENT}",
    rf"\b(?:can|could|would|will|might)\s+(?:i|you|someone|one|people|a person)\s+(?:get|have|go into|develop)\s+{_EVENT}",
    r"\b(?:can|could)\s+(?:i|you|someone|one|people|a person)\s+(?:\w+\s+)?overdose\b",
    rf"\b(?:worried|scared|afraid|fear|die|dying)\s+(?:about|of|from)\s+(?:getting\s+|having\s+)?{_EVENT}",
    # "what do i do if my child ever knocks out an adult tooth" asks what to do, nothing has happened.
    r"\bif\s+(?:\w+\s+){0,4}?(?:ever\s+)?knocks?\s+(?:out\s+)?(?:\w+\s+){0,3}?(?:tooth|teeth)\b(?:\s+out)?",
    # "can acupuncture help shortness of breath from asthma" asks about treatment,
    # unless the symptom is tied to needling (then it may be a collapsed lung).
    (
        rf"\b(?:help|helps|helping|treat\w*|good|relieve|reduce|manage|ease|improve|cure)\b{_FILLER}{{0,4}}"
        rf"\s+{_MILD}(?!(?:\s+\w+){{0,3}}\s+{_NEEDLE_CTX})"
    ),
    (
        rf"\b{_MILD}\s+(?:from|due to|because of|caused by|with|when|during|in|after)\s+(?:i\s+|my\s+|the\s+)?"
        r"(?:anxiety|stress|asthma|allerg\w+|panic\w*|exercis\w*|run\w*|walk\w*|climb\w*|stairs|periods?"
        r"|menstrua\w*|copd|colds?|hay fever|covid|long covid)\b"
    ),
    # Look-alikes: a blocked nose, a stiff shoulder, wet-cupping questions.
    rf"\bcant\s+{_BREATHE}\s+(?:through|out of|from)\s+(?:{_WHO}\s+)?(?:nose|nostrils?)\b",
    r"\bcant\s+(?:lift|raise|move)\s+(?:my|his|her)\s+(?:left\s+|right\s+)?arm\s+(?:above|over|past|higher|behind|all the way|because|due to|since)\b",
    r"\b(?:lose|losing|lost|draws?|drawn|drawing|takes?|taken|removes?|removed)\s+(?:a lot of|lots of|much)\s+blood\b",
    # A diagnosed Bell's palsy droop (a common acupuncture question); "is this
    # bells palsy" is not a diagnosis, so it is left to flag.
    r"\b(?:face|mouth)\s+(?:\w+\s+){0,3}?(?:droop\w*|sagg\w*)(?:\s+\w+){0,6}?\s+(?:from|due to|because of|with)\s+(?:my\s+|his\s+|her\s+)?bells? palsy\b",
    r"\b(?:diagnosed with|have|has|had)\s+bells? palsy\b(?:\s+\w+){0,8}?\s+(?:face|mouth)\s+(?:\w+\s+){0,3}?(?:droop\w*|sagg\w*)",
)
# fmt: on

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (k, re.compile(p)) for k, p in _PATTERN_TABLE
)
_SUPPRESSORS: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in _SUPPRESSOR_TABLE)
# Spelled-out negations become the apostrophe-less contractions patterns use.
_CONTRACTIONS: dict[str, str] = {
    "can not": "cant",
    "cannot": "cant",
    "will not": "wont",
    "do not": "dont",
    "does not": "doesnt",
    "is not": "isnt",
    "has not": "hasnt",
}
_CONTRACTION_RE = re.compile(r"\b(?:" + "|".join(_CONTRACTIONS) + r")\b")


def _normalise(message: str) -> str:
    """Lowercase, drop apostrophes ("can't" -> "cant"), punctuation to spaces."""
    text = re.sub(r"['\u2018\u2019`\u00b4]", "", message.lower())
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return _CONTRACTION_RE.sub(lambda m: _CONTRACTIONS[m.group(0)], text)


def detect_emergency(message: str) -> Emergency | None:
    """Return the emergency a patient's message describes, or None.

    ``matched`` is taken from the normalised text (lowercase, no punctuation).
    """
    text = _normalise(message)
    if not text:
        return None
    blocked = [m.span() for s in _SUPPRESSORS for m in s.finditer(text)]
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            # A suppressor cancels only the matches it overlaps.
            if not any(start < m.end() and m.start() < end for start, end in blocked):
                return Emergency(kind=kind, matched=m.group(0))
    return None
