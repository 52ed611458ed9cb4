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
from service.answering.understand import Question
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
    covered, with_context = retriever.postings.coverage(question, focus.weights)
    shaped = retriever.postings.shaped(question.shapes)
    polarity = tuning.polarity_weight if question.negated else 0.0
    signals = Sentences(covered, with_context, shaped, retriever.sentence_negated, polarity)
    hits = [_hit(row, signals, vector, candidates, retriever, tuning, boost or {}, alone) for row in candidates.rows]
    hits.sort(key=lambda h: (-h.score, h.row))
    return hits


@dataclass(frozen=True)
class Sentences:
    """What the question's words say about every sentence of the index (postings.py), sliced per passage."""

    covered: np.ndarray  # share of the focus words each sentence (with a list's lead-in) names
    with_context: np.ndarray  # the same, counting its heading and article title too
    shaped: np.ndarray  # holds the kind of fact asked for
    negated: np.ndarray  # says "not" (1) or not (0)
    polarity: float  # the bonus for saying "not": polarity_weight when the question does, else 0


def _hit(row: int, signals: Sentences, vector: np.ndarray, candidates: Candidates, retriever: Retriever,
         tuning: Tuning, boost: Mapping[str, float], alone: np.ndarray | None) -> Hit:
    passage = retriever.stored.passages[row]
    lexical = candidates.lexical.get(row, 0.0)
    start, end = int(retriever.first_sentence[row]), int(retriever.first_sentence[row + 1])
    in_context = retriever.sentence_matrix[start:end] @ vector
    # A follow-up's sentences are weighed against it with and without its context.
    share = tuning.followup_alone_share
    dense = in_context if alone is None else (1 - share) * in_context + share * (retriever.sentence_matrix[start:end]
                                                                                 @ alone)
    covered, shaped = signals.covered[start:end], signals.shaped[start:end]
    sentence_scores = tuple((dense + tuning.coverage_weight * covered + tuning.shape_weight * shaped
                             + signals.polarity * signals.negated[start:end]).tolist())
    passage_score = float(retriever.passage_matrix[row] @ vector)
    if alone is not None:
        passage_score = (1 - share) * passage_score + share * float(retriever.passage_matrix[row] @ alone)
    best = max(sentence_scores, default=passage_score)
    lift = boost.get(passage.article_id, 0.0)
    score = (tuning.passage_weight * passage_score + (1 - tuning.passage_weight) * best
             + tuning.lexical_weight * lexical + lift)
    return Hit(row=row, passage=passage, score=score, passage_score=passage_score,
               lexical=lexical, sentence_scores=sentence_scores, sentence_dense=tuple(in_context.tolist()),
               sentence_coverage=tuple(covered.tolist()),
               context_coverage=tuple(signals.with_context[start:end].tolist()), sentence_shape=tuple(shaped.tolist()),
               boosted=lift > 0)
