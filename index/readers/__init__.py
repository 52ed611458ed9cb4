"""Readers: one module per file format, found by suffix; a new format is one new module in this package.

Each module declares `SUFFIXES` (lower-case, with the dot) and `read(raw: bytes) -> Article`, and imports only
the shared document model (index/document.py). `read_article` picks the reader, checks the result and gives
the article its id and title from the file name when the file has none.
"""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from collections.abc import Callable
from pathlib import Path

from index.document import Article, ArticleError, collapse_ws

Reader = Callable[[bytes], Article]
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,120}")


def _registry() -> dict[str, Reader]:
    readers: dict[str, Reader] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for suffix in getattr(module, "SUFFIXES", ()):
            readers[suffix] = module.read
    return readers


READERS: dict[str, Reader] = _registry()
SUPPORTED_SUFFIXES = tuple(sorted(READERS))


def read_article(path: Path) -> Article:
    """Read and parse one corpus file; raise ArticleError saying why if it has no usable text."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ArticleError(f"unsupported file type '{path.suffix}'")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"cannot read file: {exc.strerror or exc}") from None
    if not raw.strip():
        raise ArticleError("file is empty")
    article = reader(raw)
    if not article.sections:
        raise ArticleError("no text found")
    return dataclasses.replace(
        article,
        article_id=_article_id(article.article_id, path.stem),
        title=article.title or _readable_stem(path.stem),
        source_path=str(path),
    )


def _article_id(candidate: str, stem: str) -> str:
    if _VALID_ID.fullmatch(candidate) and any(c.isalnum() for c in candidate):
        return candidate
    if _VALID_ID.fullmatch(stem) and any(c.isalnum() for c in stem):
        return stem
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:120].strip("-")
    return slug or "article"


def _readable_stem(stem: str) -> str:
    words = collapse_ws(re.sub(r"[-_.]+", " ", stem)) or "untitled"
    return words[:1].upper() + words[1:]
