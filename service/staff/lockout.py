"""Sign-in lockout: after MAX_FAILURES failed sign-ins per user name, or per visitor, sign-in pauses for a while.

Failures are counted in the database over FAILURE_WINDOW, and each failed attempt is answered a little later
than the one before (`slowdown`), so guessing is slow even before the lockout.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from service.staff.passwords import dummy_hash, verify_password
from service.privacy import visitor_hash

MAX_FAILURES = 5  # failed sign-ins per user name, or per visitor, before sign-in pauses
FAILURE_WINDOW = timedelta(minutes=15)
SLOWDOWN_STEP = 0.2  # seconds added to a failed attempt's answer per recent failure …
SLOWDOWN_CAP = 2.0  # … up to this

Outcome = Literal["locked", "ok", "failed"]


@dataclass(frozen=True)
class _Keys:
    user: str
    visitor: str


def _failure_keys(request: Request, user: str) -> _Keys:
    address = request.client.host if request.client else ""
    visitor = visitor_hash(request.app.state.secrets, address, datetime.now(UTC).date().isoformat())
    return _Keys(user=f"user:{user[:64]}", visitor=f"visitor:{visitor}")


def _failures(database: Any, keys: _Keys) -> int:
    return max(int(database.login_failures(key, FAILURE_WINDOW)) for key in (keys.user, keys.visitor))


_attempts = threading.Lock()  # check, verify and record one attempt at a time: parallel guesses cannot slip past


def _attempt(database: Any, keys: _Keys, password: str, stored: str | None) -> tuple[Outcome, int]:
    """("locked" | "ok" | "failed", recent failures); runs in a worker thread."""
    with _attempts:
        failures = _failures(database, keys)
        if failures >= MAX_FAILURES:
            return "locked", failures
        if verify_password(password, stored or dummy_hash()) and stored:
            database.clear_login_failures(keys.user)
            return "ok", 0
        database.add_login_failure(keys.user)
        database.add_login_failure(keys.visitor)
        return "failed", failures + 1


async def attempt(request: Request, user: str, password: str, stored: str | None) -> tuple[Outcome, int]:
    """Check the lockout, then the password against `stored` (None: unknown user), and record a failure.

    Returns the outcome and the recent failures for this user name or visitor, whichever is more.
    """
    return await run_in_threadpool(_attempt, request.app.state.database, _failure_keys(request, user), password,
                                   stored)


def slowdown(failures: int) -> float:
    """Seconds to wait before answering a failed attempt, growing with the recent failures."""
    return min(SLOWDOWN_STEP * failures, SLOWDOWN_CAP)
