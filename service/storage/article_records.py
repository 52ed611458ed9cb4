"""The database side of staff changes to the articles: earlier versions, the trash, upload drafts, the
addresses imported pages came from, and the audit log. The articles themselves stay files in corpus/.

Every change runs in `ArticleRecords.writing()`: one transaction holding ARTICLES_LOCK (PostgreSQL: an
advisory lock; SQLite's BEGIN IMMEDIATE already serialises writers), so two workers or replicas never
interleave their check of a file's version, its history row and the file write. Ids of versions, trash items
and audit rows come from `article_sequences` under that lock, and are never reused (a stale link to a purged
trash item finds nothing rather than another item). File bytes are BYTEA (SQLite keeps a blob).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from service.storage.backend import Backend, Tx

ARTICLES_LOCK = "clinicbot articles"


@dataclass(frozen=True)
class Version:
    """An earlier version of an article: its bytes as they were just before `action` by `username` at `at`."""

    id: int
    name: str
    action: str
    username: str
    at: str
    version: str  # the SHA-256 of those bytes
    size: int


@dataclass(frozen=True)
class TrashItem:
    """A deleted article, kept until `expires_at`."""

    id: int
    name: str
    title: str
    username: str
    deleted_at: str
    expires_at: str


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to which article, and when."""

    id: int
    at: str
    username: str
    action: str
    name: str
    detail: str


@dataclass(frozen=True)
class StoredDraft:
    """An upload waiting to be published: where it goes and its preview as JSON (its bytes apart)."""

    id: str
    name: str
    username: str
    created_at: str
    source_url: str
    replaces: str  # the version of the file it replaces when staged ("": a new file)
    preview: str
    size: int


_VERSION = "SELECT id, name, action, username, at, version, size FROM article_versions"
_TRASH = "SELECT id, name, title, username, deleted_at FROM article_trash"
_DRAFT = "SELECT id, name, username, created_at, source_url, replaces, preview, size FROM article_drafts"


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


class ArticleReads:
    """Reads of the records, inside any transaction or read."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def history(self, name: str) -> list[Version]:
        """Earlier versions of `name`, newest first."""
        return [Version(**row) for row in self.tx.rows(f"{_VERSION} WHERE name = ? ORDER BY id DESC", (name,))]

    def version(self, version_id: int) -> tuple[Version, bytes] | None:
        """One earlier version and its bytes."""
        row = self.tx.one(f"{_VERSION.replace(' FROM', ', data FROM')} WHERE id = ?", (version_id,))
        return None if row is None else (Version(**{k: v for k, v in row.items() if k != "data"}), bytes(row["data"]))

    def trash(self, keep: timedelta) -> list[TrashItem]:
        """The trash, newest first; `keep` says when each item expires."""
        return [_trash_item(row, keep) for row in self.tx.rows(f"{_TRASH} ORDER BY id DESC")]

    def trash_item(self, item_id: int, keep: timedelta) -> tuple[TrashItem, bytes] | None:
        """One trash item and the deleted file's bytes."""
        row = self.tx.one(f"{_TRASH.replace(' FROM', ', data FROM')} WHERE id = ?", (item_id,))
        return None if row is None else (_trash_item(row, keep), bytes(row["data"]))

    def drafts(self) -> list[StoredDraft]:
        """Uploads waiting to be published, newest first."""
        return [StoredDraft(**row) for row in self.tx.rows(f"{_DRAFT} ORDER BY created_at DESC, id")]

    def draft(self, draft_id: str) -> tuple[StoredDraft, bytes] | None:
        """One draft and its bytes."""
        row = self.tx.one(f"{_DRAFT.replace(' FROM', ', data FROM')} WHERE id = ?", (draft_id,))
        if row is None:
            return None
        return StoredDraft(**{k: v for k, v in row.items() if k != "data"}), bytes(row["data"])

    def source_name(self, url: str) -> str | None:
        """The article an imported page's address was saved as."""
        row = self.tx.one("SELECT name FROM article_sources WHERE url = ?", (url,))
        return None if row is None else str(row["name"])

    def sources(self) -> dict[str, str]:
        """Every article imported from a page: its name and the page's address."""
        return {str(r["name"]): str(r["url"]) for r in self.tx.rows("SELECT url, name FROM article_sources"
                                                                    " ORDER BY updated_at, url")}

    def audit(self, limit: int) -> list[AuditEntry]:
        """The newest `limit` audit rows, newest first."""
        rows = self.tx.rows("SELECT id, at, username, action, name, detail FROM article_audit"
                            " ORDER BY id DESC LIMIT ?", (max(0, limit),))
        return [AuditEntry(**row) for row in rows]


