"""Shared fixtures: the real model, a real index over the clinic's articles plus the test articles, the real app.

Expensive things (model, index, app) are built once per session.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from index.builder import build_index
from index.embedder import Embedder, load_embedder
from service.app import create_app
from service.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
ENCODERS = ROOT / "var" / "encoders"  # the model's ONNX export, made once and shared with `make run`
TEST_ARTICLES = ROOT / "tests" / "articles"
CLINIC = {
    "clinic_name": "Harbour Acupuncture",
    "clinic_phone": "+1 555 0100",
    "clinic_email": "hello@harbour.test",
    "clinic_booking_url": "https://harbour.test/book",
}
STAFF_PASSWORD = "correct horse battery staple"
# The shared app answers hundreds of questions from one test client; tests of the limits make their own app.
NO_RATE_LIMITS = {"rate_limit_ask": "", "rate_limit_feedback": "", "rate_limit_origin": "", "rate_limit_pages": ""}


def staff_login(client: TestClient, password: str = STAFF_PASSWORD, username: str = "staff") -> None:
    """Sign in through the login form (CSRF cookie and field); later JSON POSTs carry the X-CSRF-Token header."""
    client.get("/staff/login")
    token = client.cookies.get("clinicbot_csrf")
    response = client.post("/staff/login", data={"username": username, "password": password, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    client.headers["X-CSRF-Token"] = client.cookies.get("clinicbot_csrf")


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default model, loaded once."""
    return load_embedder("all-MiniLM-L6-v2", "onnx", ENCODERS)


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clinic's articles (corpus/) plus the test articles, so retrieval must choose between them."""
    folder = tmp_path_factory.mktemp("corpus")
    for path in [*(ROOT / "corpus").iterdir(), *TEST_ARTICLES.iterdir()]:
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="session")
def index_dir(corpus_dir: Path, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index over the test corpus."""
    target = tmp_path_factory.mktemp("var") / "index"
    build_index(corpus_dir, target, embedder)
    return target


@pytest.fixture(scope="session")
def settings(index_dir: Path, corpus_dir: Path) -> Settings:
    """Settings pointing at the test index, with a clinic's contact details."""
    return Settings(index_dir=index_dir, corpus_dir=corpus_dir, database=index_dir.parent / "clinicbot.db",
                    staff_password=STAFF_PASSWORD, **CLINIC, **NO_RATE_LIMITS)


@pytest.fixture(scope="session")
def client(settings: Settings, embedder: Embedder) -> Iterator[TestClient]:
    """The real app, started once, signed in as staff."""
    with TestClient(create_app(settings, embedder)) as test_client:
        staff_login(test_client)
        yield test_client


@pytest.fixture(scope="session")
def questions() -> dict[str, list]:  # type: ignore[type-arg]
    """The patient question set (tests/questions.yaml)."""
    with open(ROOT / "tests" / "questions.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL 15, started once for the session (tests/servers.py)."""
    from tests.servers import postgresql

    with postgresql() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind: a SQLite file, and a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "clinicbot.db")
    return new_postgres_database(request.getfixturevalue("postgres_server"))


def new_postgres_database(server: str) -> str:
    """A new, empty database on the test PostgreSQL server; its URL."""
    import uuid

    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server.rsplit('/', 1)[0]}/{name}"
