"""Sign-in pauses that slow guessing without letting a stranger lock a colleague out.

Failures are counted per (user name, client) and per client, where a client is the daily visitor hash of
its address. After FREE_FAILURES failures of one pair (or CLIENT_FREE_FAILURES of one client across user
names), that pair or client must wait before its next attempt, and each further failure doubles the wait,
up to MAX_PAUSE. Nobody else is affected: the right password from another client signs in at once.

A global ceiling slows brute force from many clients: when more than GLOBAL_FAILURES_PER_MINUTE sign-ins
failed in the last minute, every client that has failed recently waits at least GLOBAL_PAUSE after its last
failure. A client that has never failed is never paused.

Parallel guesses cannot slip past a pause, whichever thread, worker or replica they reach: an attempt's
check and its record run in one database transaction holding the sign-in lock (`Database.sign_in`), and
the attempt is recorded as a failure before its password is checked, then forgotten if the password was
right. The argon2 check (about 0.3 s) runs outside that transaction, so a sign-in never holds up the
database's other writers (on SQLite the lock is the database's one write lock).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from service.database import Database
from service.privacy import visitor_hash
from service.staff.passwords import dummy_hash, verify_password
from service.storage.login_failures import LoginFailures

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


def wait_left(failures: LoginFailures, keys: _Keys, now: datetime) -> timedelta:
    """How much longer this pair or client must wait before it may try again (zero: it may)."""
    waits: list[timedelta] = [timedelta(0)]
    for key, free in ((keys.pair, FREE_FAILURES), (keys.client, CLIENT_FREE_FAILURES)):
        times = failures.times(key, FAILURE_MEMORY, now)
        if times:
            waits.append(times[-1] + pause_after(len(times), free) - now)
    client_failures = failures.times(keys.client, FAILURE_MEMORY, now)
    if client_failures and failures.count("client:", timedelta(minutes=1), now) > GLOBAL_FAILURES_PER_MINUTE:
        waits.append(client_failures[-1] + GLOBAL_PAUSE - now)
    return max(waits)


def _attempt(database: Database, keys: _Keys, password: str, stored: str | None) -> Attempt:
    """Check the pause and count the attempt under the sign-in lock, then the password; runs in a worker thread."""
    with database.sign_in() as failures:
        now = datetime.now(UTC)
        wait = wait_left(failures, keys, now)
        if wait > timedelta(0):
            return Attempt("paused", wait)
        failures.add(keys.pair, keys.client, at=now)  # a parallel guess sees this attempt from now on
        wait_if_wrong = wait_left(failures, keys, now)
    if verify_password(password, stored or dummy_hash()) and stored:
        with database.sign_in() as failures:
            failures.clear(keys.pair)
            failures.forget(keys.client, now)
        return Attempt("ok")
    return Attempt("failed", max(timedelta(0), wait_if_wrong - (datetime.now(UTC) - now)))


async def attempt(request: Request, user: str, password: str, stored: str | None) -> Attempt:
    """Check the pause, then the password against `stored` (None: unknown user), and record a failure."""
    return await run_in_threadpool(_attempt, request.app.state.database, _keys(request, user), password, stored)
