"""Failed staff sign-ins: a row per failure and key (a user name and client pair, or a client).

`LoginFailures` works inside a transaction the caller opens: a plain one, or `Database.sign_in()`'s, which
also holds SIGN_IN_LOCK so that one attempt's check and record exclude every other attempt's, in every
thread, worker and replica (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE already serialises
writers). Times are kept to the microsecond, so one attempt's row can be told from another's and forgotten
alone (ISO 8601 strings with the same offset sort as the times do, older second-precision rows included).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from service.storage.backend import Tx

SIGN_IN_LOCK = "clinicbot sign-in"


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


class LoginFailures:
    """The login failures as one transaction sees them."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def times(self, key: str, window: timedelta, now: datetime) -> list[datetime]:
        """When `key` failed within the `window` before `now`, oldest first."""
        rows = self.tx.rows("SELECT at FROM login_failures WHERE key = ? AND at >= ? ORDER BY at",
                            (key, _stamp(now - window)))
        return [datetime.fromisoformat(row["at"]) for row in rows]

    def count(self, prefix: str, window: timedelta, now: datetime) -> int:
        """Failures of every key starting with `prefix` within the `window` before `now`."""
        row = self.tx.one("SELECT COUNT(*) AS n FROM login_failures WHERE key LIKE ? AND at >= ?",
                          (prefix + "%", _stamp(now - window)))
        return int(row["n"]) if row else 0

    def add(self, *keys: str, at: datetime) -> None:
        """Record one failure at `at` under each of `keys`."""
        for key in keys:
            self.tx.run("INSERT INTO login_failures (key, at) VALUES (?, ?)", (key, _stamp(at)))

    def clear(self, key: str) -> None:
        """Forget every failure of `key` (after a successful sign-in)."""
        self.tx.run("DELETE FROM login_failures WHERE key = ?", (key,))

    def forget(self, key: str, at: datetime) -> None:
        """Forget the failure of `key` recorded at `at`: an attempt counted before its password proved right."""
        self.tx.run("DELETE FROM login_failures WHERE key = ? AND at = ?", (key, _stamp(at)))
