"""Guidance: the clinic's own "go to the emergency department if..." advice, as conditions to match.

Clinics write their red flags into their articles ("Go to the emergency department right away if you have
swelling that spreads to your eye or neck, or trouble breathing or swallowing"; "a knocked-out adult tooth
needs to be seen within an hour, so call us immediately"). A sentence that sends the reader to emergency care,
or to the clinic at once, is urgent guidance; its conditions (the "if ..." clause, the items of a list it leads
into, or else the sentence itself) are embedded, and a patient describing one of them is routed as an
emergency, unless the message is nearer an ordinary sentence of the articles than the condition.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.passage import Passage

# Directions to emergency care or to immediate care, in general English (not any clinic's topic).
URGENT = re.compile(
    r"\b(?:go|get|head|come)\s+(?:straight\s+|directly\s+)?to\s+(?:the\s+|an?\s+|your\s+)?(?:nearest\s+)?"
    r"(?:emergency|er\b|a&e|accident and emergency|hospital|urgent care)"
    r"|\bcall\s+(?:911|999|112|000|an ambulance|emergency services|for an ambulance)"
    r"|\bemergency (?:department|room|services)\b.{0,40}\b(?:right away|immediately|at once|now)\b"
    r"|\b(?:seek|get)\s+(?:immediate|urgent|emergency)\s+(?:medical\s+)?(?:help|care|attention|treatment)"
    r"|\b(?:call|phone|contact|see)\s+(?:us|the clinic|the office|a doctor|a dentist)\s+(?:immediately|right away|"
    r"straight away|at once)"
    r"|\bwithin (?:an|one|the first) hour\b.{0,60}\b(?:immediately|right away|at once)\b",
    re.IGNORECASE)
_CONDITION = re.compile(r"\b(?:if|when|should)\s+(?:you|your|they|he|she|the|there)\b.*", re.IGNORECASE)
_SPLIT = re.compile(r",\s*or\s+|,\s*and\s+(?=you\b)", re.IGNORECASE)
# An "if" clause ends where the directive starts: "If you develop chest pain, do not wait; call 911".
_CLAUSE_END = re.compile(r";|,\s*(?:do not|don't|then|call|go|get|seek|phone|contact|come)\b", re.IGNORECASE)
# Without an "if" clause the red flag is what the sentence says before its directive: "A knocked-out adult tooth
# is different: it needs to be seen within an hour" -> "A knocked-out adult tooth".
_DIRECTIVE = re.compile(r"\s*(?:[:;]|\s-\s|,?\s+(?:is|are)\s+(?:different|an? (?:emergency|urgent))\b"
                        r"|\s+(?:needs?|must|should|requires?|call|go|get|seek)\b)", re.IGNORECASE)


@dataclass(frozen=True)
class Condition:
    """One red flag the clinic names, with the sentence that says what to do."""

    text: str
    guidance: str
    article_id: str
    passage_row: int


def conditions(passages: Sequence[Passage]) -> list[Condition]:
    """Every red-flag condition of the articles' urgent guidance."""
    found: list[Condition] = []
    for row, passage in enumerate(passages):
        lead_end = passage.item_starts[0] if passage.item_starts else len(passage.sentences)
        if lead_end == 0 and URGENT.search(passage.section):
            # A list under an urgent heading ("Go to the emergency department if you have", as handouts set it):
            # the heading is its lead-in, and its items are the flags.
            found += [Condition(item, f"{passage.section.rstrip(': ')}: {item}", passage.article_id, row)
                      for item in passage.sentences]
            continue
        for i, sentence in enumerate(passage.sentences):
            if not URGENT.search(sentence):
                continue
            if i == lead_end - 1 and passage.item_starts:
                # The lead-in of a list ("Go to the emergency department if you have:"): its items are the flags.
                items = passage.sentences[lead_end:]
                found += [Condition(item, sentence, passage.article_id, row) for item in items]
                continue
            clause = _CONDITION.search(sentence)
            if clause:
                condition = _CLAUSE_END.split(clause.group(0), maxsplit=1)[0]
                parts = [p for p in _SPLIT.split(condition) if len(p.split()) >= 2]
            else:
                subject = _DIRECTIVE.split(sentence, maxsplit=1)[0]
                parts = [subject if len(subject.split()) >= 2 else sentence]
            found += [Condition(part.strip(" .,:"), sentence, passage.article_id, row) for part in parts]
    return found


class Guidance:
    """The clinic's red flags, embedded, and the ordinary sentences they compete with."""

    def __init__(self, items: list[Condition], vectors: np.ndarray, sentence_vectors: np.ndarray,
                 urgent_rows: set[int]) -> None:
        self.items = items
        self.vectors = vectors
        self._sentences = sentence_vectors
        self._ordinary = np.array([i not in urgent_rows for i in range(len(sentence_vectors))], dtype=bool)

    def match(self, vectors: np.ndarray) -> tuple[Condition | None, float, float]:
        """The nearest red flag to the message, its similarity, and the nearest ordinary sentence's."""
        if not self.items:
            return None, 0.0, 0.0
        sims = (np.atleast_2d(vectors) @ self.vectors.T).max(axis=0)
        best = int(np.argmax(sims))
        ordinary = (np.atleast_2d(vectors) @ self._sentences[self._ordinary].T).max() if self._ordinary.any() else 0.0
        return self.items[best], float(sims[best]), float(ordinary)
