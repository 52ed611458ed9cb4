"""One JSON access log line per request, with a request id, and never the patient's words."""
from __future__ import annotations

import io
import json
import logging
import re

import pytest
from fastapi.testclient import TestClient

from service import access_log

QUESTION = "does the zebrafinch needle hurt my shoulder?"


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "clinicbot.access"]


def test_one_json_line_per_ask_without_the_question(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="clinicbot.access")
    caplog.clear()
    response = client.post("/api/ask?note=zebrafinch", json={"question": QUESTION})
    assert response.status_code == 200
    logged = lines(caplog)
    assert len(logged) == 1, logged
    line = json.loads(logged[0])
    assert set(line) == {"time", "request_id", "method", "route", "path", "status", "duration_ms", "bytes"}
    assert line["method"] == "POST" and line["route"] == "/api/ask" and line["path"] == "/api/ask"
    assert line["status"] == 200 and line["bytes"] == len(response.content) and line["duration_ms"] > 0
    assert line["request_id"] == response.headers["x-request-id"]
    assert "zebrafinch" not in logged[0] and "shoulder" not in logged[0]


@pytest.mark.parametrize(("sent", "kept"), [
    ("abc-123.DEF_9", True),
    ("x" * 64, True),
    ("x" * 65, False),
    ("has space", False),
    ("<script>", False),
    ("", False),
])
def test_request_id_is_honoured_only_when_safe(client: TestClient, caplog: pytest.LogCaptureFixture,
                                               sent: str, kept: bool) -> None:
    caplog.set_level(logging.INFO, logger="clinicbot.access")
    caplog.clear()
    response = client.get("/healthz", headers={"X-Request-ID": sent})
    rid = response.headers["x-request-id"]
    assert (rid == sent) if kept else re.fullmatch(r"[0-9a-f]{32}", rid)
    assert json.loads(lines(caplog)[0])["request_id"] == rid


def test_errors_are_logged_with_their_status(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="clinicbot.access")
    caplog.clear()
    assert client.post("/api/ask", json={"question": ""}).status_code == 422
    assert client.get("/articles/no-such-article").status_code == 404
    logged = [json.loads(line) for line in lines(caplog)]
    assert [(x["route"], x["status"]) for x in logged] == [("/api/ask", 422), ("/articles/{article_id}", 404)]


def test_configure_writes_bare_json_lines() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("clinicbot.access")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    try:
        access_log.configure(stream)
        logger.info(json.dumps({"status": 200}))
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved
    assert stream.getvalue() == '{"status": 200}\n'
