"""Answerer: one function from a patient's question to a quoted answer, a refusal or an emergency message.

`clinicbot ask` and `POST /api/ask` both call `Answerer.ask`.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from service.privacy import redact
from service.query import Query
from service.retriever import Hit, Retriever
from service.safety import detect_emergency, emergency_message
from service.schemas import AskResponse, SearchHit, SearchResponse, Source, Turn
from service.settings import Settings

SOURCE_MARGIN = 0.08  # another article is listed as a source when it scores this close to the best
CLOSE_SENTENCE = 0.05  # a neighbouring sentence this close to the best one is quoted too
MAX_SENTENCES = 3
NOVEL_QUESTION = 0.85  # when this share of a question's words never occurs in the articles…
STRONG_MATCH = 0.70  # …only a match this strong still counts as an answer ("how much is botox?")
SYNONYM = 0.75  # a word this close to a corpus word is not new ("hurt" ~ "pain", "kids" ~ "children")
_ANAPHORA = re.compile(r"^(this|these|that|those|it|its|they|their|such|here|then|if so|as a result)\b", re.IGNORECASE)
_FOLLOW_UP = re.compile(
    r"^(and|but|so|also|or|then|what about|how about|what if)\b|\b(it|its|this|that|these|those|they|them|there)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Answer:
    """The reply, and the passage nearest the question (None for emergencies and an empty index)."""

    response: AskResponse
    nearest: Hit | None


class QuestionError(ValueError):
    """A question that cannot be asked: empty or too long."""


def validate_question(question: str, max_chars: int) -> str:
    """The question with outer whitespace removed, or QuestionError saying what is wrong."""
    text = question.strip()
    if not text:
        raise QuestionError("the question is empty: type a question")
    if len(text) > max_chars:
        raise QuestionError(f"the question is {len(text)} characters long; the limit is {max_chars}")
    return text


class Answerer:
    """Answers questions from one retriever, with the clinic's settings."""

    def __init__(self, retriever: Retriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings

    def ask(self, question: str, history: Sequence[Turn] = ()) -> AskResponse:
        """Answer a patient's question: emergency first, then a quote from the articles, else a refusal."""
        return self.answer(question, history).response

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """`ask`, plus the nearest passage found, which the question log keeps even for refusals."""
        text = validate_question(question, self.settings.max_question_chars)
        answer_id = uuid.uuid4().hex
        emergency = detect_emergency(text)
        if emergency is not None:
            message = emergency_message(emergency.kind, self.settings.emergency_number, self.settings.clinic_name)
            return Answer(AskResponse(id=answer_id, status="emergency", answer=message, sources=[]), None)
        query = self.retriever.parse(self._in_context(redact(text), history))
        hits = self.retriever.search(query, self.retriever.embed(query.text), k=max(10, self.settings.max_sources * 3))
        best = hits[0] if hits else None
        if best is None or not self._answers(query, best):
            return Answer(AskResponse(id=answer_id, status="no_answer", answer=self.fallback(), sources=[]), best)
        response = AskResponse(
            id=answer_id,
            status="answered",
            answer=" ".join(quote(best, already_said={t.answer for t in history})),
            sources=self._sources(hits),
        )
        return Answer(response, best)

    def search(self, query: str, k: int) -> SearchResponse:
        """Ranked passages for staff, with every sentence's score."""
        text = validate_question(query, self.settings.max_question_chars)
        parsed = self.retriever.parse(text)
        hits = self.retriever.search(parsed, self.retriever.embed(parsed.text), k=k)
        return SearchResponse(query=text, k=k, results=[_search_hit(h) for h in hits])

    def fallback(self) -> str:
        """What the bot says when the articles do not answer: no guess, the clinic's contact details."""
        s = self.settings
        contacts = []
        if s.clinic_phone:
            contacts.append(f"call {s.clinic_phone}")
        if s.clinic_email:
            contacts.append(f"e-mail {s.clinic_email}")
        if s.clinic_booking_url:
            contacts.append(f"visit {s.clinic_booking_url}")
        reach = (", ".join(contacts[:-1]) + " or " + contacts[-1]) if len(contacts) > 1 else "".join(contacts)
        ask = f"please {reach}" if reach else f"please contact {s.clinic_name} directly"
        return (
            f"I couldn't find an answer to that in {s.clinic_name}'s articles, and I won't guess. "
            f"To ask the team, {ask}."
        )

    def _answers(self, query: Query, best: Hit) -> bool:
        """Whether the best hit answers the question, rather than merely sharing its topic."""
        if best.score < self.settings.answer_threshold:
            return False
        if best.score >= STRONG_MATCH:
            return True
        vocabulary = self.retriever.vocabulary
        known = [w for w in query.unknown_words(vocabulary) if self.retriever.nearest_word(w) >= SYNONYM]
        return query.novelty(vocabulary, known) < NOVEL_QUESTION

    def _in_context(self, text: str, history: Sequence[Turn]) -> str:
        """A follow-up ("and does it hurt?") is read together with the question before it."""
        previous = next((t.question.strip() for t in reversed(history) if t.question.strip()), "")
        if not previous or not _FOLLOW_UP.search(text):
            return text
        return f"{previous[: self.settings.max_question_chars]} {text}"

    def _sources(self, hits: list[Hit]) -> list[Source]:
        """The supporting passages, best first, at most one per article."""
        best = hits[0].score
        floor = max(self.settings.answer_threshold, best - SOURCE_MARGIN)
        sources: list[Source] = []
        seen: set[str] = set()
        for hit in hits:
            p = hit.passage
            if p.article_id in seen or hit.score < floor:
                continue
            seen.add(p.article_id)
            sources.append(
                Source(article_id=p.article_id, title=p.title, url=p.url, section=p.section,
                       passage=p.text, score=round(hit.score, 4))
            )
            if len(sources) == self.settings.max_sources:
                break
        return sources


def _quotable(sentence: str) -> bool:
    """A sentence that may stand as an answer: a statement, not a question or a fragment."""
    return not sentence.rstrip("\"'”’) ").endswith("?") and len(sentence.split()) >= 4


def quote(hit: Hit, already_said: Iterable[str] = ()) -> list[str]:
    """The one to three sentences of the hit's passage that answer the question, in reading order.

    The best sentence, any sentence of the same paragraph or list item scoring nearly as well, the sentence
    before one that opens with "This…", and the list item that completes a lead-in ending in ':'.
    Sentences already quoted earlier in the conversation are passed over when the passage has others.
    """
    passage = hit.passage
    sentences, scores = passage.sentences, hit.sentence_scores
    said = " ".join(already_said)
    candidates = [i for i, s in enumerate(sentences) if _quotable(s)]
    if not candidates:
        return [sentences[0]]
    candidates = [i for i in candidates if sentences[i] not in said] or candidates
    best = max(candidates, key=lambda i: scores[i])
    unit = passage.unit_of(best)
    close = sorted((i for i in candidates if passage.unit_of(i) == unit and scores[i] >= scores[best] - CLOSE_SENTENCE),
                   key=lambda i: -scores[i])
    chosen = set(close[:MAX_SENTENCES])
    for i in sorted(chosen):
        # A sentence that opens with "This"/"These"... needs the one before it to make sense.
        if _ANAPHORA.match(sentences[i]) and i > 0 and passage.unit_of(i - 1) == unit and len(chosen) < MAX_SENTENCES:
            chosen.add(i - 1)
    if sentences[best].rstrip().endswith(":") and passage.item_starts:
        # A lead-in ending in ':' is completed by the list item the question is nearest.
        items = [i for i in candidates if passage.unit_of(i) > unit]
        if items and len(chosen) < MAX_SENTENCES:
            chosen.add(max(items, key=lambda i: scores[i]))
    last = max(chosen)
    if last + 1 < len(sentences) and passage.unit_of(last + 1) == unit and _ANAPHORA.match(sentences[last + 1]) \
            and _quotable(sentences[last + 1]) and len(chosen) < MAX_SENTENCES:
        chosen.add(last + 1)  # "…sensation varies. This is normal." reads as one thought
    return [sentences[i] for i in sorted(chosen)]


def _search_hit(hit: Hit) -> SearchHit:
    p = hit.passage
    return SearchHit(
        passage_id=p.passage_id, article_id=p.article_id, title=p.title, url=p.url, section=p.section,
        anchor=p.anchor, passage=p.text, score=round(hit.score, 4), sentences=list(p.sentences),
        sentence_scores=[round(s, 4) for s in hit.sentence_scores],
    )

