"""The API description matches the API: the real error model, the limits, and schemathesis with every check."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.config._checks import NegativeDataRejectionConfig
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings as hypothesis_settings
from pydantic import SecretStr

from index.embedder import Embedder
from service.app import create_app
from service.settings import Settings
from tests.conftest import NO_RATE_LIMITS, STAFF_PASSWORD
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
    with TestClient(create_app(settings.model_copy(update={"max_question_chars": 300}), embedder)) as client:
        question = client.get("/openapi.json").json()["components"]["schemas"]["AskRequest"]["properties"][
            "question"]
        assert question["maxLength"] == 300


@pytest.fixture(scope="module")
def live_api(settings: Settings, embedder: Embedder) -> Iterator[tuple[str, dict[str, str]]]:
    """The app under `clinicbot serve`'s uvicorn, and the headers of a signed-in staff session (cookie, CSRF)."""
    with live(settings, embedder) as url:
        with httpx.Client(base_url=url) as staff:
            page = staff.get("/staff/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            staff.post("/staff/login", data={"username": "staff", "password": STAFF_PASSWORD, "csrf_token": token})
            cookies = "; ".join(f"{k}={v}" for k, v in staff.cookies.items())
            headers = {"Cookie": cookies, "X-CSRF-Token": staff.cookies["clinicbot_csrf"]}
        yield url, headers


# pytest parametrizes a test before any fixture runs, so schemathesis reads the app's own description made
# here; `test_the_live_server_serves_this_description` checks the live server's is the same document.
DESCRIPTION = create_app(Settings(secret_key=SecretStr("schemathesis-" * 4), **NO_RATE_LIMITS)).openapi()
schema = schemathesis.openapi.from_dict(DESCRIPTION)
# A body over the size limit is refused with 413 before it is read (documented on every route that takes one):
# a rejection of invalid data like schemathesis's defaults, which do not list it.
_negative = schema.config.checks.negative_data_rejection
schema.config.checks.negative_data_rejection = NegativeDataRejectionConfig(
    expected_statuses=[*_negative.expected_statuses, "413"])


def test_the_live_server_serves_this_description(live_api: tuple[str, dict[str, str]]) -> None:
    assert httpx.get(f"{live_api[0]}/openapi.json").json() == DESCRIPTION


@schema.parametrize()
@hypothesis_settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_the_api_does_what_its_description_says(case: Any, live_api: tuple[str, dict[str, str]]) -> None:
    """Every operation, with valid and invalid requests (examples, coverage, fuzzing), through every check."""
    case.call_and_validate(base_url=live_api[0], headers=live_api[1])


def test_schemathesis_reaches_every_json_operation() -> None:
    operations = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}
    assert {("POST", "/api/ask"), ("POST", "/api/feedback"), ("GET", "/api/widget-config"),
            ("GET", "/api/search")} <= operations
    checks = schema.config.checks_config_for(operation=None, phase=None)
    assert all(getattr(checks, name).enabled for name in ("not_a_server_error", "positive_data_acceptance",
                                                           "negative_data_rejection", "response_schema_conformance",
                                                           "response_headers_conformance", "status_code_conformance",
                                                           "content_type_conformance", "unsupported_method",
                                                           "missing_required_header", "ignored_auth"))
