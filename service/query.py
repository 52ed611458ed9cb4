"""Query: a question as the retriever weighs it — typo repair against the corpus, word weights, answer type."""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from index.words import STOPWORDS, WORD, content_stems, stem, words


class Vocabulary:
    """The corpus's words: document frequencies for weighting, and spellings for typo repair."""

    def __init__(self, documents: Iterable[str]) -> None:
        df: Counter[str] = Counter()
        spellings: set[str] = set()
        n = 0
        for doc in documents:
            n += 1
            tokens = words(doc)
            spellings.update(tokens)
            df.update({stem(t) for t in tokens})
        self.size = max(n, 1)
        self.df = df
        self.spellings = spellings
        self._by_length: dict[int, list[str]] = {}
        for w in spellings:
            if len(w) >= 5 and w.isalpha():
                self._by_length.setdefault(len(w), []).append(w)
        for bucket in self._by_length.values():
            bucket.sort(key=lambda w: -self.df[stem(w)])

    def idf(self, stem_: str) -> float:
        """Inverse document frequency; a stem the corpus never uses weighs most."""
        return math.log(1 + self.size / (1 + self.df.get(stem_, 0)))

    def correct(self, word: str) -> str:
        """The corpus spelling a mistyped word most likely meant ("acupunture" -> "acupuncture")."""
        if len(word) < 6 or not word.isalpha() or word in self.spellings or word in STOPWORDS:
            return word
        if self.df.get(stem(word)):
            return word
        limit = 1 if len(word) < 10 else 2
        for length in range(len(word) - limit, len(word) + limit + 1):
            for candidate in self._by_length.get(length, ()):
                if candidate[0] == word[0] and _within(word, candidate, limit):
                    return candidate
        return word

    def repair(self, text: str) -> str:
        """The question with mistyped words replaced by the corpus spelling; other characters kept."""
        return WORD.sub(lambda m: self.correct(m.group(0)), text.lower())


def _within(a: str, b: str, limit: int) -> bool:
    """Damerau-Levenshtein distance of a and b is at most `limit` (transpositions count once)."""
    if abs(len(a) - len(b)) > limit:
        return False
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return False
        prev2, prev = prev, cur
    return prev[-1] <= limit


_NUMBER = r"\d|\bone\b|\btwo\b|\bthree\b|\bfour\b|\bfive\b|\bsix\b|\bten\b|\bseveral\b|\bfew\b"
_ANSWER_TYPES: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    # (question asks for…, a sentence that gives it)
    (re.compile(r"\bhow (much|expensive)\b|\b(cost|costs|price|prices|fee|fees|charge|pay)\b"),
     re.compile(r"\$|\d+ ?(dollars|usd|eur|€|£)|\bfree\b|\bfee\b|\bcosts?\b")),
    (re.compile(r"\bhow often\b|\bhow many times\b|\bfrequen"),
     re.compile(r"\b(per|a|each|every) (week|day|month)\b|\bweekly\b|\btimes\b")),
    (re.compile(r"\bhow long\b|\bhow much time\b|\bduration\b|\bminutes?\b|\bhours?\b"),
     re.compile(r"(" + _NUMBER + r")[^.]{0,12}\b(minutes?|hours?|days?|weeks?|months?|years?|mins?)\b")),
    (re.compile(r"\bhow many\b|\bnumber of\b"), re.compile(_NUMBER)),
    (re.compile(r"\bwhen\b|\bhow soon\b"),
     re.compile(r"\b(after|before|until|within|by|once|day|days|week|weeks|hours?|minutes?|then)\b|\d")),
]


# Patients and clinicians name the same things differently ("does it hurt?" / "painless"). A question using
# a patient word is also read with the clinic's words for it. Small on purpose: each entry is a concept
# patients ask about constantly, and the small model misses the link on short questions.
PATIENT_WORDS: dict[str, str] = {
    **dict.fromkeys(("hurt", "hurts", "painful", "sting", "stings", "ouch", "agony"), "pain painful painless"),
    **dict.fromkeys(("cost", "costs", "price", "prices", "pricing", "expensive", "cheap", "fee", "fees"),
                    "cost price fee"),
    **dict.fromkeys(("kid", "kids", "child", "toddler", "teen", "teens", "teenager", "son", "daughter"),
                    "children child"),
    **dict.fromkeys(("insurance", "insured", "insurer", "coverage", "covered"), "insurance covered coverage plan"),
}


def expand(text: str) -> str:
    """The question followed by the clinic's words for the patient words it uses."""
    extra = {PATIENT_WORDS[w] for w in words(text) if w in PATIENT_WORDS}
    return text if not extra else f"{text} ({' '.join(sorted(extra))})"


@dataclass(frozen=True)
class Query:
    """A question ready for scoring: repaired text, weighted content stems and expected answer shape."""

    text: str
    stems: frozenset[str]
    answer_shapes: tuple[re.Pattern[str], ...]

    @classmethod
    def parse(cls, question: str, vocabulary: Vocabulary) -> Query:
        """Repair typos against the corpus and note what kind of answer the question wants."""
        text = expand(vocabulary.repair(question))
        shapes = tuple(answer for asks, answer in _ANSWER_TYPES if asks.search(text))
        return cls(text=text, stems=frozenset(content_stems(text)), answer_shapes=shapes)

    def overlap(self, sentence_stems: set[str], vocabulary: Vocabulary) -> float:
        """Share of the question's (idf-weighted) content the sentence mentions, 0..1."""
        if not self.stems:
            return 0.0
        total = sum(vocabulary.idf(s) for s in self.stems)
        return sum(vocabulary.idf(s) for s in self.stems & sentence_stems) / total

    def unknown_words(self, vocabulary: Vocabulary) -> list[str]:
        """The question's content words that no article uses in any form."""
        return sorted({w for w in words(self.text) if w not in STOPWORDS and len(w) > 1
                       and not vocabulary.df.get(stem(w))})

    def novelty(self, vocabulary: Vocabulary, known: Iterable[str] = ()) -> float:
        """Share of the question's (idf-weighted) content that no article mentions, 0..1.

        `known` are unknown words the caller found a close synonym for in the corpus.
        """
        if not self.stems:
            return 0.0
        new = {stem(w) for w in self.unknown_words(vocabulary)} - {stem(w) for w in known}
        return sum(vocabulary.idf(s) for s in new) / sum(vocabulary.idf(s) for s in self.stems)

    def shape_match(self, sentence: str) -> bool:
        """The sentence has the kind of fact the question asks for (a price, a duration, a count…)."""
        lowered = sentence.lower()
        return any(shape.search(lowered) for shape in self.answer_shapes)
