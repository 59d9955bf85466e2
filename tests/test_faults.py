"""Faults under load, on loopback: the model failing every way it can while clients keep asking;
the Chroma server killed and restarted; an ingest killed with SIGKILL half-way and run again."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx

from bot.index import Index
from conftest import BOT, CHROMA_ENV, KNOWLEDGE, bot_env, chroma_command, free_port, make_settings, run_bot, serving_bot, stop, wait_until
from library_files import DOCUMENTS, INTERPRETERS, write_markdown
from openai_server import ScriptedOpenAI

QUESTIONS = [
    {"question": "What is the phone number for the UK modern slavery helpline?", "region": "UK"},
    {"question": "How should I use an interpreter with a patient who may be trafficked?", "region": "UK"},
    {"question": "What are the red flags of labour trafficking?", "region": "US"},
]


def test_every_question_is_answered_while_the_model_fails_every_way(library_dir: Path, tmp_path: Path) -> None:
    results: list[dict] = []
    errors: list[str] = []
    stop_asking = threading.Event()

    def ask(url: str, worker: int) -> None:
        with httpx.Client(timeout=60) as client:
            i = worker
            while not stop_asking.is_set():
                response = client.post(f"{url}/v1/chat", json=QUESTIONS[i % len(QUESTIONS)])
                i += 1
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                    continue
                results.append(response.json())

    model = ScriptedOpenAI().__enter__()
    try:
        env = {"BOT_LLM_BASE_URL": model.base_url, "BOT_LLM_MODEL": "scripted", "BOT_LLM_TIMEOUT_S": "2",
               "BOT_LLM_MAX_RETRIES": "0", "BOT_RATE_LIMIT_PER_MINUTE": "0"}
        with serving_bot(library_dir, tmp_path, **env) as url:
            clients = [threading.Thread(target=ask, args=(url, n)) for n in range(4)]
            for client in clients:
                client.start()
            for mode, status, seconds in [("echo", 0, 3), ("status", 429, 3), ("status", 500, 3), ("slow", 0, 5),
                                          ("dribble", 0, 5), ("broken", 0, 3)]:
                model.mode, model.status, model.delay_s = mode, status, 3.0
                time.sleep(seconds)
            model.__exit__(None, None, None)  # the model server killed
            model = None
            time.sleep(4)
            stop_asking.set()
            for client in clients:
                client.join(timeout=120)
    finally:
        if model is not None:
            model.__exit__(None, None, None)

    assert errors == [], errors[:3]
    assert len(results) > 20
    assert all(r["citations"] or r["flags"]["not_covered"] for r in results), "every answer is cited guidance"
    reasons = {r["fallback_reason"] for r in results if r["flags"]["fallback_used"]}
    joined = " | ".join(str(r) for r in reasons)
    for expected in ("429", "answered 500", "timed out", "broken or malformed stream", "cannot reach the model"):
        assert expected in joined, f"no fallback for {expected!r}: {joined}"
    assert any(r["answerer"] == "llm" for r in results), "while the model worked it answered"


def _chroma(port: int, path: Path) -> subprocess.Popen[bytes]:
    """A Chroma server this test kills and restarts itself (so not the `background` helper)."""
    process = subprocess.Popen(chroma_command(port, path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=CHROMA_ENV)
    wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).status_code == 200, 60, "chroma run", process)
    return process


def test_chroma_killed_means_not_ready_and_a_clear_503_then_recovery(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    shutil.copy(KNOWLEDGE / "referrals.yaml", library / "referrals.yaml")
    write_markdown(library, "interpreters", INTERPRETERS)
    write_markdown(library, "documents", DOCUMENTS)
    port, path = free_port(), tmp_path / "chroma"
    chroma = _chroma(port, path)
    try:
        url = f"http://127.0.0.1:{port}"
        from bot.ingest.run import ingest

        assert ingest([library], Index(make_settings(tmp_path / "data", chroma_url=url, knowledge_dir=library))).ok
        question = {"question": "Should the person who came with the patient interpret?", "region": "UK"}
        with serving_bot(tmp_path / "data", tmp_path, BOT_CHROMA_URL=url, BOT_KNOWLEDGE_DIR=str(library)) as bot:
            assert httpx.get(f"{bot}/readyz", timeout=10).status_code == 200
            assert httpx.post(f"{bot}/v1/chat", json=question, timeout=60).status_code == 200

            chroma.send_signal(signal.SIGKILL)
            chroma.wait(timeout=10)
            ready = httpx.get(f"{bot}/readyz", timeout=30)
            assert ready.status_code == 503 and ready.json()["chroma"] == "unreachable"
            down = httpx.post(f"{bot}/v1/chat", json=question, timeout=60)
            assert down.status_code == 503, down.text
            body = down.json()
            assert body["error_code"] == "IndexUnavailable" and "Chroma" in body["detail"]
            assert "Traceback" not in down.text and "File \"" not in down.text

            chroma = _chroma(port, path)
            deadline = time.monotonic() + 60
            while httpx.get(f"{bot}/readyz", timeout=30).status_code != 200:
                assert time.monotonic() < deadline, "readiness did not come back after Chroma restarted"
                time.sleep(1)
            again = httpx.post(f"{bot}/v1/chat", json=question, timeout=60)
            assert again.status_code == 200 and again.json()["citations"]
    finally:
        stop(chroma)


def test_an_ingest_killed_half_way_then_run_again_loses_and_repeats_nothing(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    started = time.monotonic()
    assert run_bot("ingest", "--json", env=bot_env(reference)).returncode == 0
    duration = time.monotonic() - started
    expected = Index(make_settings(reference))
    want_chunks, want_sentences = expected.store.count(), expected.store.sentences.count()
    want_sources = set(expected.sources())

    data = tmp_path / "killed"
    process = subprocess.Popen([BOT, "ingest", "--json"], env=bot_env(data), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(duration * 0.6)
    assert process.poll() is None, "the ingest finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)

    again = run_bot("ingest", "--json", env=bot_env(data))
    assert again.returncode == 0, again.stderr
    index = Index(make_settings(data))
    ids = [c.id for c in index.store.all_chunks()]
    assert len(ids) == len(set(ids)) == want_chunks, "the exact chunk count, no duplicates"
    assert index.store.sentences.count() == want_sentences, "every chunk's sentences, once"
    assert set(index.sources()) == want_sources, "no source lost"
