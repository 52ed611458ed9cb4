"""The API description matches the API: the real error model, the limits, and schemathesis with every check."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hypothesis_settings

from index.embedder import Embedder
from service.settings import Settings
from tests.conftest import STAFF_PASSWORD
from tests.test_http_hardening import live


def test_every_error_is_declared_with_the_one_error_shape(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["ErrorResponse"]["properties"]) == {"error"}
    expected = {("/api/ask", "post"): {"413", "422", "429", "503"},
                ("/api/feedback", "post"): {"404", "409", "413", "422", "429"},
                ("/api/search", "get"): {"401", "403", "422"}}
    for (path, method), statuses in expected.items():
        responses = doc["paths"][path][method]["responses"]
        assert statuses <= set(responses), (path, set(responses))
        for status in statuses:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (path, status)
    assert "Retry-After" in doc["paths"]["/api/ask"]["post"]["responses"]["429"]["headers"]
    question = schemas["AskRequest"]["properties"]["question"]
    assert (question["minLength"], question["maxLength"]) == (1, 1000)


def test_the_length_limit_follows_the_setting(settings: Settings, embedder: Embedder) -> None:
    from service.app import create_app

    with TestClient(create_app(settings.model_copy(update={"max_question_chars": 300}), embedder)) as client:
        question = client.get("/openapi.json").json()["components"]["schemas"]["AskRequest"]["properties"][
            "question"]
        assert question["maxLength"] == 300


@pytest.fixture(scope="module")
def api(settings: Settings, embedder: Embedder) -> Iterator[tuple[Any, str, dict[str, str]]]:
    """The live API's schema for schemathesis, its URL and a signed-in staff session's headers."""
    with live(settings, embedder) as url:
        with httpx.Client(base_url=url) as staff:
            page = staff.get("/staff/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            staff.post("/staff/login", data={"username": "staff", "password": STAFF_PASSWORD, "csrf_token": token})
            cookies = "; ".join(f"{k}={v}" for k, v in staff.cookies.items())
            headers = {"Cookie": cookies, "X-CSRF-Token": staff.cookies["clinicbot_csrf"]}
        yield schemathesis.openapi.from_url(f"{url}/openapi.json"), url, headers


def test_the_api_does_what_its_description_says(api: tuple[Any, str, dict[str, str]]) -> None:
    """Every operation, with generated valid and invalid requests, through every schemathesis check."""
    schema, url, headers = api
    session = requests.Session()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/ask", "/api/feedback", "/api/widget-config", "/api/search"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=25, deadline=None, database=None,
                             suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            case.call_and_validate(base_url=url, session=session, headers=headers)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