def _trash_item(row: dict[str, Any], keep: timedelta) -> TrashItem:
    deleted = str(row["deleted_at"])
    expires = _stamp(datetime.fromisoformat(deleted) + keep)
    return TrashItem(id=int(row["id"]), name=str(row["name"]), title=str(row["title"]),
                     username=str(row["username"]), deleted_at=deleted, expires_at=expires)


class ArticleChanges(ArticleReads):
    """The records inside a write transaction that holds ARTICLES_LOCK."""

    def _next_id(self, kind: str) -> int:
        row = self.tx.one("INSERT INTO article_sequences (name, value) VALUES (?, 1) ON CONFLICT (name)"
                          " DO UPDATE SET value = article_sequences.value + 1 RETURNING value", (kind,))
        assert row is not None
        return int(row["value"])

    def keep_version(self, name: str, data: bytes, version: str, action: str, username: str, at: datetime) -> int:
        """Keep a file's bytes as they were before `action`; the new version's id."""
        version_id = self._next_id("version")
        self.tx.run("INSERT INTO article_versions (id, name, action, username, at, version, size, data)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (version_id, name, action, username, _stamp(at), version, len(data), data))
        return version_id

    def put_trash(self, name: str, title: str, data: bytes, version: str, username: str, at: datetime) -> int:
        """Keep a deleted file's bytes in the trash; the item's id."""
        item_id = self._next_id("trash")
        self.tx.run("INSERT INTO article_trash (id, name, title, username, deleted_at, version, size, data)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (item_id, name, title, username, _stamp(at), version, len(data), data))
        return item_id

    def drop_trash(self, item_id: int) -> None:
        """Remove an item from the trash (it was restored)."""
        self.tx.run("DELETE FROM article_trash WHERE id = ?", (item_id,))

    def put_draft(self, draft: StoredDraft, data: bytes) -> None:
        """Keep an upload until it is published or discarded."""
        self.tx.run("INSERT INTO article_drafts (id, name, username, created_at, source_url, replaces, preview,"
                    " size, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (draft.id, draft.name, draft.username, draft.created_at, draft.source_url, draft.replaces,
                     draft.preview, draft.size, data))

    def drop_draft(self, draft_id: str) -> int:
        """Forget a draft; how many rows went (0: there was none)."""
        return self.tx.run("DELETE FROM article_drafts WHERE id = ?", (draft_id,))

    def set_source(self, url: str, name: str, at: datetime) -> None:
        """Remember that the page at `url` is saved as `name`."""
        self.tx.run("INSERT INTO article_sources (url, name, updated_at) VALUES (?, ?, ?) ON CONFLICT (url)"
                    " DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at", (url, name, _stamp(at)))

    def audit_row(self, at: datetime, username: str, action: str, name: str, detail: str = "") -> int:
        """Record one action in the audit log; its id."""
        audit_id = self._next_id("audit")
        self.tx.run("INSERT INTO article_audit (id, at, username, action, name, detail) VALUES (?, ?, ?, ?, ?, ?)",
                    (audit_id, _stamp(at), username, action, name, detail))
        return audit_id

    def purge(self, before: datetime) -> int:
        """Delete trash items and drafts made before `before`; how many went."""
        cutoff = _stamp(before)
        return (self.tx.run("DELETE FROM article_trash WHERE deleted_at < ?", (cutoff,))
                + self.tx.run("DELETE FROM article_drafts WHERE created_at < ?", (cutoff,)))


class ArticleRecords:
    """Versions, trash, drafts, sources and the audit log of the articles, in the app's database."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @contextmanager
    def writing(self) -> Iterator[ArticleChanges]:
        """A write transaction holding ARTICLES_LOCK: one change to the articles at a time, everywhere."""
        with self.backend.transaction() as tx:
            tx.lock(ARTICLES_LOCK)
            yield ArticleChanges(tx)

    @contextmanager
    def reading(self) -> Iterator[ArticleReads]:
        """Reads that wait for no writer."""
        with self.backend.read() as tx:
            yield ArticleReads(tx)
