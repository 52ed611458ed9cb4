"""Articles: the clinic's writing as read from `corpus/`, before it is cut into passages."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm")


class ArticleError(ValueError):
    """An article file that cannot be read; the message says why."""


@dataclass(frozen=True)
class Block:
    """One block of body text: a paragraph, or a list with its lead-in sentence."""

    text: str
    items: tuple[str, ...] = ()  # list items (without bullets) when the block is a list

    @property
    def is_list(self) -> bool:
        return bool(self.items)


@dataclass(frozen=True)
class Section:
    """A heading (empty for the text before the first heading) and the blocks under it."""

    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Article:
    """One article: identity, metadata and its sections in reading order."""

    article_id: str
    title: str
    sections: tuple[Section, ...]
    url: str = ""
    date: str = ""
    source_path: str = ""
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SkippedFile:
    """A corpus file that was not indexed, and why."""

    path: str
    reason: str


def load_corpus(corpus_dir: Path) -> tuple[list[Article], list[SkippedFile]]:
    """Read every supported file below `corpus_dir`; unreadable files are skipped with a reason."""
    from index.formats import read_article  # local import: formats depends on this module

    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
    articles: list[Article] = []
    skipped: list[SkippedFile] = []
    seen: dict[str, str] = {}
    for path in sorted(corpus_dir.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(SkippedFile(str(path), f"unsupported file type '{path.suffix}'"))
            continue
        try:
            article = read_article(path)
        except ArticleError as exc:
            skipped.append(SkippedFile(str(path), str(exc)))
            continue
        if article.article_id in seen:
            reason = f"duplicate article id '{article.article_id}' (already used by {seen[article.article_id]})"
            skipped.append(SkippedFile(str(path), reason))
            continue
        seen[article.article_id] = str(path)
        articles.append(article)
    for item in skipped:
        log.warning("skipped %s: %s", item.path, item.reason)
    return articles, skipped
