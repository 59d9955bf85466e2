"""Keys, origins, CORS, admin token, rate limits, body limits, security headers, request ids,
logs that keep questions out, and /metrics."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.api.app import create_app
from bot.api.observability import JsonFormatter
from bot.pipeline import Pipeline

QUESTION = {"question": "What is the phone number for the UK modern slavery helpline?", "region": "UK"}
WIDGET_ORIGIN = "https://intranet.hospital.example"


@pytest.fixture
def make_client(library_pipeline: Pipeline, tmp_path: Path) -> Iterator:
    clients = []

    def build(**overrides: object) -> TestClient:
        settings = library_pipeline.settings.model_copy(update={"feedback_db_url": f"sqlite:///{tmp_path / 'fb.db'}", **overrides})
        client = TestClient(create_app(settings, Pipeline(settings, index=library_pipeline.index)))
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


def test_with_keys_set_the_chat_endpoints_need_one(make_client) -> None:
    client = make_client(api_keys=f"server-key-1, widget-key@{WIDGET_ORIGIN}")
    missing = client.post("/v1/chat", json=QUESTION)
    assert missing.status_code == 401 and "API key" in missing.json()["detail"]
    assert client.post("/v1/chat", json=QUESTION, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/v1/chat", json=QUESTION, headers={"Authorization": "Bearer server-key-1"}).status_code == 200
    assert client.post("/v1/chat/stream", json=QUESTION, headers={"X-API-Key": "server-key-1"}).status_code == 200
    assert client.post("/v1/feedback", json={"answer_id": "x", "rating": "up"}).status_code == 401
    body = {"model": "m", "messages": [{"role": "user", "content": QUESTION["question"]}]}
    assert client.post("/v1/chat/completions", json=body).status_code == 401
    assert client.get("/v1/sources").status_code == 200, "the catalogue is public"


def test_a_widget_key_works_only_from_its_origins(make_client) -> None:
    client = make_client(api_keys=f"widget-key@{WIDGET_ORIGIN}|https://other.example")
    key = {"X-API-Key": "widget-key"}
    assert client.post("/v1/chat", json=QUESTION, headers={**key, "Origin": WIDGET_ORIGIN}).status_code == 200
    assert client.post("/v1/chat", json=QUESTION, headers={**key, "Origin": "https://evil.example"}).status_code == 403
    assert client.post("/v1/chat", json=QUESTION, headers=key).status_code == 403


def test_cors_allows_only_the_listed_origins(make_client) -> None:
    client = make_client(cors_origins=WIDGET_ORIGIN)
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-api-key"}
    allowed = client.options("/v1/chat/stream", headers={"Origin": WIDGET_ORIGIN, **preflight})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == WIDGET_ORIGIN
    refused = client.options("/v1/chat/stream", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in refused.headers
    answer = client.post("/v1/chat", json=QUESTION, headers={"Origin": WIDGET_ORIGIN})
    assert answer.headers["access-control-allow-origin"] == WIDGET_ORIGIN


def test_admin_endpoints_are_off_without_a_token_and_guarded_with_one(make_client) -> None:
    off = make_client()
    assert off.post("/v1/admin/ingest").status_code == 404 and "BOT_ADMIN_TOKEN" in off.post("/v1/admin/ingest").json()["detail"]
    on = make_client(admin_token="s3cret-admin")
    assert on.post("/v1/admin/ingest").status_code == 401
    assert on.post("/v1/admin/ingest", headers={"Authorization": "Bearer nope"}).status_code == 401
    report = on.post("/v1/admin/ingest", headers={"Authorization": "Bearer s3cret-admin"})
    assert report.status_code == 200 and report.json()["unchanged"] == report.json()["chunks"] > 0
    export = on.get("/v1/admin/feedback/export", headers={"Authorization": "Bearer s3cret-admin"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/x-ndjson")


def test_rate_limits_per_key_and_address(make_client) -> None:
    client = make_client(rate_limit_per_minute=3)
    statuses = [client.post("/v1/chat", json=QUESTION).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.post("/v1/chat", json=QUESTION)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert client.get("/v1/sources").status_code == 200, "only answering is limited"


def test_an_oversized_body_is_refused_before_it_is_read(make_client) -> None:
    client = make_client(max_body_bytes=4096)
    big = json.dumps({"question": "x" * 10_000})
    declared = client.post("/v1/chat", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and "4096 bytes" in declared.json()["detail"]

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"x" * 1000

    streamed = client.post("/v1/chat", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413


def test_pages_carry_security_headers_and_every_response_a_request_id(make_client) -> None:
    client = make_client()
    page = client.get("/")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and page.headers["x-frame-options"] == "DENY"
    api = client.get("/v1/sources", headers={"X-Request-ID": "trace-123"})
    assert api.headers["x-content-type-options"] == "nosniff" and api.headers["x-request-id"] == "trace-123"
    assert len(client.get("/healthz").headers["x-request-id"]) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "bad id\\n"}).headers["x-request-id"] != "bad id\\n"


@pytest.mark.parametrize("log_questions", [False, True])
def test_logs_are_json_with_the_request_id_and_questions_only_when_allowed(
    make_client, caplog: pytest.LogCaptureFixture, log_questions: bool
) -> None:
    client = make_client(log_questions=log_questions)
    caplog.set_level(logging.INFO)
    client.post("/v1/chat", json={**QUESTION, "question": QUESTION["question"] + " Patient Mrs Amina Khan, 07700 900123."},
                headers={"X-Request-ID": "req-42"})
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name in ("bot.access", "bot.answers")]
    assert {line["request_id"] for line in lines} == {"req-42"}
    answered = next(line for line in lines if line["message"] == "answered")
    assert answered["flags"]["pii_removed"] is True and answered["citations"] > 0
    everything = "\n".join(json.dumps(line) for line in lines)
    assert "Amina" not in everything and "07700 900123" not in everything
    assert ("helpline" in everything) is log_questions, "the question appears only with BOT_LOG_QUESTIONS, scrubbed"


def test_metrics_count_requests_and_answer_outcomes(make_client) -> None:
    client = make_client()
    client.post("/v1/chat", json=QUESTION)
    client.post("/v1/chat", json={"question": "What is a good recipe for banana bread?"})
    text = client.get("/metrics").text
    assert 'bot_requests_total{method="POST",route="/v1/chat",status="200"}' in text
    assert "bot_request_seconds_bucket" in text and 'bot_answers_total{answerer="extractive",channel="api"}' in text
    assert 'bot_declines_total{kind="out_of_scope"}' in text
