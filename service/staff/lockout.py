"""Sign-in pauses that slow guessing without letting a stranger lock a colleague out.

Failures are counted per (user name, client) and per client, where a client is the daily visitor hash of
its address. After FREE_FAILURES failures of one pair (or CLIENT_FREE_FAILURES of one client across user
names), that pair or client must wait before its next attempt, and each further failure doubles the wait,
up to MAX_PAUSE. Nobody else is affected: the right password from another client signs in at once.

A global ceiling slows brute force from many clients: when more than GLOBAL_FAILURES_PER_MINUTE sign-ins
failed in the last minute, every client that has failed recently waits at least GLOBAL_PAUSE after its last
failure. A client that has never failed is never paused.

The check, the password check and the record of one attempt run under one lock per process, so parallel
guesses cannot slip past a pause (across replicas, at most one attempt per replica at a time).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from service.privacy import visitor_hash
from service.staff.passwords import dummy_hash, verify_password

FREE_FAILURES = 3  # failures of one user name from one client before pauses begin (typos happen)
CLIENT_FREE_FAILURES = 10  # failures from one client across user names before that client pauses
FIRST_PAUSE = timedelta(seconds=2)  # the first pause; each further failure doubles it …
MAX_PAUSE = timedelta(minutes=15)  # … up to this
FAILURE_MEMORY = timedelta(hours=1)  # failures older than this are forgotten
GLOBAL_FAILURES_PER_MINUTE = 30  # failed sign-ins per minute from all clients before the ceiling applies
GLOBAL_PAUSE = timedelta(minutes=1)  # under the ceiling, a client that failed waits this long after it

Outcome = Literal["paused", "ok", "failed"]


@dataclass(frozen=True)
class Attempt:
    """What became of a sign-in attempt; `wait` is how long the client must wait before the next one."""

    outcome: Outcome
    wait: timedelta = timedelta(0)


@dataclass(frozen=True)
class _Keys:
    pair: str
    client: str


def _keys(request: Request, user: str) -> _Keys:
    address = request.client.host if request.client else ""
    client = visitor_hash(request.app.state.secrets, address, datetime.now(UTC).date().isoformat())
    return _Keys(pair=f"pair:{user[:64]}|{client}", client=f"client:{client}")


def pause_after(failures: int, free: int) -> timedelta:
    """How long to wait after the last of `failures`: none within `free`, then doubling up to MAX_PAUSE."""
    if failures < free:
        return timedelta(0)
    return min(FIRST_PAUSE * (1 << min(failures - free, 30)), MAX_PAUSE)


def wait_left(database: Any, keys: _Keys, now: datetime) -> timedelta:
    """How much longer this pair or client must wait before it may try again (zero: it may)."""
    waits: list[timedelta] = [timedelta(0)]
    for key, free in ((keys.pair, FREE_FAILURES), (keys.client, CLIENT_FREE_FAILURES)):
        failures: list[datetime] = database.login_failures(key, FAILURE_MEMORY, now)
        if failures:
            waits.append(failures[-1] + pause_after(len(failures), free) - now)
    client_failures: list[datetime] = database.login_failures(keys.client, FAILURE_MEMORY, now)
    if client_failures and database.count_login_failures("client:", timedelta(minutes=1), now) \
            > GLOBAL_FAILURES_PER_MINUTE:
        waits.append(client_failures[-1] + GLOBAL_PAUSE - now)
    return max(waits)


_attempts = threading.Lock()  # check, verify and record one attempt at a time: parallel guesses cannot slip past


def _attempt(database: Any, keys: _Keys, password: str, stored: str | None) -> Attempt:
    """Check the pause, then the password, then record a failure; runs in a worker thread."""
    with _attempts:
        wait = wait_left(database, keys, datetime.now(UTC))
        if wait > timedelta(0):
            return Attempt("paused", wait)
        if verify_password(password, stored or dummy_hash()) and stored:
            database.clear_login_failures(keys.pair)
            return Attempt("ok")
        database.add_login_failure(keys.pair, keys.client)
        return Attempt("failed", wait_left(database, keys, datetime.now(UTC)))


async def attempt(request: Request, user: str, password: str, stored: str | None) -> Attempt:
    """Check the pause, then the password against `stored` (None: unknown user), and record a failure."""
    return await run_in_threadpool(_attempt, request.app.state.database, _keys(request, user), password, stored)
