"""Rate-limit counters in the app's own database, as a storage for the `limits` library.

Fixed windows: a key's row holds its hits and when its window ends. One upsert per hit, so every worker
and replica on the same database counts together. Expired rows are deleted by `purge`.
"""
from __future__ import annotations

import time
from typing import Any

from limits.storage import Storage

from service.storage.backend import Backend

_INCREMENT = (
    "INSERT INTO rate_limits (key, hits, expires_at) VALUES (?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET"
    " hits = CASE WHEN rate_limits.expires_at <= ? THEN excluded.hits ELSE rate_limits.hits + excluded.hits END,"
    " expires_at = CASE WHEN rate_limits.expires_at <= ? THEN excluded.expires_at ELSE rate_limits.expires_at END"
    " RETURNING hits"
)


class DatabaseCounters(Storage):
    """`limits` storage over the app's SQLite file or PostgreSQL server."""

    STORAGE_SCHEME = ["clinicbot-database"]  # noqa: RUF012 - limits' registry reads this class attribute

    def __init__(self, backend: Backend, **options: Any) -> None:
        super().__init__(None, wrap_exceptions=False)
        self.backend = backend

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return Exception

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self.backend.transaction() as tx:
            row = tx.one(_INCREMENT, (key, amount, now + expiry, now, now))
        return int(row["hits"]) if row else amount

    def get(self, key: str) -> int:
        with self.backend.read() as tx:
            row = tx.one("SELECT hits FROM rate_limits WHERE key = ? AND expires_at > ?", (key, time.time()))
        return int(row["hits"]) if row else 0

    def get_expiry(self, key: str) -> float:
        with self.backend.read() as tx:
            row = tx.one("SELECT expires_at FROM rate_limits WHERE key = ?", (key,))
        return float(row["expires_at"]) if row else time.time()

    def check(self) -> bool:
        with self.backend.read() as tx:
            return tx.one("SELECT 1 AS ok") is not None

    def reset(self) -> int | None:
        with self.backend.transaction() as tx:
            return tx.run("DELETE FROM rate_limits")

    def clear(self, key: str) -> None:
        with self.backend.transaction() as tx:
            tx.run("DELETE FROM rate_limits WHERE key = ?", (key,))

    def purge(self) -> int:
        """Delete the rows of windows that have ended."""
        with self.backend.transaction() as tx:
            return tx.run("DELETE FROM rate_limits WHERE expires_at <= ?", (time.time(),))
