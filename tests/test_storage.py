"""Sessions, login failures and rate-limit counters on both databases: a SQLite file and a real PostgreSQL."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from limits import parse
from limits.strategies import FixedWindowRateLimiter

from service.database import Database, utcnow
from service.storage.backend import DatabaseUnavailable, is_server_url
from service.storage.sessions import credential_fingerprint
from tests.servers import free_port


def test_sessions_open_look_up_and_end(database_url: str) -> None:
    sessions = Database(database_url).sessions
    now = utcnow()
    credentials = {"staff": credential_fingerprint("hash A"), "maria": credential_fingerprint("hash M")}
    first = sessions.open("staff", credentials["staff"], timedelta(hours=1), now)
    second = sessions.open("staff", credentials["staff"], timedelta(hours=1), now)
    maria = sessions.open("maria", credentials["maria"], timedelta(hours=1), now)
    assert first != second and len(first) >= 40
    assert sessions.user(first, credentials, now) == "staff" and sessions.user(maria, credentials, now) == "maria"
    assert sessions.user(first, credentials, now + timedelta(hours=2)) is None, "expired"
    assert sessions.user(first, {**credentials, "staff": credential_fingerprint("hash B")}, now) is None, \
        "a new password ends the old sessions"
    assert sessions.user(first + "x", credentials, now) is None and sessions.user("", credentials, now) is None
    assert sessions.count("staff", now) == 2
    sessions.end(first)
    assert sessions.user(first, credentials, now) is None and sessions.user(second, credentials, now) == "staff"
    assert sessions.end_all("staff") == 1
    assert sessions.user(second, credentials, now) is None and sessions.user(maria, credentials, now) == "maria"
    sessions.open("maria", credentials["maria"], timedelta(seconds=-1), now)
    assert sessions.purge(now) == 1


def test_login_failures_by_key_and_prefix(database_url: str) -> None:
    database = Database(database_url)
    now = utcnow()
    database.add_login_failure("pair:staff|a", "client:a", now=now - timedelta(minutes=2))
    database.add_login_failure("pair:staff|a", "client:a", now=now)
    database.add_login_failure("pair:maria|b", "client:b", now=now)
    assert len(database.login_failures("pair:staff|a", timedelta(hours=1), now)) == 2
    assert database.login_failures("pair:staff|a", timedelta(minutes=1), now) == [now], "to the microsecond"
    assert database.count_login_failures("client:", timedelta(minutes=1), now) == 2
    assert database.count_login_failures("pair:", timedelta(hours=1), now) == 3
    database.clear_login_failures("pair:staff|a")
    assert database.login_failures("pair:staff|a", timedelta(hours=1), now) == []
    with database.sign_in() as failures:  # the sign-in lock's transaction: one attempt's row is forgotten alone
        failures.forget("client:a", now)
        assert failures.times("client:a", timedelta(hours=1), now) == [now - timedelta(minutes=2)]
    assert database.count_login_failures("client:", timedelta(hours=1), now) == 2


def test_rate_limit_counters_count_in_fixed_windows(database_url: str) -> None:
    database = Database(database_url)
    limiter = FixedWindowRateLimiter(database.counters)
    two_a_second = parse("2/second")
    assert [limiter.hit(two_a_second, "ask", "v1") for _ in range(3)] == [True, True, False]
    assert limiter.hit(two_a_second, "ask", "v2"), "another visitor has its own counter"
    stats = limiter.get_window_stats(two_a_second, "ask", "v1")
    assert stats.remaining == 0 and 0 < stats.reset_time - time.time() <= 1.01
    time.sleep(1.05)
    assert limiter.hit(two_a_second, "ask", "v1"), "a new window starts from zero"
    assert database.counters.check()
    time.sleep(1.05)
    assert database.counters.purge() >= 2


def test_parallel_hits_are_all_counted(database_url: str) -> None:
    database = Database(database_url)
    limiter = FixedWindowRateLimiter(database.counters)
    limit = parse("1000/minute")
    threads = [threading.Thread(target=lambda: [limiter.hit(limit, "ask", "v") for _ in range(25)])
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert limiter.get_window_stats(limit, "ask", "v").remaining == 1000 - 200


def test_the_database_describes_itself_without_its_password() -> None:
    assert is_server_url("postgresql://u:p@h/db") and is_server_url("postgres://h/db")
    assert not is_server_url("var/clinicbot.db") and not is_server_url("/tmp/x.db")


def test_an_unreachable_postgresql_stops_serve_with_a_message(tmp_path: Path) -> None:
    url = f"postgresql://clinicbot:hunter2@127.0.0.1:{free_port()}/clinicbot"  # nothing listens there
    with pytest.raises(DatabaseUnavailable, match="cannot connect to PostgreSQL") as caught:
        Database(url)
    assert "hunter2" not in str(caught.value), "the password is never shown"
    done = subprocess.run([sys.executable, "-m", "service.cli", "serve", "--index-dir", str(tmp_path / "none")],
                          env={**os.environ, "CLINICBOT_DATABASE": url, "HF_HUB_OFFLINE": "1"},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "clinicbot serve: cannot connect to PostgreSQL" in done.stderr and "hunter2" not in done.stderr
