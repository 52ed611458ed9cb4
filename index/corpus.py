"""Corpus: every readable file below the corpus folder, as articles; the rest skipped with a reason."""
from __future__ import annotations

import logging
from pathlib import Path

from index.document import Article, ArticleError, SkippedFile
from index.readers import SUPPORTED_SUFFIXES, read_article

log = logging.getLogger(__name__)


def load_corpus(corpus_dir: Path) -> tuple[list[Article], list[SkippedFile]]:
    """Read every supported file below `corpus_dir`; unreadable files are skipped with a warning and a reason."""
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
