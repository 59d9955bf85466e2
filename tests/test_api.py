"""The HTTP API, in process and as the real `bot serve`, and its agreement with the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.api.app import create_app
from bot.config import Settings
from bot.pipeline import Pipeline
from conftest import bot_env, make_settings, run_bot, serving_bot

QUESTION = {"question": "What is the phone number for the UK modern slavery helpline?", "region": "UK", "history": []}


@pytest.fixture
def client(library_pipeline: Pipeline) -> Iterator[TestClient]:
    with TestClient(create_app(library_pipeline.settings, library_pipeline)) as test_client:
        yield test_client


def comparable(answer: dict) -> dict:
    """The Answer without what legitimately differs between two runs (the clock, the answer id)."""
    return {key: value for key, value in answer.items() if key not in ("timings", "id")}


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"


def test_chat_returns_the_answer_contract(client: TestClient) -> None:
    response = client.post("/v1/chat", json=QUESTION)
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) >= {"text", "citations", "flags", "evidence", "timings"}
    assert set(answer["flags"]) >= {"emergency", "out_of_scope", "not_covered", "fallback_used", "pii_removed"}
    assert set(answer["timings"]) == {"triage_ms", "retrieve_ms", "answer_ms", "total_ms"}
    assert "08000 121 700" in answer["text"]
    first = answer["citations"][0]
    assert set(first) == {"n", "source_id", "title", "publisher", "year", "url", "locator", "quote"}
    assert {"n", "source_id", "chunk_id", "score", "text"} <= set(answer["evidence"][0])


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"question": "   "}, "question is empty"),
        ({"question": "x" * 4001}, "at most 4000 characters"),
        ({"question": "hotline?", "region": "Atlantis"}, "unknown region 'Atlantis'"),
        ({"question": "hotline?", "history": [{"role": "system", "content": "x"}]}, "'user' or 'assistant'"),
        ({"question": "hotline?", "colour": "blue"}, "Extra inputs are not permitted"),
    ],
)
def test_bad_requests_are_422_naming_the_problem(client: TestClient, body: dict, complaint: str) -> None:
    response = client.post("/v1/chat", json=body)
    assert response.status_code == 422
    assert complaint in json.dumps(response.json())


def test_empty_index_is_503_saying_how_to_build_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "empty")
    with TestClient(create_app(settings)) as empty:
        response = empty.post("/v1/chat", json=QUESTION)
    assert response.status_code == 503
    assert response.json()["error_code"] == "IndexNotReady"
    assert "bot ingest" in response.json()["detail"]


@pytest.mark.server
def test_cli_and_real_server_give_the_same_answer(library_dir: Path, tmp_path: Path) -> None:
    env = bot_env(library_dir)
    cli = run_bot("ask", QUESTION["question"], "--region", "UK", "--json", env=env)
    assert cli.returncode == 0, cli.stderr
    from_cli = json.loads(cli.stdout)

    with serving_bot(library_dir, tmp_path) as base:
        from_http = httpx.post(f"{base}/v1/chat", json=QUESTION, timeout=60).json()

    assert comparable(from_cli) == comparable(from_http)
    assert from_cli["citations"] and not from_cli["flags"]["not_covered"]


def test_cli_ask_prints_numbered_sources(library_dir: Path) -> None:
    shown = run_bot("ask", QUESTION["question"], "--region", "UK", env=bot_env(library_dir))
    assert shown.returncode == 0, shown.stderr
    assert "08000 121 700" in shown.stdout
    assert "Sources:" in shown.stdout and "[1] " in shown.stdout and "https://" in shown.stdout


def test_cli_ask_rejects_an_unknown_region_clearly(library_dir: Path) -> None:
    shown = run_bot("ask", "hotline?", "--region", "Mars", env=bot_env(library_dir))
    assert shown.returncode == 2
    assert "unknown region 'Mars'" in shown.stderr
    assert "Traceback" not in shown.stderr


def test_default_region_comes_from_settings(library_dir: Path) -> None:
    pipeline = Pipeline(Settings(data_dir=library_dir, region="CA", _env_file=None))  # type: ignore[call-arg]
    from bot.models import Question

    answer = pipeline.answer(Question(question="Which trafficking hotline can the patient call?"))
    assert answer.region == "CA"
    assert {e.region for e in answer.evidence} <= {"CA", "CA-ON", "international"}


def test_cli_ask_before_any_ingest_says_how_to_build_the_index(tmp_path: Path) -> None:
    shown = run_bot("ask", "What is the UK helpline?", env=bot_env(tmp_path / "never-built"))
    assert shown.returncode == 2
    assert "The index is empty" in shown.stderr and "bot ingest" in shown.stderr
