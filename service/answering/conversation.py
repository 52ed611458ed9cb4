"""Conversation: which article a follow-up is about.

"ok and how long?" after "does a root canal hurt?" is about the root-canal article: its passages are lifted,
unless the follow-up names a topic of its own that another article covers and this one does not ("and for
kids?" after a question about cleanings moves to the children's article).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from service.answering.score import Hit, coverage, score_hits
from service.answering.tuning import Tuning
from service.answering.understand import Question, understand
from service.schemas import Turn

if TYPE_CHECKING:
    from service.answering.answerer import Answerer

def conversation_article(history: Sequence[Turn], answerer: Answerer) -> str | None:
    """The article the conversation is about: where the last answer was quoted from, else where its question leads."""
    last = next((t for t in reversed(history) if t.question.strip()), None)
    if last is None:
        return None
    if last.answer.strip():
        for passage in answerer.retriever.stored.passages:
            if any(s in last.answer for s in passage.sentences if len(s) > 20):
                return passage.article_id
    q = understand(last.question.strip()[: answerer.settings.max_question_chars], (), answerer.speller)
    vector = answerer.retriever.embed([q.text])[0]
    hits = score_hits(q, vector, answerer.retriever.candidates(q, vector, answerer.tuning), answerer.retriever,
                      answerer.tuning)
    return hits[0].article_id if hits and hits[0].score >= answerer.tuning.answer_threshold else None


def conversation_boost(q: Question, hits: list[Hit], history: Sequence[Turn], answerer: Answerer,
                       tuning: Tuning) -> dict[str, float]:
    """{article: lift} for the conversation's article when the follow-up stays on its topic; else nothing.

    The follow-up names a topic of its own when the conversation's article lacks one of its words (or a close
    synonym) that another article found for it has: "and for kids?" after a question about cleanings.
    """
    if not q.follow_up or not hits or tuning.followup_boost <= 0:
        return {}
    article = conversation_article(history, answerer)
    if article is None:
        return {}
    r = answerer.retriever
    here = coverage(q, r.article_stems[article], r.vocabulary, q.own_terms) if q.own_terms else 1.0
    if here < 1.0:
        elsewhere = max((coverage(q, r.article_stems[h.article_id], r.vocabulary, q.own_terms)
                         for h in hits if h.article_id != article), default=0.0)
        if elsewhere > here:
            return {}
    return {article: tuning.followup_boost}
