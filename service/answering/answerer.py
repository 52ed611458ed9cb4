"""Answerer: a patient's question through the pipeline, to a quoted answer, a refusal or an emergency message.

    safety -> understand -> retrieve -> score -> decide -> quote -> sources

each stage a module of this package. `clinicbot ask` and `POST /api/ask` both call `Answerer.answer`.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from index.embedder import cache_key
from service.answering import replies
from service.answering.decide import Decision, decide, explain, priced_first
from service.answering.quote import answer_text, quote
from service.answering.retrieve import Retriever
from service.answering.safety import HARD_ADVICE, Safety, Verdict, bank_cache
from service.answering.score import Hit, score_hits
from service.answering.sources import sources
from service.answering.spelling import Speller
from service.answering.understand import Question, understand, with_synonyms, words_needing_vectors
from service.answering.conversation import conversation_boost
from service.schemas import AskResponse, Reason, SearchHit, SearchResponse, Turn, clean_text
from service.settings import Settings

# A diagnosis or medication question is answered only by a quote that names what was asked, closely.
STRICT = {"answer_confidence": 0.6}


@dataclass(frozen=True)
class Answer:
    """The reply, and what led to it: the safety verdict, the decision with its signals, the passages found."""

    response: AskResponse
    nearest: Hit | None
    verdict: Verdict | None = None
    decision: Decision | None = None
    question: Question | None = None
    hits: tuple[Hit, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per stage


class QuestionError(ValueError):
    """A question that cannot be asked: empty or too long."""


def check_length(chars: int, max_chars: int) -> None:
    """QuestionError when a question of `chars` characters is over the limit."""
    if chars > max_chars:
        raise QuestionError(f"the question is {chars} characters long; the limit is {max_chars}")


def validate_question(question: str, max_chars: int) -> str:
    """The question cleaned (`clean_text`) and stripped, or QuestionError saying what is wrong."""
    try:
        text = clean_text(question).strip()
    except ValueError as exc:
        raise QuestionError(f"the question {exc}") from exc
    if not text:
        raise QuestionError("the question is empty: type a question")
    check_length(len(text), max_chars)
    return text


CACHED_HITS = 10  # hits a remembered answer keeps: the staff search's default page


class Stopwatch:
    """Milliseconds spent in each stage of one answer."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        """The time since the previous lap belongs to `stage`."""
        now = time.perf_counter()
        self.ms[stage] = self.ms.get(stage, 0.0) + (now - self._last) * 1000
        self._last = now


class Answerer:
    """Answers questions from one retriever, with the clinic's settings."""

    def __init__(self, retriever: Retriever, settings: Settings, safety: Safety | None = None) -> None:
        self.retriever = retriever
        self.settings = settings
        self.tuning = settings.tuning
        self.safety = safety or Safety.load(retriever, self.tuning, bank_cache(retriever.stored.path))
        self.speller = Speller(retriever.vocabulary.counts, self.safety.words())
        self._answers: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], Answer] = OrderedDict()
        self._lock = threading.Lock()

    def ask(self, question: str, history: Sequence[Turn] = ()) -> AskResponse:
        """Answer a patient's question: emergency first, then a quote from the articles, else a refusal."""
        return self.answer(question, history).response

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """The pipeline, or the same question's earlier answer (with a new id): the index does not change under it."""
        key = (cache_key(question), tuple((cache_key(t.question), t.answer) for t in history))
        with self._lock:
            known = self._answers.get(key)
            if known is not None:
                self._answers.move_to_end(key)
        if known is not None:
            fresh = known.response.model_copy(update={"id": uuid.uuid4().hex})
            return replace(known, response=fresh, timings={})
        result = self._answer(question, history)
        with self._lock:
            # The cache keeps only the best hits, so 2,048 remembered answers stay a few megabytes.
            self._answers[key] = replace(result, hits=result.hits[:CACHED_HITS])
            while len(self._answers) > self.settings.query_cache_size:
                self._answers.popitem(last=False)
        return result

    def _answer(self, question: str, history: Sequence[Turn]) -> Answer:
        """The pipeline: safety -> understand -> retrieve -> score -> decide -> quote -> sources."""
        clock = Stopwatch()
        q = understand(validate_question(question, self.settings.max_question_chars), history, self.speller)
        vectors = self._embed(q)
        clock.lap("understand")
        verdict = self.safety.check(_distinct(q.typed, q.repaired), vectors.of(q.repaired))
        clock.lap("safety")
        if verdict.emergency:
            return Answer(self._emergency(verdict), None, verdict, question=q, timings=clock.ms)
        q = with_synonyms(q, self.retriever.vocabulary, vectors.by_text, self.tuning.synonym_similarity,
                          self.tuning.rare_synonym_similarity, self.tuning.lay_similarity)
        hits = self._hits(q, vectors.search, history, vectors.of(q.repaired)[0] if q.follow_up else None)
        clock.lap("retrieve")
        decision = self._decide(q, hits, verdict)
        quoted = quote(hits[0], self.tuning, [t.answer for t in history], q.typed) if decision.answer else []
        clock.lap("decide")
        if not quoted:
            reason: Reason = "medical_advice" if verdict.advice else (decision.reason or "not_covered")
            return Answer(self._refuse(reason), hits[0] if hits else None, verdict, decision, q, tuple(hits), clock.ms)
        response = AskResponse(id=uuid.uuid4().hex, status="answered", answer=answer_text(hits[0], quoted),
                               sources=sources(hits, self.tuning, self.settings.max_sources))
        return Answer(response, hits[0], verdict, decision, q, tuple(hits), clock.ms)

    def search(self, query: str, k: int) -> SearchResponse:
        """Ranked passages for staff, with every sentence's score, and why the bot answers as it does."""
        result = self.answer(query)
        # An emergency stops before retrieval, a remembered answer keeps its best hits: rank again for more.
        hits = list(result.hits) if len(result.hits) >= k else self.rank(query)[0]
        return SearchResponse(query=query.strip(), k=k, results=[_search_hit(h) for h in hits[:k]],
                              decision=explain(result.response, result.verdict, result.decision, self.tuning))

    def rank(self, question: str) -> tuple[list[Hit], dict[str, float]]:
        """The passages for a question, best first, and ms per stage: retrieval alone (no safety, no decision)."""
        clock = Stopwatch()
        q = understand(validate_question(question, self.settings.max_question_chars), (), self.speller)
        clock.lap("understand")
        vectors = self._embed(q)
        clock.lap("embed")
        q = with_synonyms(q, self.retriever.vocabulary, vectors.by_text, self.tuning.synonym_similarity,
                          self.tuning.rare_synonym_similarity, self.tuning.lay_similarity)
        hits = self._hits(q, vectors.search, ())
        clock.lap("retrieve")
        return hits, clock.ms

    def fallback(self) -> str:
        """What the bot says when the articles do not answer: no guess, the clinic's contact details."""
        return replies.fallback(self.settings)

    def _embed(self, q: Question) -> Vectors:
        """One batch: the text to search with, the message as repaired, and the words the articles never use."""
        texts = _distinct(q.text, q.repaired, *words_needing_vectors(q, self.retriever.vocabulary))
        matrix = self.retriever.embed(texts)
        return Vectors({cache_key(t): v for t, v in zip(texts, matrix, strict=True)}, cache_key(q.text))

    def _decide(self, q: Question, hits: list[Hit], verdict: Verdict) -> Decision:
        """Dose and cure questions are refused; a diagnosis or medication question needs a close quote."""
        if verdict.advice in HARD_ADVICE:
            return Decision(False, "medical_advice", f"asks for medical advice ({verdict.advice})", {})
        tuning = self.tuning.model_copy(update=STRICT) if verdict.advice else self.tuning
        return decide(q, hits, self.retriever.vocabulary, tuning)

    def _hits(self, q: Question, vector: np.ndarray, history: Sequence[Turn],
              alone: np.ndarray | None = None) -> list[Hit]:
        """Retrieve and score; a follow-up that stays on the conversation's topic is scored again, lifted."""
        candidates = self.retriever.candidates(q, vector, self.tuning)
        hits = score_hits(q, vector, candidates, self.retriever, self.tuning, alone=alone)
        boost = conversation_boost(q, hits, history, self, self.tuning)
        if boost:
            hits = score_hits(q, vector, candidates, self.retriever, self.tuning, boost, alone)
        return priced_first(q, hits, self.retriever.vocabulary, self.tuning)

    def _refuse(self, reason: Reason) -> AskResponse:
        text = replies.medical_advice(self.settings) if reason == "medical_advice" else self.fallback()
        return AskResponse(id=uuid.uuid4().hex, status="no_answer", answer=text, sources=[], reason=reason)

    def _emergency(self, verdict: Verdict) -> AskResponse:
        s = self.settings
        message = replies.emergency_message(verdict.emergency or "", s.emergency_number, s.clinic_name)
        if verdict.guidance is not None:
            message += f" {s.clinic_name.capitalize() if s.clinic_name else 'The clinic'}'s advice: " \
                       f"\u201c{verdict.guidance.guidance}\u201d"
        return AskResponse(id=uuid.uuid4().hex, status="emergency", answer=message, sources=[])


@dataclass(frozen=True)
class Vectors:
    """The vectors one question needed, embedded in one batch, by text."""

    by_text: dict[str, np.ndarray]
    search_key: str

    @property
    def search(self) -> np.ndarray:
        """The vector retrieval searches with (the question in context)."""
        return self.by_text[self.search_key]

    def of(self, *texts: str) -> np.ndarray:
        """The vectors of these texts (repeats once), one per row."""
        return np.stack([self.by_text[cache_key(t)] for t in _distinct(*texts)])


def _distinct(*texts: str) -> list[str]:
    """The texts without repeats (compared as the embedding cache compares them), in order."""
    seen: dict[str, str] = {}
    for text in texts:
        seen.setdefault(cache_key(text), text)
    return list(seen.values())


def _search_hit(hit: Hit) -> SearchHit:
    p = hit.passage
    return SearchHit(
        passage_id=p.passage_id, article_id=p.article_id, title=p.title, url=p.url, section=p.section,
        anchor=p.anchor, passage=p.text, score=round(hit.score, 4), sentences=list(p.sentences),
        sentence_scores=[round(s, 4) for s in hit.sentence_scores],
    )
