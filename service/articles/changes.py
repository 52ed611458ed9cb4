"""What every change to the articles shares: the files, the records, the clock, and one way to change them.

A change runs in `_change()`: a database transaction holding the articles lock, in which the file's version is
checked, the bytes it replaces kept, the audit row written, and then the file written atomically. Each file
written is noted first, so when anything fails before the commit the file is put back as it was: the
database and corpus/ never disagree.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from service.articles.entries import ArticleEntry, EntryReader
from service.articles.errors import ArticleConflict, ArticleNotFound, UploadRefused
from service.articles.files import CorpusFiles, version_of
from service.articles.names import check_name
from service.database import Database, utcnow
from service.storage.article_records import ArticleChanges

Undo = Callable[[str, bytes | None], None]  # note a file (and its bytes before) about to be written


class LibraryBase:
    """The corpus folder, its records and the change machinery the library's operations share."""

    def __init__(self, corpus_dir: Path, database: Database, *, max_bytes: int = 10_000_000, trash_days: int = 30,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.files = CorpusFiles(corpus_dir)
        self.records = database.articles
        self.max_bytes = max_bytes
        self.keep = timedelta(days=trash_days)
        self.clock = clock
        self._reader = EntryReader(self.files)

    def entries(self) -> list[ArticleEntry]:
        """Every article file below corpus/ (the readers' suffixes), sorted by title; unreadable ones with why."""
        with self.records.reading() as records:
            sources = records.sources()
        return self._reader.entries(sources)

    def entry(self, name: str) -> ArticleEntry:
        """One article file (ArticleNotFound when there is none of that name)."""
        name = self._known(name)
        found = next((e for e in self.entries() if e.name == name), None)
        if found is None:
            raise ArticleNotFound(f"no article named {name}")
        return found

    @contextmanager
    def _change(self) -> Iterator[tuple[ArticleChanges, Undo]]:
        """A write under the articles lock; files changed in it are put back if it does not commit."""
        changed: list[tuple[str, bytes | None]] = []
        try:
            with self.records.writing() as records:
                yield records, lambda name, before: changed.append((name, before))
        except BaseException:
            for name, before in reversed(changed):
                self.files.put_back(name, before)
            raise

    def _write(self, records: ArticleChanges, undo: Undo, name: str,
               current: bytes | None, data: bytes, action: str, username: str, now: datetime,
               detail: str = "") -> None:
        """Keep the bytes a change replaces, audit it, and write the file."""
        if current is not None and current != data:
            records.keep_version(name, current, version_of(current), action, username, now)
        records.audit_row(now, username, action, name, detail)
        undo(name, current)
        self.files.write(name, data)

    def _expect(self, name: str, current: bytes | None, expected: str | None, message: str = "") -> None:
        now = version_of(current) if current is not None else ""
        if expected is not None and expected != now:
            raise ArticleConflict(name, now, message)

    def _known(self, name: str) -> str:
        try:
            return check_name(name)
        except UploadRefused:
            raise ArticleNotFound(f"no article named {name}") from None

    def _title(self, name: str) -> str:
        found = next((e for e in self._reader.entries({}) if e.name == name), None)
        return found.title if found else PurePosixPath(name).stem

    def _taken_stems(self) -> set[str]:
        # The reader without the sources: inside a write, no second connection is taken (a pool of one).
        return {s for e in self._reader.entries({}) for s in (PurePosixPath(e.name).stem.lower(), e.article_id.lower())}

    def _refuse_duplicate_id(self, article_id: str, *replaced: str) -> None:
        """UploadRefused when a file other than those `replaced` has this article id (the index skips one)."""
        other = next((e for e in self.entries() if e.article_id == article_id and e.name not in replaced
                      and not e.error), None)
        if other is not None:
            raise UploadRefused(f"its article id '{article_id}' is already {other.name}'s; the index would skip "
                                "one of them: rename the file (or change its id)")

    def _now(self) -> str:
        return self.clock().isoformat(timespec="seconds")
