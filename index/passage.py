"""Passages: the answer-sized pieces of an article, each knowing its article, section and position."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from index.document import Article, Block
from index.promo import is_promotional
from index.sentences import split_sentences

EMBED_RECIPE = 2  # bump when embed_text/sentence_embed_texts change: old vectors are then not reused
MAX_WORDS = 110  # a paragraph longer than this is cut into sentence groups
MIN_WORDS = 12  # a paragraph shorter than this joins the next one in its section
LIST_MAX_WORDS = 220  # a list with its lead-in stays whole up to this size


@dataclass(frozen=True)
class Passage:
    """One passage: the sentences that may be quoted, with where they came from."""

    passage_id: str
    article_id: str
    title: str
    url: str
    section: str
    anchor: str
    position: int
    sentences: tuple[str, ...]
    item_starts: tuple[int, ...] = ()  # sentence numbers that begin a list item
    row: bool = False  # one table row stated with its header ("In-office whitening: $450."), quotable as it is

    @property
    def text(self) -> str:
        """The passage as shown to staff and in sources: lists keep one item per line."""
        return self.render(range(len(self.sentences)))

    def render(self, chosen: Iterable[int]) -> str:
        """Some of the passage's sentences, in order, a list item per line ("- ...") as in `text`."""
        parts: list[str] = []
        for i in sorted(set(chosen)):
            if i in self.item_starts:
                parts.append(("\n- " if parts else "- ") + self.sentences[i])
            else:
                parts.append((" " if parts else "") + self.sentences[i])
        return "".join(parts)

    def unit_of(self, i: int) -> int:
        """Which unit (the lead-in is 0, then each list item) sentence `i` belongs to."""
        return sum(1 for start in self.item_starts if start <= i)

    @property
    def embed_text(self) -> str:
        """What is embedded: the passage with its article title and section heading as context."""
        context = self.title if not self.section else f"{self.title}. {self.section}"
        return f"{context}. {' '.join(self.sentences)}"

    @property
    def sentence_embed_texts(self) -> list[str]:
        """What is embedded for each sentence: the sentence under its section heading."""
        if not self.section:
            return list(self.sentences)
        return [f"{self.section}: {s}" for s in self.sentences]

    @property
    def content_hash(self) -> str:
        """Identity of the embedded text: unchanged passages keep their vectors on rebuild."""
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()[:24]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the index folder's passages.jsonl row)."""
        row = asdict(self)
        row["sentences"] = list(self.sentences)
        row["item_starts"] = list(self.item_starts)
        return row

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Passage:
        """Inverse of `to_json`."""
        return cls(**{**row, "sentences": tuple(row["sentences"]), "item_starts": tuple(row["item_starts"])})


def slugify(text: str) -> str:
    """A URL fragment for a section heading."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80] or "top"


def _clean(sentences: list[str]) -> list[str]:
    """Drop calls to action and product plugs; they are never quoted."""
    return [s for s in sentences if not is_promotional(s)]


def _word_count(sentences: list[str]) -> int:
    return sum(len(s.split()) for s in sentences)


class Group(NamedTuple):
    """The sentences of one passage to be, the ones that start a list item, and whether it is a table row."""

    sentences: list[str]
    item_starts: list[int]
    row: bool = False


def _paragraph_groups(blocks: list[Block]) -> list[Group]:
    """Turn a section's blocks into sentence groups of answer size, lists kept with their lead-in."""
    groups: list[Group] = []
    pending: list[str] = []  # a short paragraph waiting to join the next one
    for block in blocks:
        if block.is_row:
            if pending:
                groups.append(Group(pending, []))
                pending = []
            if not is_promotional(block.text):
                groups.append(Group([block.text], [], row=True))  # its own passage, never cut into sentences
            continue
        if block.is_list:
            lead = _clean(split_sentences(block.text))
            items = [_clean(split_sentences(item)) for item in block.items]
            items = [item for item in items if item]
            if pending:
                lead, pending = pending + lead, []
            groups.extend(_list_groups(lead, items))
            continue
        sentences = pending + _clean(split_sentences(block.text))
        pending = []
        if not sentences:
            continue
        if _word_count(sentences) < MIN_WORDS:
            pending = sentences
            continue
        groups.extend(Group(chunk, []) for chunk in _chunk(sentences, MAX_WORDS))
    if pending:
        last = groups[-1] if groups else None
        if last and not last.item_starts and not last.row and _word_count(last.sentences) + _word_count(pending) \
                <= MAX_WORDS:
            last.sentences.extend(pending)
        else:
            groups.append(Group(pending, []))
    return groups


def _list_groups(lead: list[str], items: list[list[str]]) -> list[Group]:
    """A list with its lead-in; a long list is cut into runs of items, each repeating the lead-in."""
    if not items:
        return [Group(lead, [])] if lead else []
    budget = max(LIST_MAX_WORDS - _word_count(lead), 40)
    runs: list[list[list[str]]] = [[]]
    for item in items:
        if runs[-1] and sum(_word_count(i) for i in runs[-1]) + _word_count(item) > budget:
            runs.append([])
        runs[-1].append(item)
    groups: list[Group] = []
    for run in runs:
        sentences, starts = list(lead), []
        for item in run:
            starts.append(len(sentences))
            sentences.extend(item)
        groups.append(Group(sentences, starts))
    return groups


def _chunk(sentences: list[str], limit: int) -> list[list[str]]:
    """Cut a long paragraph into consecutive runs of sentences of about `limit` words."""
    total = _word_count(sentences)
    if total <= limit:
        return [sentences]
    parts = -(-total // limit)
    target = total / parts
    chunks: list[list[str]] = [[]]
    for sentence in sentences:
        if chunks[-1] and _word_count(chunks[-1]) + len(sentence.split()) / 2 > target:
            chunks.append([])
        chunks[-1].append(sentence)
    return chunks


def split_article(article: Article) -> list[Passage]:
    """Cut an article into passages that follow its sections; headings are context only."""
    passages: list[Passage] = []
    for section in article.sections:
        for sentences, item_starts, row in _paragraph_groups(list(section.blocks)):
            position = len(passages)
            passages.append(
                Passage(
                    passage_id=f"{article.article_id}#{position}",
                    article_id=article.article_id,
                    title=article.title,
                    url=article.url,
                    section=section.heading,
                    anchor=slugify(section.heading) if section.heading else "top",
                    position=position,
                    sentences=tuple(sentences),
                    item_starts=tuple(item_starts),
                    row=row,
                )
            )
    return passages
