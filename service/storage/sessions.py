"""Staff sessions on the server: a row per session, so logging out ends it everywhere at once.

The cookie carries only a random id; the table keeps its SHA-256, so a copy of the database cannot be
replayed as a cookie. Each row also keeps a fingerprint of the password hash it was opened with: when a
user's password changes, every session opened with the old one stops working.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from service.storage.backend import Backend


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def credential_fingerprint(stored_hash: str) -> str:
    """A short fingerprint of a user's stored password hash (not the hash itself)."""
    return hashlib.sha256(f"clinicbot credential {stored_hash}".encode()).hexdigest()[:32]


class SessionStore:
    """Open, look up and end staff sessions."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def open(self, user: str, credential: str, lifetime: timedelta, now: datetime) -> str:
        """A new session for `user`; returns the cookie's value (the only place the id exists in clear)."""
        token = secrets.token_urlsafe(32)
        with self.backend.transaction() as tx:
            tx.run("INSERT INTO sessions (id, username, credential, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                   (_digest(token), user, credential, now.isoformat(timespec="seconds"),
                    (now + lifetime).isoformat(timespec="seconds")))
        return token

    def user(self, token: str, credentials: dict[str, str], now: datetime) -> str | None:
        """The user a cookie signs in: the session exists, has not expired and its password is current."""
        if not token or len(token) > 128:
            return None
        with self.backend.read() as tx:
            row = tx.one("SELECT username, credential, expires_at FROM sessions WHERE id = ?", (_digest(token),))
        if row is None or row["expires_at"] <= now.isoformat(timespec="seconds"):
            return None
        user = str(row["username"])
        if credentials.get(user) != row["credential"]:
            return None
        return user

    def end(self, token: str) -> None:
        """Log out: this session is gone for every worker and replica."""
        with self.backend.transaction() as tx:
            tx.run("DELETE FROM sessions WHERE id = ?", (_digest(token),))

    def end_all(self, user: str) -> int:
        """Sign `user` out everywhere; returns how many sessions ended."""
        with self.backend.transaction() as tx:
            return tx.run("DELETE FROM sessions WHERE username = ?", (user,))

    def count(self, user: str, now: datetime) -> int:
        """How many live sessions `user` has."""
        with self.backend.read() as tx:
            row = tx.one("SELECT COUNT(*) AS n FROM sessions WHERE username = ? AND expires_at > ?",
                         (user, now.isoformat(timespec="seconds")))
        return int(row["n"]) if row else 0

    def purge(self, now: datetime) -> int:
        """Delete expired sessions."""
        with self.backend.transaction() as tx:
            return tx.run("DELETE FROM sessions WHERE expires_at <= ?", (now.isoformat(timespec="seconds"),))
