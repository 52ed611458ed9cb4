"""Staff login against the real app: session cookie, CSRF, lockout, users from settings, and what stays public."""
from __future__ import annotations

import hashlib
import io
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.embedder import Embedder
from service.staff import lockout
from service.app import create_app
from service.staff.auth import SESSION_COOKIE
from service.cli import main
from service.database import Database
from service.staff.lockout import FAILURE_MEMORY, FREE_FAILURES
from service.staff.passwords import StaffConfigError, hash_password, verify_password
from service.settings import Settings
from service.staff.signing import b64e
from tests.conftest import STAFF_PASSWORD, staff_login
from tests.test_api import assert_error

Factory = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture(autouse=True)
def quick_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pauses still grow, from one second (the production first pause is two)."""
    monkeypatch.setattr(lockout, "FIRST_PAUSE", timedelta(seconds=1))


@pytest.fixture
def make_client(index_dir: Path, corpus_dir: Path, embedder: Embedder, tmp_path: Path) -> Factory:
    """A TestClient over the session index with a fresh database per test (so lockouts do not leak)."""

    @contextmanager
    def factory(address: str = "testclient", **overrides: Any) -> Iterator[TestClient]:
        values: dict[str, Any] = {"index_dir": index_dir, "corpus_dir": corpus_dir, "database": tmp_path / "auth.db",
                                  "staff_password": STAFF_PASSWORD, "session_hours": 1,
                                  "rate_limit_pages": "", **overrides}
        with TestClient(create_app(Settings(**values), embedder), client=(address, 50000)) as client:
            yield client

    return factory


@pytest.fixture
def client(make_client: Factory) -> Iterator[TestClient]:
    """Not signed in."""
    with make_client() as test_client:
        yield test_client


def csrf(client: TestClient, path: str = "/staff/login") -> str:
    """Open a page with a form; the token its hidden field carries (and the cookie now holds)."""
    html = client.get(path).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    assert client.cookies.get("clinicbot_csrf") == match.group(1)
    return match.group(1)


def login(client: TestClient, password: str = STAFF_PASSWORD, username: str = "staff", **extra: str) -> Any:
    token = csrf(client)
    return client.post("/staff/login", data={"username": username, "password": password, "csrf_token": token, **extra},
                       follow_redirects=False)


def cookie_header(response: Any, name: str) -> str:
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(found) == 1, response.headers.get_list("set-cookie")
    return str(found[0])


def to_login(response: Any) -> str:
    """The page redirected to the login page: the `next` it carries."""
    assert response.status_code == 303, response.text[:300]
    location = response.headers["location"]
    assert location.startswith("/staff/login?next="), location
    return str(location)


# --- signing in and out -----------------------------------------------------------------------------------

def test_login_sets_a_signed_httponly_cookie(client: TestClient) -> None:
    assert to_login(client.get("/staff", follow_redirects=False)) == "/staff/login?next=/staff"
    page = client.get("/staff/login?next=/staff")
    assert page.status_code == 200 and 'id="staff-login"' in page.text
    assert 'name="username" type="text" value="staff"' in page.text
    assert page.headers["cache-control"] == "no-store"
    csrf_cookie = cookie_header(page, "clinicbot_csrf").lower()
    assert "httponly" in csrf_cookie and "samesite=strict" in csrf_cookie and "path=/" in csrf_cookie

    response = login(client, next="/staff")
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    session = cookie_header(response, SESSION_COOKIE).lower()
    assert "httponly" in session and "samesite=lax" in session and "path=/" in session
    assert "max-age=3600" in session and "secure" not in session
    assert client.cookies.get(SESSION_COOKIE)

    staff = client.get("/staff", follow_redirects=False)
    assert staff.status_code == 200 and "Indexed articles" in staff.text
    assert staff.headers["cache-control"] == "no-store"
    assert 'class="sign-out"' in staff.text and ">Sign out</button>" in staff.text
    assert client.get("/api/search", params={"q": "cupping"}).status_code == 200
    assert client.get("/staff/login", follow_redirects=False).headers["location"] == "/staff", "signed in: go on"


def test_cookies_are_secure_when_configured(make_client: Factory) -> None:
    with make_client(cookie_secure=True) as client:
        page = client.get("/staff/login")
        assert "; secure" in cookie_header(page, "__Host-clinicbot_csrf").lower()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        # the test client does not send Secure cookies over http, so hand the cookies back explicitly
        client.cookies.set("__Host-clinicbot_csrf", token)
        response = client.post("/staff/login", data={"username": "staff", "password": STAFF_PASSWORD,
                                                     "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303, response.text
        header = cookie_header(response, f"__Host-{SESSION_COOKIE}")
        session = header.lower()
        assert "; secure" in session and "path=/" in session and "domain" not in session
        cookie = header.split(";")[0].split("=", 1)[1]
        client.cookies.set(f"__Host-{SESSION_COOKIE}", cookie)
        assert client.get("/staff", follow_redirects=False).status_code == 200, "the __Host- cookie signs in"
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, cookie)
        assert client.get("/staff", follow_redirects=False).status_code == 303, \
            "over HTTPS the unprefixed name is not accepted"


def test_plain_password_is_not_kept(client: TestClient) -> None:
    app: Any = client.app
    assert app.state.settings.staff_password.get_secret_value() == ""
    assert set(app.state.staff_users) == {"staff"}
    assert verify_password(STAFF_PASSWORD, app.state.staff_users["staff"])


def test_staff_pages_and_apis_need_login(client: TestClient) -> None:
    to_login(client.get("/staff", follow_redirects=False, headers={"Accept": "text/html"}))
    assert to_login(client.get("/staff?q=does+it+hurt&k=5", follow_redirects=False)) == \
        "/staff/login?next=/staff%3Fq%3Ddoes%2Bit%2Bhurt%26k%3D5"
    error = assert_error(client.get("/api/search", params={"q": "cupping"}), 401)
    assert error["code"] == "unauthorized" and "/staff/login" in error["message"]
    assert_error(client.get("/api/reindex"), 401)
    assert_error(client.post("/api/reindex"), 401)
    assert SESSION_COOKIE not in client.cookies


def test_public_routes_stay_open(client: TestClient) -> None:
    assert client.post("/api/ask", json={"question": "does cupping hurt?"}).status_code == 200
    for path in ("/", "/widget.js", "/api/widget-config", "/healthz", "/readyz", "/docs", "/openapi.json"):
        assert client.get(path, follow_redirects=False).status_code == 200, path
    article = client.get("/").text.split('href="http://testserver/articles/')[1].split('"')[0]
    assert client.get(f"/articles/{article}", follow_redirects=False).status_code == 200


def test_wrong_password_gets_the_form_again_without_a_cookie(client: TestClient) -> None:
    for username, password in (("staff", "Tr0ub4dor&3"), ("nobody", STAFF_PASSWORD), ("staff", "")):
        response = login(client, password, username)
        assert response.status_code == 401
        assert 'class="login-error" role="alert">Wrong user name or password.' in response.text
        assert not any(h.startswith(SESSION_COOKIE) for h in response.headers.get_list("set-cookie"))
        assert f'value="{username}"' in response.text, "the user name is kept, the password is not"
    assert to_login(client.get("/staff", follow_redirects=False))


def test_logout_ends_the_session(client: TestClient) -> None:
    assert login(client).status_code == 303
    token = csrf(client, "/staff")  # the sign-out form on the staff page
    response = client.post("/staff/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/login"
    cleared = cookie_header(response, SESSION_COOKIE).lower()
    assert "max-age=0" in cleared or "expires=thu, 01 jan 1970" in cleared
    assert SESSION_COOKIE not in client.cookies
    to_login(client.get("/staff", follow_redirects=False))
    assert_error(client.get("/api/search", params={"q": "x"}), 401)


def test_csrf_header_is_accepted_for_json_posts(client: TestClient) -> None:
    assert login(client).status_code == 303
    token = client.cookies["clinicbot_csrf"]
    assert client.post("/staff/logout", headers={"X-CSRF-Token": token}, follow_redirects=False).status_code == 303
    assert SESSION_COOKIE not in client.cookies


# --- CSRF -------------------------------------------------------------------------------------------------

def test_login_without_or_with_a_wrong_csrf_token_is_403(client: TestClient) -> None:
    token = csrf(client)
    form = {"username": "staff", "password": STAFF_PASSWORD}
    for extra in ({}, {"csrf_token": ""}, {"csrf_token": token[:-2] + "xx"}):
        response = client.post("/staff/login", data={**form, **extra}, follow_redirects=False)
        assert response.status_code == 403, response.text[:300]
        assert "The form had expired" in response.text
        assert not any(h.startswith(SESSION_COOKIE) for h in response.headers.get_list("set-cookie"))
    # the same value in cookie and field, but not a token this server made (a planted cookie)
    forged = "abc.def"
    response = client.post("/staff/login", data={**form, "csrf_token": forged}, cookies={"clinicbot_csrf": forged},
                           follow_redirects=False)
    assert response.status_code == 403
    app: Any = client.app
    assert Database(app.state.settings.database).count_login_failures("pair:", FAILURE_MEMORY) == 0, \
        "a CSRF failure is not a password failure"


def test_logout_and_staff_posts_without_csrf_are_403(client: TestClient) -> None:
    assert login(client).status_code == 303
    assert_error(client.post("/staff/logout", follow_redirects=False), 403)
    assert_error(client.post("/staff/logout", data={"csrf_token": "nope"}, follow_redirects=False), 403)
    page = client.post("/staff/logout", data={"csrf_token": "nope"}, headers={"Accept": "text/html"})
    assert page.status_code == 403 and "<html" in page.text and "CSRF" in page.text, "forms get the HTML page"
    error = assert_error(client.post("/api/reindex"), 403)
    assert "CSRF" in error["message"]
    assert_error(client.post("/api/reindex", headers={"X-CSRF-Token": "wrong"}), 403)
    assert client.get("/staff", follow_redirects=False).status_code == 200, "still signed in"


# --- server-side sessions ---------------------------------------------------------------------------------

def _sessions_rows(path: Path) -> list[dict[str, Any]]:
    with Database(path).backend.read() as tx:
        return tx.rows("SELECT * FROM sessions")


def test_the_cookie_is_a_random_id_and_the_database_keeps_only_its_hash(client: TestClient,
                                                                        tmp_path: Path) -> None:
    assert login(client).status_code == 303
    token = client.cookies[SESSION_COOKIE]
    assert len(token) >= 40 and "staff" not in token
    rows = _sessions_rows(tmp_path / "auth.db")
    assert len(rows) == 1 and rows[0]["username"] == "staff"
    assert rows[0]["id"] != token and token not in str(rows), "a copy of the database holds no usable cookie"


def test_a_cookie_copied_before_logout_does_not_work_afterwards(make_client: Factory) -> None:
    with make_client() as client:
        assert login(client).status_code == 303
        copied = client.cookies[SESSION_COOKIE]
        token = csrf(client, "/staff")
        assert client.post("/staff/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    with make_client() as thief:
        thief.cookies.set(SESSION_COOKIE, copied)
        to_login(thief.get("/staff", follow_redirects=False))
        assert_error(thief.get("/api/search", params={"q": "x"}), 401)


def test_sign_out_everywhere_ends_every_session_of_the_user(make_client: Factory, tmp_path: Path) -> None:
    maria = f"maria:{hash_password('maria pass')}"
    with make_client(staff_users=[maria]) as laptop, make_client(staff_users=[maria]) as phone, \
            make_client(staff_users=[maria]) as colleague:
        assert login(laptop).status_code == 303 and login(phone).status_code == 303
        assert login(colleague, "maria pass", username="maria").status_code == 303
        staff_page = laptop.get("/staff").text
        assert 'action="/staff/sign-out-everywhere"' in staff_page
        token = csrf(laptop, "/staff")
        response = laptop.post("/staff/sign-out-everywhere", data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/staff/login"
        to_login(laptop.get("/staff", follow_redirects=False))
        to_login(phone.get("/staff", follow_redirects=False))
        assert colleague.get("/staff", follow_redirects=False).status_code == 200, "other users stay signed in"
        assert laptop.post("/staff/sign-out-everywhere", follow_redirects=False).status_code == 403, "CSRF"
    assert [r["username"] for r in _sessions_rows(tmp_path / "auth.db")] == ["maria"]


def test_a_password_change_ends_the_sessions_opened_with_the_old_one(make_client: Factory) -> None:
    with make_client() as client:
        assert login(client).status_code == 303
        cookie = client.cookies[SESSION_COOKIE]
    with make_client() as same_password:  # a restart with the same password: the session survives
        same_password.cookies.set(SESSION_COOKIE, cookie)
        assert same_password.get("/staff", follow_redirects=False).status_code == 200
    with make_client(staff_password="a brand new passphrase") as changed:
        changed.cookies.set(SESSION_COOKIE, cookie)
        to_login(changed.get("/staff", follow_redirects=False))


def test_forged_or_unknown_session_cookies_go_back_to_login(make_client: Factory) -> None:
    with make_client() as client:
        assert login(client).status_code == 303
        good = client.cookies[SESSION_COOKIE]
    cases = {"edited": good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "signed-looking":
             f"{b64e(b'staff|9999999999|x')}.abc", "garbage": "x", "empty": "", "huge": "A" * 4000}
    for name, value in cases.items():
        with make_client() as fresh:
            fresh.cookies.set(SESSION_COOKIE, value)
            to_login(fresh.get("/staff", follow_redirects=False))
            assert fresh.get("/api/search", params={"q": "x"}).status_code == 401, name


def test_session_expires_with_session_hours(make_client: Factory) -> None:
    with make_client(session_hours=1.5 / 3600) as client:
        assert login(client).status_code == 303
        assert client.get("/staff", follow_redirects=False).status_code == 200
        time.sleep(2.1)
        to_login(client.get("/staff", follow_redirects=False))


def test_the_secret_key_lives_in_a_private_file_not_in_the_database(make_client: Factory, tmp_path: Path) -> None:
    with make_client() as client:
        key = client.app.state.secrets  # type: ignore[attr-defined]
    key_file = tmp_path / "secret.key"
    assert key_file.read_text().strip() == key and len(key) >= 32
    assert key_file.stat().st_mode & 0o777 == 0o600
    with Database(tmp_path / "auth.db").backend.read() as tx:
        assert tx.rows("SELECT * FROM meta") == []
    raw = (tmp_path / "auth.db").read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("auth.db-*"))
    assert key.encode() not in raw
    with make_client() as restarted:
        assert restarted.app.state.secrets == key, "made once, then read"  # type: ignore[attr-defined]
    with make_client(secret_key="k" * 40) as configured:
        assert configured.app.state.secrets == "k" * 40  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="too short"), make_client(secret_key="short"):
        pass


# --- pauses after failed sign-ins -------------------------------------------------------------------------

def _failures(path: Path, key_prefix: str) -> int:
    return Database(path).count_login_failures(key_prefix, FAILURE_MEMORY)


def test_a_stranger_cannot_lock_a_colleague_out(make_client: Factory, tmp_path: Path) -> None:
    with make_client(address="203.0.113.66") as stranger:
        statuses = [login(stranger, f"guess {n}").status_code for n in range(8)]
        assert statuses[:FREE_FAILURES] == [401] * FREE_FAILURES and 429 in statuses[FREE_FAILURES:]
        paused = login(stranger)  # even the right password waits: the pause is not a password check
        assert paused.status_code == 429 and int(paused.headers["retry-after"]) >= 1
        assert "Too many failed sign-ins from here" in paused.text
        assert not any(h.startswith(SESSION_COOKIE) for h in paused.headers.get_list("set-cookie"))
    with make_client(address="198.51.100.7") as colleague:  # the same user, another client
        assert login(colleague).status_code == 303, "the right password from elsewhere signs in at once"
    assert _failures(tmp_path / "auth.db", "pair:") == FREE_FAILURES, "paused attempts are not counted"


def test_pauses_grow_with_each_failure(make_client: Factory) -> None:
    assert lockout.pause_after(FREE_FAILURES - 1, FREE_FAILURES) == timedelta(0)
    waits = [lockout.pause_after(n, FREE_FAILURES) for n in range(FREE_FAILURES, FREE_FAILURES + 14)]
    assert waits == sorted(waits) and waits[1] == 2 * waits[0] and waits[-1] == lockout.MAX_PAUSE
    with make_client() as client:
        for _ in range(FREE_FAILURES):
            assert login(client, "wrong").status_code == 401
        first = int(login(client, "wrong").headers["retry-after"])
        time.sleep(first + 0.1)
        assert login(client, "wrong").status_code == 401, "after the pause, one more try"
        second = int(login(client, "wrong").headers["retry-after"])
        assert second > first
    with make_client() as restarted:  # the pause is in the database: a restart does not lift it
        assert login(restarted).status_code == 429


def test_a_global_ceiling_slows_clients_that_failed_but_not_new_ones(make_client: Factory,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lockout, "GLOBAL_FAILURES_PER_MINUTE", 4)
    for n in range(5):  # a botnet: one wrong guess from each of five addresses
        with make_client(address=f"192.0.2.{n + 1}") as bot:
            assert login(bot, f"guess {n}").status_code == 401
    with make_client(address="192.0.2.1") as bot:
        assert login(bot, "another guess").status_code == 429, "a client that failed waits under the ceiling"
    with make_client(address="198.51.100.20") as newcomer:
        assert login(newcomer).status_code == 303, "a client that never failed is not paused"


def test_parallel_guesses_cannot_slip_past_the_pause(make_client: Factory, tmp_path: Path) -> None:
    with make_client() as client:
        token = csrf(client)

        def guess(n: int) -> int:
            return client.post("/staff/login", data={"username": "staff", "password": f"guess {n}",
                                                     "csrf_token": token}, follow_redirects=False).status_code

        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = sorted(pool.map(guess, range(10)))
    assert statuses == [401] * FREE_FAILURES + [429] * (10 - FREE_FAILURES)
    assert _failures(tmp_path / "auth.db", "pair:") == FREE_FAILURES


def test_failures_count_per_client_across_user_names(make_client: Factory) -> None:
    maria = f"maria:{hash_password('maria pass')}"
    with make_client(address="203.0.113.9", staff_users=[maria]) as client:
        for n in range(lockout.CLIENT_FREE_FAILURES):
            assert login(client, "wrong", username=f"guess{n}").status_code == 401
        assert login(client, "maria pass", username="maria").status_code == 429, "this client is paused"
    with make_client(address="203.0.113.10", staff_users=[maria]) as other:
        assert login(other, "maria pass", username="maria").status_code == 303, "others are not"


def test_success_clears_the_pairs_failures(make_client: Factory, tmp_path: Path) -> None:
    with make_client() as client:
        for _ in range(FREE_FAILURES - 1):
            assert login(client, "wrong").status_code == 401
        assert login(client).status_code == 303
    assert _failures(tmp_path / "auth.db", "pair:") == 0


# --- users from settings ----------------------------------------------------------------------------------

def test_staff_users_with_hashes_sign_in(make_client: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = f"maria:{hash_password('maria pass')}, sam.k:{hash_password('sam pass')}"
    monkeypatch.setenv("CLINICBOT_STAFF_USERS", entries)
    users = Settings().staff_users
    with make_client(staff_password="", staff_users=users) as client:
        assert 'name="username" type="text" value="maria"' in client.get("/staff/login").text
        assert login(client, STAFF_PASSWORD, "staff").status_code == 401, "no `staff` user without a password"
        assert login(client, "maria pass", "sam.k").status_code == 401
        assert login(client, "sam pass", "sam.k").status_code == 303
        assert 'title="Signed in as sam.k"' in client.get("/staff").text


@pytest.mark.parametrize(("entries", "expected"), [
    (["maria"], "entry 1 (user 'maria') is not `name:hash`"),
    (["maria:scrypt:16384:8:1:c2FsdA:notahash"], "entry 1 (user 'maria') has no valid password hash"),
    ([f"ok:{hash_password('x')}", "bad name:scrypt:1:2"], "entry 2 is not `name:hash`"),
    ([f"maria:{hash_password('x')}", f"maria:{hash_password('y')}"], "user 'maria' is listed twice"),
    ([f"staff:{hash_password('x')}"], "user 'staff' is set twice"),
])
def test_invalid_staff_users_fail_at_startup(index_dir: Path, embedder: Embedder, tmp_path: Path,
                                             entries: list[str], expected: str) -> None:
    settings = Settings(index_dir=index_dir, database=tmp_path / "db", staff_password="pw", staff_users=entries)
    with pytest.raises(StaffConfigError) as caught:
        create_app(settings, embedder)
    message = str(caught.value)
    assert expected in message and "CLINICBOT_STAFF" in message
    assert "c2FsdA" not in message and "notahash" not in message and "scrypt:1:2" not in message


def test_without_a_password_staff_pages_explain_the_setup(make_client: Factory) -> None:
    with make_client(staff_password="") as client:
        for path in ("/staff", "/staff/login", "/staff?q=x"):
            page = client.get(path, follow_redirects=False)
            assert page.status_code == 503, path
            assert "Staff sign-in is not set up" in page.text and "CLINICBOT_STAFF_PASSWORD" in page.text
            assert "clinicbot hash-password" in page.text and "CLINICBOT_STAFF_USERS" in page.text
            assert "Indexed articles" not in page.text
        assert client.post("/staff/login", data={"username": "staff", "password": ""}).status_code == 503
        for response in (client.get("/api/search", params={"q": "x"}), client.get("/api/reindex"),
                         client.post("/api/reindex")):
            assert "CLINICBOT_STAFF_PASSWORD" in assert_error(response, 503)["message"]
        assert client.post("/api/ask", json={"question": "does cupping hurt?"}).status_code == 200


# --- redirects --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["https://evil.test", "//evil.test/staff", "/\\evil.test", "evil.test",
                                    "javascript:alert(1)", "/staff/login?next=/staff", " https://evil.test"])
def test_next_never_leaves_the_site(client: TestClient, target: str) -> None:
    page = client.get("/staff/login", params={"next": target})
    assert 'name="next" value="/staff"' in page.text
    response = login(client, next=target)
    assert response.status_code == 303 and response.headers["location"] == "/staff"


def test_next_brings_you_back(client: TestClient) -> None:
    location = to_login(client.get("/staff?q=does+it+hurt", follow_redirects=False))
    page = client.get(location)
    assert 'name="next" value="/staff?q=does+it+hurt"' in page.text
    response = login(client, next="/staff?q=does+it+hurt")
    assert response.headers["location"] == "/staff?q=does+it+hurt"


# --- passwords and the CLI --------------------------------------------------------------------------------

def test_password_hashes() -> None:
    stored = hash_password("pässword")
    assert stored.startswith("argon2id:v=19:m=65536.t=3.p=4:") and "$" not in stored and "," not in stored
    assert stored != hash_password("pässword"), "salted"
    assert verify_password("pässword", stored)
    standard = "$" + stored.replace(":", "$").replace(".", ",")
    assert verify_password("pässword", standard), "the standard encoding is read too"
    assert not verify_password("password", stored) and not verify_password("", stored)
    for bad in ("", "argon2id", "plain-text", stored.replace("argon2id:", "argon2i:"), stored[:-4],
                stored.replace("m=65536", "m=x"), stored + ":more"):
        assert not verify_password("pässword", bad), bad


def test_earlier_scrypt_hashes_still_sign_in_with_a_warning(make_client: Factory,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"old pass", salt=salt, n=2**14, r=8, p=1, dklen=32)
    old = f"scrypt:16384:8:1:{b64e(salt)}:{b64e(digest)}"
    assert verify_password("old pass", old) and not verify_password("other", old)
    with make_client(staff_users=[f"olga:{old}"]) as client:
        assert login(client, "old pass", username="olga").status_code == 303
    assert any("olga" in r.getMessage() and "hash-password" in r.getMessage() for r in caplog.records)


def test_conftest_login_helper(make_client: Factory) -> None:
    with make_client() as client:
        staff_login(client)
        assert client.get("/staff", follow_redirects=False).status_code == 200
        assert client.headers["X-CSRF-Token"] == client.cookies["clinicbot_csrf"]


def test_hash_password_command(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase\n"))
    assert main(["hash-password", "--stdin"]) == 0
    printed = capsys.readouterr().out.strip()
    assert verify_password("a long passphrase", printed) and not verify_password("a long passphrase\n", printed)

    answers = iter(["typed twice", "typed twice"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["hash-password"]) == 0
    assert verify_password("typed twice", capsys.readouterr().out.strip())

    answers = iter(["one", "other"])
    assert main(["hash-password"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "differ" in captured.err

    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["hash-password", "--stdin"]) == 1
    assert "empty" in capsys.readouterr().err
