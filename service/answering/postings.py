"""Postings: which sentences name each stem, so a question's coverage is computed for every sentence at once.

A sentence names what its own words and, for a list item, its list's lead-in name ("For the first 48 hours:" /
"- Ice every 2 to 3 hours"); with its context it also names its section heading and article title. The kinds of
fact each sentence holds (a price, a duration...) are found once, when the index is loaded.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from index.passage import Passage
from index.words import content_stems
from service.answering.understand import ANSWER_SHAPES, Question

SHAPES = tuple(ANSWER_SHAPES)


def _rows(sets: Sequence[set[str]]) -> dict[str, np.ndarray]:
    """stem -> the rows whose set holds it."""
    found: dict[str, list[int]] = {}
    for row, stems in enumerate(sets):
        for s in stems:
            found.setdefault(s, []).append(row)
    return {s: np.asarray(rows, dtype=np.int64) for s, rows in found.items()}


class Postings:
    """Stem postings over sentences and over passage contexts, and each sentence's kinds of fact."""

    def __init__(self, passages: Sequence[Passage], sentence_stems: Sequence[set[str]],
                 context_stems: Sequence[set[str]]) -> None:
        own: list[set[str]] = []
        owner: list[int] = []
        start = 0
        for row, passage in enumerate(passages):
            stems = sentence_stems[start:start + len(passage.sentences)]
            lead = set().union(*stems[: passage.item_starts[0]]) if passage.item_starts else set()
            own += [stems[i] | lead if passage.unit_of(i) > 0 else stems[i] for i in range(len(stems))]
            owner += [row] * len(stems)
            start += len(stems)
        self.size = len(own)
        self.sentence_rows = _rows(own)
        self.context_rows = _rows(context_stems)
        self.owner = np.asarray(owner, dtype=np.int64)
        self.n_passages = len(passages)
        lowered = [s.lower() for p in passages for s in p.sentences]
        self.shapes = {name: np.array([bool(ANSWER_SHAPES[name][1].search(s)) for s in lowered], dtype=bool)
                       for name in SHAPES}

    def _support(self, rows: Mapping[str, np.ndarray], size: int, term: str,
                 synonyms: Mapping[str, float]) -> np.ndarray:
        """How far each row names a term: 1 for the word itself, its similarity for a synonym."""
        out = np.zeros(size, dtype=np.float32)
        for stem_, similarity in synonyms.items():
            hit = rows.get(stem_)
            if hit is not None:
                out[hit] = np.maximum(out[hit], similarity)
        hit = rows.get(term)
        if hit is not None:
            out[hit] = 1.0
        return out

    def coverage(self, question: Question, weights: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """Every sentence's weighted share of the terms it names: alone, and with its heading and title."""
        total = sum(weights.values())
        alone = np.zeros(self.size, dtype=np.float32)
        context = np.zeros(self.size, dtype=np.float32)
        if total <= 0:
            return alone, context
        for term, weight in weights.items():
            if weight <= 0:
                continue
            close = question.synonyms.get(term, {})
            in_sentence = self._support(self.sentence_rows, self.size, term, close)
            in_heading = self._support(self.context_rows, self.n_passages, term, close)[self.owner]
            alone += weight * in_sentence
            context += weight * np.maximum(in_sentence, in_heading)
        return alone / total, context / total

    def shaped(self, shapes: Sequence[str]) -> np.ndarray:
        """Whether each sentence holds a fact of one of these kinds."""
        out = np.zeros(self.size, dtype=bool)
        for name in shapes:
            out |= self.shapes[name]
        return out


def passage_stems(passages: Sequence[Passage]) -> tuple[list[set[str]], list[set[str]]]:
    """Each sentence's content stems, and each passage's title-and-heading stems."""
    return ([content_stems(s) for p in passages for s in p.sentences],
            [content_stems(f"{p.title} {p.section}") for p in passages])
