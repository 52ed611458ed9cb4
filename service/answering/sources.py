"""Sources: the passages an answer rests on, best first, at most one per article."""
from __future__ import annotations

from service.answering.score import Hit
from service.answering.tuning import Tuning
from service.schemas import Source


def sources(hits: list[Hit], tuning: Tuning, limit: int) -> list[Source]:
    """The best hit's passage, then other articles' passages scoring within `source_margin` of it."""
    if not hits:
        return []
    floor = max(tuning.answer_threshold, hits[0].score - tuning.source_margin)
    found: list[Source] = []
    seen: set[str] = set()
    for n, hit in enumerate(hits):
        p = hit.passage
        if p.article_id in seen or (n and hit.score < floor):
            continue
        seen.add(p.article_id)
        found.append(Source(article_id=p.article_id, title=p.title, url=p.url, section=p.section, passage=p.text,
                            score=round(hit.score, 4)))
        if len(found) == limit:
            break
    return found
