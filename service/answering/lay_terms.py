"""Lay terms: the patient's everyday words meet the clinical words the clinic writes.

Word vectors put "hurt" near "pain" but not "tooth pulled" near "extraction" or "knock me out" near
"sedation". `banks/lay_terms.yaml` is a general consumer-health vocabulary of English (not any one clinic's
field): phrases patients use and the clinical words for the same thing. A phrase found in a question adds the
clinical words the clinic's articles use as close synonyms of the question's word it was found on, so coverage
and BM25 count them; a clinical word the articles never use adds nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from index.words import content_stems, is_content, stem, words
from service.answering.spelling import english_counts
from service.answering.vocabulary import Vocabulary

LAY_TERMS = Path(__file__).resolve().parent / "banks" / "lay_terms.yaml"


@dataclass(frozen=True)
class Entry:
    """Phrasings of one thing in patients' words, and the clinical stems that name it."""

    lay: re.Pattern[str]
    clinical: frozenset[str]


@lru_cache(maxsize=1)
def entries(path: Path = LAY_TERMS) -> tuple[Entry, ...]:
    """The vocabulary, compiled once per process."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    found: list[Entry] = []
    for row in data or []:
        pattern = re.compile("|".join(f"(?:{p})" for p in row["lay"]))
        found.append(Entry(pattern, frozenset().union(*(content_stems(c) for c in row["clinical"]))))
    return tuple(found)


def clinical_synonyms(text: str, terms: set[str], vocabulary: Vocabulary,
                      similarity: float) -> dict[str, dict[str, float]]:
    """{question term: {clinical stem: similarity}} for the lay phrases of `text` (lower-cased inside).

    The clinical stems are keyed on the rarest (in the articles, then in English) of the question's terms inside
    the phrase found ("pulled" in "tooth pulled"); a stem the question already has, or the articles never use,
    is left out.
    """
    lowered = text.lower().replace("\u2019", "'")  # a typed curly apostrophe reads as the bank's
    english = english_counts()
    found: dict[str, dict[str, float]] = {}
    for entry in entries():
        for match in entry.lay.finditer(lowered):
            inside = [(s, w) for w in words(match.group(0)) if is_content(w) and (s := stem(w)) in terms]
            if not inside:
                continue
            # The phrase's rarest word carries it: rarest in the articles, then in English ("pulled", not "get").
            key = max(inside, key=lambda sw: (vocabulary.idf(sw[0]), -english.get(sw[1], 0)))[0]
            close = found.setdefault(key, {})
            for clinical in entry.clinical:
                if clinical not in terms and vocabulary.knows(clinical):
                    close[clinical] = max(close.get(clinical, 0.0), similarity)
    return {term: close for term, close in found.items() if close}
