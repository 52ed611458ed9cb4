"""The article list staff see: every file below corpus/ with what the index makes of it, or why it cannot.

Each file is read by the real readers, as the indexer reads it; a later file whose article id an earlier one
already has is flagged as the indexer skips it. What a file yields is kept in memory by its name and version
(the SHA-256 of its bytes), so listing again re-reads only files that changed, by staff or by hand.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from index.document import ArticleError
from index.passage import split_article
from service.articles.files import CorpusFiles, version_of
from service.articles.names import format_of
from service.articles.preview import read_bytes_as_article


@dataclass(frozen=True)
class ArticleEntry:
    """One file below corpus/ and what the index makes of it."""

    name: str  # the path relative to corpus/, e.g. "fees.md" or "sub/x.pdf"
    article_id: str
    title: str
    format: str  # "md", "txt", "html", "pdf", "docx"
    sections: int
    passages: int
    date: str
    url: str  # the address the file states, which answers link to
    size: int
    modified: str  # ISO 8601 UTC
    version: str  # SHA-256 of the file's bytes: the edit-conflict token
    error: str = ""  # why the readers cannot read it (then it is not indexed)
    source_url: str = ""  # the page it was imported from, if it was


@dataclass(frozen=True)
class _Summary:
    article_id: str
    title: str
    sections: int
    passages: int
    date: str
    url: str
    error: str


def _summarise(name: str, data: bytes) -> _Summary:
    """What the readers make of these bytes (the ones the version was taken of, not the file read again)."""
    stem = PurePosixPath(name).stem
    try:
        article = read_bytes_as_article(name, data)
    except ArticleError as exc:
        return _Summary(stem, stem, 0, 0, "", "", str(exc))
    except Exception as exc:  # a reader's library failing on a malformed file: listed, not fatal
        return _Summary(stem, stem, 0, 0, "", "", f"{type(exc).__name__}: {exc}")
    return _Summary(article.article_id, article.title, len(article.sections), len(split_article(article)),
                    article.date, article.url, "")


class EntryReader:
    """Lists the corpus, remembering what each version of each file yields."""

    def __init__(self, files: CorpusFiles) -> None:
        self.files = files
        self._seen: dict[tuple[str, str], _Summary] = {}
        self._lock = threading.Lock()

    def entries(self, sources: dict[str, str]) -> list[ArticleEntry]:
        """Every article file, sorted by title; `sources` maps imported files to their page's address."""
        found: list[ArticleEntry] = []
        kept: dict[tuple[str, str], _Summary] = {}
        ids: dict[str, str] = {}
        for name in self.files.names():
            data = self.files.read(name)
            if data is None:
                continue  # deleted while listing
            key = (name, version_of(data))
            with self._lock:
                summary = self._seen.get(key)
            if summary is None:
                summary = _summarise(name, data)
            kept[key] = summary
            entry = self._entry(name, data, summary, sources.get(name, ""))
            if not entry.error and entry.article_id in ids:
                entry = replace(entry, error=f"duplicate article id '{entry.article_id}' (already used by "
                                             f"{ids[entry.article_id]}): not indexed")
            elif not entry.error:
                ids[entry.article_id] = name
            found.append(entry)
        with self._lock:
            self._seen = kept  # only the versions there now
        return sorted(found, key=lambda e: (e.title.casefold(), e.name))

    def _entry(self, name: str, data: bytes, summary: _Summary, source_url: str) -> ArticleEntry:
        try:
            modified = self.files.modified(name)[1]
        except FileNotFoundError:
            modified = ""
        return ArticleEntry(name=name, article_id=summary.article_id, title=summary.title, format=format_of(name),
                            sections=summary.sections, passages=summary.passages, date=summary.date,
                            url=summary.url, size=len(data), modified=modified, version=version_of(data),
                            error=summary.error, source_url=source_url)
