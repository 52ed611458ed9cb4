"""Live re-indexing against the real model and real indexes: each test gets its own corpus copy, index and app."""
from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from index.builder import _build_lock
from index.embedder import Embedder
from index.store import read_index
from service.app import create_app
from service.settings import Settings
from tests.conftest import NO_RATE_LIMITS, STAFF_PASSWORD, staff_login
from tests.servers import live_server, patients_asking
from tests.test_api import assert_error

POLL_TIMEOUT = 120.0
STATUS_KEYS = {"state", "started_at", "finished_at", "message", "progress", "skipped", "build_id"}
VALID_STATUSES = {"answered", "no_answer", "emergency"}

PARKING_QUESTION = "Where can I park my car when I come for treatment?"
PARKING_ARTICLE = """---
title: Parking at the clinic
---

## Where to park

Free parking for patients is in the blue garage on Wharf Street, directly behind the clinic.
Show your appointment card to the garage attendant and parking costs nothing for up to two hours.
"""
STABLE_QUESTIONS = ["how much is the first appointment?", "how long does a session last?"]

PLANTS = ["mugwort", "ginger", "chrysanthemum", "peppermint", "licorice", "cinnamon", "goji", "jujube",
          "astragalus", "angelica"]
PLACES = ["the north window", "the courtyard", "the rooftop", "the east porch"]


def write_generated_articles(corpus: Path, count: int = 40) -> None:
    """Articles with distinct sentences, so the build has several hundred new texts to embed (a few seconds)."""
    for n in range(count):
        plant, place = PLANTS[n % len(PLANTS)], PLACES[n % len(PLACES)]
        sentences = [
            f"Garden journal entry {n} records how the {plant} planted near {place} grew during week {n + 3}.",
            f"Volunteer number {n * 7 + 1} watered the {plant} seedlings {n % 5 + 2} times and noted {n + 11} "
            "new leaves.",
            f"The soil near {place} measured {n % 9 + 4} on the moisture gauge after {n % 3 + 1} rainy mornings.",
            f"By season {n + 1990} the {plant} hedge had reached {n + 40} centimetres beside {place}.",
        ]
        sections = "\n\n".join(
            f"## Part {part} of garden log {n}\n\n" + " ".join(f"{s} (note {part}.{n})" for s in sentences)
            for part in range(1, 4)
        )
        (corpus / f"garden-log-{n:02d}.md").write_text(f"---\ntitle: Garden log {n}\n---\n\n{sections}\n",
                                                       encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, corpus_dir: Path, index_dir: Path) -> Settings:
    """Settings over a private copy of the test corpus and of the session index (symlink layout kept)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    build = index_dir.resolve()
    var = tmp_path / "var"
    var.mkdir()
    shutil.copytree(build, var / build.name)
    (var / "index").symlink_to(build.name)
    return Settings(index_dir=var / "index", corpus_dir=corpus, database=var / "clinicbot.db",
                    staff_password=STAFF_PASSWORD, clinic_name="Harbour Acupuncture", clinic_phone="+1 555 0100",
                    **NO_RATE_LIMITS)


def wait_until_done(get: Callable[[], Any], timeout: float = POLL_TIMEOUT) -> dict[str, Any]:
    """Poll GET /api/reindex until the build ends; the final status JSON."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = get()
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert set(body) == STATUS_KEYS, body
        if body["state"] != "running":
            return body
        time.sleep(0.1)
    raise AssertionError(f"re-index still running after {timeout} s")


def ask(client: TestClient | httpx.Client, question: str) -> dict[str, Any]:
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] in VALID_STATUSES, body
    return body


def test_reindex_makes_a_new_article_answerable(site: Settings, embedder: Embedder) -> None:
    with TestClient(create_app(site, embedder)) as client:
        staff_login(client)
        assert client.get("/api/reindex").json()["state"] == "idle"
        before = client.get("/readyz").json()["index"]
        old = ask(client, PARKING_QUESTION)
        assert "Wharf Street" not in old["answer"]
        (site.corpus_dir / "parking.md").write_text(PARKING_ARTICLE, encoding="utf-8")

        response = client.post("/api/reindex")
        assert response.status_code == 202, response.text
        assert response.json()["state"] == "running"
        assert response.json()["started_at"] and response.json()["finished_at"] is None
        status = wait_until_done(lambda: client.get("/api/reindex"))

        assert status["state"] == "succeeded", status
        assert status["message"].startswith(f"indexed {before['article_count'] + 1} articles"), status
        assert status["finished_at"] >= status["started_at"]
        after = client.get("/readyz").json()["index"]
        assert status["build_id"] == after["build_id"] != before["build_id"]
        assert after["passage_count"] > before["passage_count"]
        assert after["article_count"] == before["article_count"] + 1
        new = ask(client, PARKING_QUESTION)
        assert new["status"] == "answered" and "Wharf Street" in new["answer"], new
        assert new["sources"][0]["article_id"] == "parking"


