"""Score: how well each candidate passage, and each of its sentences, answers the question.

A sentence scores its dense similarity to the question, plus a bonus for the share of the question's focus
words it names (or close synonyms of them), plus a bonus when it holds the kind of fact asked for. A passage
scores its own similarity, its best sentence, and its BM25 share; the best hit is quoted.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from index.passage import Passage
from service.answering.retrieve import Candidates, Retriever
from service.answering.tuning import Tuning
from service.answering.understand import Question, has_shape
from service.answering.vocabulary import Vocabulary


@dataclass(frozen=True)
class Hit:
    """A passage found for a question, with its scores and its sentences' scores."""

    row: int
    passage: Passage
    score: float  # what hits are ranked by
    passage_score: float  # dense similarity of the passage (with its title and heading) to the question
    lexical: float  # BM25 share of the best possible score
    sentence_scores: tuple[float, ...]  # dense + coverage bonus + shape bonus, per sentence
    sentence_dense: tuple[float, ...]  # dense similarity per sentence (under its heading) to the question in context
    sentence_coverage: tuple[float, ...]  # share of the question's focus words each sentence names
    context_coverage: tuple[float, ...]  # the same, counting the article title and section heading too
    sentence_shape: tuple[bool, ...]  # whether each sentence holds the kind of fact asked for
    boosted: bool = False  # the conversation's article, lifted for a follow-up

    @property
    def best_sentence(self) -> int:
        """Index of the passage's sentence that answers best."""
        return int(np.argmax(self.sentence_scores)) if self.sentence_scores else 0

    @property
    def article_id(self) -> str:
        return self.passage.article_id


def support(question: Question, term: str, stems: set[str]) -> float:
    """How far a set of stems names one focus term: 1 for the word itself, its similarity for a synonym."""
    if term in stems:
        return 1.0
    close = question.synonyms.get(term, {})
    return max((similarity for corpus_stem, similarity in close.items() if corpus_stem in stems), default=0.0)


class Focus:
    """The question's focus terms with their weights, computed once for all the passages it is scored on."""

    def __init__(self, question: Question, vocabulary: Vocabulary, terms: Iterable[str] | None = None) -> None:
        self.question = question
        chosen = list(question.terms if terms is None else terms)
        self.weights = {t: question.weight(t, vocabulary) for t in chosen}
        self.total = sum(self.weights.values())

    def coverage(self, stems: set[str]) -> float:
        """The idf-weighted share of the focus terms that a text (its stems) names, 0..1."""
        if self.total <= 0:
            return 0.0
        return sum(w * support(self.question, t, stems) for t, w in self.weights.items() if w) / self.total


def coverage(question: Question, stems: set[str], vocabulary: Vocabulary, terms: Iterable[str] | None = None) -> float:
    """The idf-weighted share of the question's focus terms that a text names, 0..1."""
    return Focus(question, vocabulary, terms).coverage(stems)


def score_hits(question: Question, vector: np.ndarray, candidates: Candidates, retriever: Retriever,
               tuning: Tuning, boost: Mapping[str, float] | None = None, alone: np.ndarray | None = None) -> list[Hit]:
    """Every candidate scored, best first; `boost` lifts the passages of some articles (follow-ups).

    `alone` is the vector of a follow-up without its context: its sentences are also weighed against it, so
    "and a follow-up?" after a question about the first visit's price quotes the follow-up's price.
    """
    focus = Focus(question, retriever.vocabulary)
    hits = [_hit(row, question, focus, vector, candidates, retriever, tuning, boost or {}, alone)
            for row in candidates.rows]
    hits.sort(key=lambda h: (-h.score, h.row))
    return hits


def _hit(row: int, question: Question, focus: Focus, vector: np.ndarray, candidates: Candidates,
         retriever: Retriever, tuning: Tuning, boost: Mapping[str, float], alone: np.ndarray | None) -> Hit:
    passage = retriever.stored.passages[row]
    lexical = candidates.lexical.get(row, 0.0)
    start, end = int(retriever.first_sentence[row]), int(retriever.first_sentence[row + 1])
    in_context = retriever.sentence_matrix[start:end] @ vector
    # A follow-up's sentences are weighed against it with and without its context.
    share = tuning.followup_alone_share
    dense = in_context if alone is None else (1 - share) * in_context + share * (retriever.sentence_matrix[start:end]
                                                                                 @ alone)
    context = retriever.context_stems[row]
    stems = retriever.sentence_stems[start:end]
    lead = set().union(*stems[: passage.item_starts[0]]) if passage.item_starts else set()
    # A list item is read with its lead-in ("For the first 48 hours:" / "- Ice every 2 to 3 hours").
    own = [stems[i] | lead if passage.unit_of(i) > 0 else stems[i] for i in range(end - start)]
    covered = [focus.coverage(own[i]) for i in range(end - start)]
    with_context = [focus.coverage(own[i] | context) for i in range(end - start)]
    shaped = [has_shape(s, question.shapes) for s in passage.sentences] if question.shapes else [False] * len(covered)
    sentence_scores = tuple(float(dense[i]) + tuning.coverage_weight * covered[i] + tuning.shape_weight * shaped[i]
                            for i in range(end - start))
    passage_score = float(retriever.passage_matrix[row] @ vector)
    if alone is not None:
        passage_score = (1 - share) * passage_score + share * float(retriever.passage_matrix[row] @ alone)
    best = max(sentence_scores, default=passage_score)
    lift = boost.get(passage.article_id, 0.0)
    score = (tuning.passage_weight * passage_score + (1 - tuning.passage_weight) * best
             + tuning.lexical_weight * lexical + lift)
    return Hit(row=row, passage=passage, score=score, passage_score=passage_score,
               lexical=lexical, sentence_scores=sentence_scores, sentence_dense=tuple(float(d) for d in in_context),
               sentence_coverage=tuple(covered), context_coverage=tuple(with_context), sentence_shape=tuple(shaped),
               boosted=lift > 0)
