"""Medical-advice rules: questions asking for a dose, a change of medication, a diagnosis or a cure.

The bot quotes articles; it must not answer "how many ibuprofen can I take?" with a nearby aftercare sentence,
nor "can acupuncture cure diabetes?" with a sentence about blood sugar. These patterns are the plain question
forms of English for such requests (no medicine or disease names); the nearest examples of
`banks/advice.yaml` catch other wordings.
"""
from __future__ import annotations

import re

_WHO = r"(?:i|you|we|he|she|they|my \w+|a child|kids|children|someone)"
_MEDICINE = (r"(?:pills?|tablets?|capsules?|caps|meds|medicines?|medications?|drugs?|painkillers?|pain ?killers?|"
             r"antibiotics?|blood thinners?|antidepressants?|supplements?|vitamins?|drops|doses?|mg|ml|inhaler|insulin)")

# What else is counted or taken: time off, visits ("how many days should I take off", "take 2 weeks").
_NOT_A_DRUG = r"(?:time|days?|nights?|hours?|minutes?|weeks?|months?|years?|sessions?|visits?|appointments?|off|work|photos?)\b"

# fmt: off
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((kind, re.compile(p, re.IGNORECASE)) for kind, p in (
    ("dose", rf"\bhow (?:much|many)\s+(?:of\s+)?(?:my\s+|the\s+|this\s+|these\s+|those\s+)?(?:[\w-]+\s+){{0,2}}?{_MEDICINE}\b"),
    ("dose", rf"\bhow (?:much|many)\s+(?!{_NOT_A_DRUG})[\w-]+\s+(?:can|should|could|may|do)\s+{_WHO}\s+(?:take|give|swallow)\b"),
    ("dose", r"\b(?:what|which|right|correct|safe|max(?:imum)?|recommended|normal)\s+(?:\w+\s+)?(?:dose|dosage|doses|strength)\b"),
    ("dose", rf"\bhow often (?:can|should|do) {_WHO} (?:take|give|use)\b"),
    ("dose", r"\b\d+(?:\.\d+)?\s?(?:mg|mcg|ml|milligrams?|micrograms?)\b"),
    ("dose", rf"\b(?:can|should|is it ok to|is it safe to) {_WHO} (?:take|give)\s+(?:\d+|two|three|four|five|six|double|extra|another)\b(?!\s+{_NOT_A_DRUG})"),
    ("dose", r"\b(?:too much|too many|overdose on)\b.{0,30}\b(?:take|taking|safe)\b"),
    ("medication", rf"\b(?:stop|stopping|start|starting|skip|skipping|pause|quit|come off|coming off|double up on|keep taking)\s+(?:taking\s+)?(?:my|his|her|their|the)?\s*(?:\w+\s+){{0,3}}?{_MEDICINE}\b"),
    ("medication", rf"\b(?:take|taking|mix|mixing|combine|combining)\b.{{0,40}}\b(?:with|and)\s+(?:my|his|her|the)\s+(?:\w+\s+){{0,2}}?{_MEDICINE}\b"),
    ("medication", r"\b(?:prescribe|prescription for)\b"),
    ("medication", r"\b(?:what|which)\s+(?:\w+\s+)?(?:antibiotic|medication|medicine|pill|drug)\s+(?:should|can|do)\b"),
    ("diagnosis", r"\b(?:do|could|might|would)\s+(?:you think\s+|u think\s+)?i\s+(?:have|had|got)\b\s+(?:an?\s+)?(?!to\b|time\b|insurance\b|an? appointment\b)\w+"),
    ("diagnosis", r"\bwhat(?:'s| is|s)\s+wrong with\s+(?:me|my|him|her)\b|\bwhat\s+(?:condition|disease|illness|infection)\s+(?:do|could|might|have)\b"),
    ("diagnosis", r"\b(?:is|could)\s+(?:this|it|that)\s+(?:be\s+)?(?:a\s+|an\s+)?(?:cancer\w*|tumou?r|malignant|fracture\w*|torn|slipped disc|hernia\w*)\b"),
    ("diagnosis", r"\b(?:can|could) you (?:diagnose|tell me what (?:i have|this is|it is))\b"),
    ("cure", r"\b(?:cure|cures|cured|curing)\b(?!\s+(?:time|for boredom))"),
    ("cure", r"\b(?:get rid of|fix|heal|reverse|eliminate|beat)\b.{0,40}\b(?:for good|forever|permanently|completely|once and for all)\b"),
))
# fmt: on


def detect_advice(message: str) -> str | None:
    """The kind of medical advice a question asks for ("dose", "medication", "diagnosis", "cure"), or None."""
    text = " ".join(message.replace("’", "'").split())
    for kind, pattern in PATTERNS:
        if pattern.search(text):
            return kind
    return None
