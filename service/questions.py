"""Questions: how one /api/ask becomes a row of the question log (masked, no IP address)."""
from __future__ import annotations

from service.answering.answerer import Answer
from service.database import QuestionRecord, utcnow
from service.privacy import mask, visitor_hash
from service.schemas import AskRequest


def question_record(secret: str, result: Answer, request: AskRequest, address: str,
                    latency_ms: float) -> QuestionRecord:
    """The log's record of one question: its outcome, top source, nearest passage and latency, masked."""
    response, nearest = result.response, result.nearest
    now = utcnow()
    top = response.sources[0] if response.sources else None
    return QuestionRecord(
        id=response.id,
        question=mask(request.question.strip()),
        status=response.status,
        answer=response.answer if response.status == "answered" else "",
        latency_ms=latency_ms,
        conversation_id=request.conversation_id,
        visitor=visitor_hash(secret, address, now.date().isoformat()) if address else "",
        top_article=top.article_id if top else None,
        top_title=top.title if top else None,
        top_score=top.score if top else None,
        nearest_passage=nearest.passage.passage_id if nearest else None,
        nearest_score=round(nearest.score, 4) if nearest else None,
        asked_at=now,
        reason=response.reason,
    )
