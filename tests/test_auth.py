"""Staff login against the real app: session cookie, CSRF, lockout, users from settings, and what stays public."""
from __future__ import annotations

import io
import re
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.embedder import Embedder
from service.staff import lockout
from service.app import create_app
from service.staff.auth import SESSION_COOKIE, make_session
from service.cli import main
from service.database import Database
from service.staff.lockout import FAILURE_WINDOW
from service.staff.passwords import StaffConfigError, hash_password, verify_password
from service.settings import Settings
from service.staff.signing import b64e
from tests.conftest import STAFF_PASSWORD, staff_login
from tests.test_api import assert_error

Factory = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture(autouse=True)
def quick_slowdown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failed attempts still slow down, just not for whole seconds in tests."""
    monkeypatch.setattr(lockout, "SLOWDOWN_STEP", 0.01)


@pytest.fixture
def make_client(index_dir: Path, corpus_dir: Path, embedder: Embedder, tmp_path: Path) -> Factory:
    """A TestClient over the session index with a fresh database per test (so lockouts do not leak)."""

    @contextmanager
    def factory(address: str = "testclient", **overrides: Any) -> Iterator[TestClient]:
        values: dict[str, Any] = {"index_dir": index_dir, "corpus_dir": corpus_dir, "database": tmp_path / "auth.db",
                                  "staff_password": STAFF_PASSWORD, "session_hours": 1, **overrides}
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
        assert "; secure" in cookie_header(page, "clinicbot_csrf").lower()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        # the test client does not send Secure cookies over http, so hand the token back explicitly
        response = client.post("/staff/login", data={"username": "staff", "password": STAFF_PASSWORD,
                                                     "csrf_token": token},
                               cookies={"clinicbot_csrf": token}, follow_redirects=False)
        assert response.status_code == 303, response.text
        assert "; secure" in cookie_header(response, SESSION_COOKIE).lower()


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
    assert Database(app.state.settings.database).login_failures("user:staff", FAILURE_WINDOW) == 0, \
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


# --- the session cookie -----------------------------------------------------------------------------------

def test_expired_or_tampered_sessions_go_back_to_login(make_client: Factory) -> None:
    with make_client() as client:
        secret = client.app.state.secrets  # type: ignore[attr-defined]
        good = make_session(secret, "staff", 600)
        body, signature = good.split(".")
        other = make_session(secret, "staff", 600).split(".")[1]
        cases = {
            "expired": make_session(secret, "staff", -5),
            "longer than session_hours": make_session(secret, "staff", 5 * 3600),
            "other signature": f"{body}.{other}",
            "flipped signature": f"{body}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
            "edited user": f"{b64e(b'mallory|9999999999|x')}.{signature}",
            "unknown user": make_session(secret, "mallory", 600),
            "another key": make_session("not the key", "staff", 600),
            "garbage": "x", "empty": "",
        }
    for name, value in cases.items():
        with make_client() as fresh:
            fresh.cookies.set(SESSION_COOKIE, value)
            to_login(fresh.get("/staff", follow_redirects=False))
            assert fresh.get("/api/search", params={"q": "x"}).status_code == 401, name
    with make_client() as fresh:
        fresh.cookies.set(SESSION_COOKIE, good)
        assert fresh.get("/staff", follow_redirects=False).status_code == 200, "the untouched cookie works"


def test_session_expires_with_session_hours(make_client: Factory) -> None:
    with make_client(session_hours=1.5 / 3600) as client:
        assert login(client).status_code == 303
        assert client.get("/staff", follow_redirects=False).status_code == 200
        time.sleep(2.1)
        to_login(client.get("/staff", follow_redirects=False))


# --- lockout ----------------------------------------------------------------------------------------------

def test_five_failures_lock_sign_in(make_client: Factory, tmp_path: Path) -> None:
    with make_client() as client:
        for _ in range(5):
            assert login(client, "wrong").status_code == 401
        response = login(client)  # the right password, but too late
        assert response.status_code == 429
        assert response.headers["retry-after"] == str(int(FAILURE_WINDOW.total_seconds()))
        assert "Too many failed sign-ins" in response.text and "15 minutes" in response.text
        assert not any(h.startswith(SESSION_COOKIE) for h in response.headers.get_list("set-cookie"))
    database = Database(tmp_path / "auth.db")
    assert database.login_failures("user:staff", FAILURE_WINDOW) == 5, "failures are stored in SQLite"
    with make_client() as restarted:  # a new app on the same database
        assert login(restarted).status_code == 429
    with make_client(address="198.51.100.7") as elsewhere:  # another visitor, the same user
        assert login(elsewhere).status_code == 429
    assert database.login_failures("user:staff", FAILURE_WINDOW) == 5, "locked attempts are not counted"


def test_parallel_guesses_cannot_slip_past_the_lockout(make_client: Factory, tmp_path: Path) -> None:
    with make_client() as client:
        token = csrf(client)

        def guess(n: int) -> int:
            return client.post("/staff/login", data={"username": "staff", "password": f"guess {n}",
                                                     "csrf_token": token}, follow_redirects=False).status_code

        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = sorted(pool.map(guess, range(10)))
    assert statuses == [401] * 5 + [429] * 5
    assert Database(tmp_path / "auth.db").login_failures("user:staff", FAILURE_WINDOW) == 5


def test_failures_count_per_visitor_too(make_client: Factory) -> None:
    maria = f"maria:{hash_password('maria pass')}"
    with make_client(address="203.0.113.9", staff_users=[maria]) as client:
        for n in range(5):
            assert login(client, "wrong", username=f"guess{n}").status_code == 401
        assert login(client, "maria pass", username="maria").status_code == 429, "this visitor is paused"
    with make_client(address="203.0.113.10", staff_users=[maria]) as other:
        assert login(other, "maria pass", username="maria").status_code == 303, "others are not"


def test_success_clears_the_users_failures(make_client: Factory, tmp_path: Path) -> None:
    with make_client() as client:
        for _ in range(3):
            assert login(client, "wrong").status_code == 401
        assert login(client).status_code == 303
    assert Database(tmp_path / "auth.db").login_failures("user:staff", FAILURE_WINDOW) == 0


def test_failures_slow_down(make_client: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lockout, "SLOWDOWN_STEP", 0.15)
    with make_client() as client:
        token = csrf(client)

        def attempt() -> float:
            started = time.perf_counter()
            assert client.post("/staff/login", data={"username": "staff", "password": "no", "csrf_token": token},
                               follow_redirects=False).status_code == 401
            return time.perf_counter() - started

        assert attempt() >= 0.15
        assert attempt() >= 0.30


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
    assert stored.startswith("scrypt:16384:8:1:") and "$" not in stored and "," not in stored
    assert stored != hash_password("pässword"), "salted"
    assert verify_password("pässword", stored)
    assert not verify_password("password", stored) and not verify_password("", stored)
    for bad in ("", "scrypt", "plain-text", stored.replace("scrypt:", "bcrypt:"), stored[:-4],
                stored.replace(":16384:", ":3:"), stored.replace(":16384:", ":1073741824:")):
        assert not verify_password("pässword", bad), bad


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