def test_reindex_while_patients_ask(site: Settings, embedder: Embedder) -> None:
    """Threads keep asking through a live server during a multi-second rebuild; no request fails."""
    with live_server(create_app(site, embedder)) as base, httpx.Client(base_url=base, timeout=30) as staff, \
            patients_asking(base, [PARKING_QUESTION, *STABLE_QUESTIONS]) as results:
        staff_login(staff)  # type: ignore[arg-type]  # uses only the httpx.Client API
        time.sleep(1.0)  # answers from the old index
        write_generated_articles(site.corpus_dir)
        (site.corpus_dir / "parking.md").write_text(PARKING_ARTICLE, encoding="utf-8")
        response = staff.post("/api/reindex")
        assert response.status_code == 202, response.text
        started, served_before = time.monotonic(), len(results)
        status = wait_until_done(lambda: staff.get("/api/reindex"))
        finished, served_during = time.monotonic(), len(results) - served_before
        time.sleep(1.0)  # answers from the new index

    assert status["state"] == "succeeded", status
    assert status["progress"]["total"] > 200 and status["progress"]["done"] == status["progress"]["total"]
    assert finished - started > 1.0, "the rebuild was too quick to overlap with questions"
    assert served_during > 0, "no question was answered while the index was being rebuilt"
    failures = [r for r in results if r[2] != 200 or not isinstance(r[3], dict) or r[3]["status"] not in VALID_STATUSES]
    assert not failures, failures[:5]
    parking = [r[3] for r in results if r[1] == PARKING_QUESTION]
    old = [b for b in parking if isinstance(b, dict) and "Wharf Street" not in b["answer"]]
    new = [b for b in parking if isinstance(b, dict) and "Wharf Street" in b["answer"]]
    assert old and new, (len(old), len(new))
    stable = [r[3] for r in results if r[1] in STABLE_QUESTIONS]
    assert all(isinstance(b, dict) and b["status"] == "answered" for b in stable)


def test_failed_build_keeps_the_old_index_serving(site: Settings, embedder: Embedder, tmp_path: Path) -> None:
    broken = tmp_path / "broken-corpus"
    broken.mkdir()
    (broken / "empty.md").write_text("", encoding="utf-8")
    (broken / "blank.txt").write_text("   \n\n", encoding="utf-8")
    (broken / "scan.pdf").write_bytes(b"%PDF-1.4")
    settings = site.model_copy(update={"corpus_dir": broken})
    questions = [*STABLE_QUESTIONS, "does acupuncture hurt?", "who is the president?"]

    def answers(client: TestClient) -> list[dict[str, Any]]:
        return [{k: v for k, v in ask(client, q).items() if k != "id"} for q in questions]

    with TestClient(create_app(settings, embedder)) as client:
        staff_login(client)
        before, ready = answers(client), client.get("/readyz").json()
        assert client.post("/api/reindex").status_code == 202
        status = wait_until_done(lambda: client.get("/api/reindex"))
        assert status["state"] == "failed", status
        assert "no readable articles" in status["message"] and str(broken) in status["message"]
        assert status["finished_at"] and status["build_id"] is None
        assert answers(client) == before
        assert client.get("/readyz").json() == ready
    assert read_index(site.index_dir).manifest["build_id"] == ready["index"]["build_id"]


def test_build_locked_by_another_process_fails_cleanly(site: Settings, embedder: Embedder) -> None:
    """`clinicbot index` running on the same folder holds the lock: the re-index fails and says so."""
    with TestClient(create_app(site, embedder)) as client, _build_lock(site.index_dir):
        staff_login(client)
        ready = client.get("/readyz").json()
        assert client.post("/api/reindex").status_code == 202
        status = wait_until_done(lambda: client.get("/api/reindex"))
        assert status["state"] == "failed" and "another build" in status["message"], status
        assert client.get("/readyz").json() == ready


def test_second_reindex_while_running_is_409(site: Settings, embedder: Embedder) -> None:
    write_generated_articles(site.corpus_dir)
    with TestClient(create_app(site, embedder)) as client:
        staff_login(client)
        first = client.post("/api/reindex")
        assert first.status_code == 202, first.text
        error = assert_error(client.post("/api/reindex"), 409)
        assert error["code"] == "conflict" and "already running" in error["message"]
        assert client.get("/api/reindex").json()["state"] == "running"
        status = wait_until_done(lambda: client.get("/api/reindex"))
        assert status["state"] == "succeeded", status
        again = client.post("/api/reindex")  # a finished build does not block the next one
        assert again.status_code == 202, again.text
        assert wait_until_done(lambda: client.get("/api/reindex"))["state"] == "succeeded"


def test_shutdown_cancels_a_running_build(site: Settings, embedder: Embedder) -> None:
    write_generated_articles(site.corpus_dir)
    app = create_app(site, embedder)
    with TestClient(app) as client:
        staff_login(client)
        build_id = client.get("/readyz").json()["index"]["build_id"]
        assert client.post("/api/reindex").status_code == 202
    status = app.state.reindexer.status()  # the lifespan's close() stopped the build and waited for it
    assert status.state == "failed" and "cancelled" in status.message, status
    assert read_index(site.index_dir).manifest["build_id"] == build_id


def test_reindex_routes_are_documented_as_staff(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert paths["/api/reindex"]["post"]["tags"] == ["staff"]
    assert paths["/api/reindex"]["get"]["tags"] == ["staff"]


def test_reindex_routes_need_a_staff_login(site: Settings, embedder: Embedder) -> None:
    app = create_app(site, embedder)
    with TestClient(app) as client:
        assert_error(client.get("/api/reindex"), 401)
        assert_error(client.post("/api/reindex"), 401)
        assert app.state.reindexer.status().state == "idle"


def test_staff_page_form_starts_a_rebuild_without_javascript(client: TestClient) -> None:
    page = client.get("/staff").text
    assert 'id="reindex-form"' in page and 'name="csrf_token"' in page
    token = client.cookies.get("clinicbot_csrf")
    started = client.post("/staff/reindex", data={"csrf_token": token}, follow_redirects=False,
                          headers={"X-CSRF-Token": ""})
    assert started.status_code == 303 and started.headers["location"].endswith("/staff#reindex")
    status = client.app.state.reindexer.wait(timeout=120)  # type: ignore[attr-defined]
    assert status.state == "succeeded", status.message
    assert "Rebuilt at" in client.get("/staff").text
    forged = client.post("/staff/reindex", data={"csrf_token": "forged"}, follow_redirects=False,
                         headers={"X-CSRF-Token": ""})
    assert forged.status_code == 403
