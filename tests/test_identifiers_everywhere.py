"""Identifiers of the identifier bank's test split, sent to a real server as questions, history
and feedback comments, are found nowhere afterwards: not in the Answer's `query`, the feedback
database, or the logs (questions logged, debug level) — and a lone surrogate in the question does
not carry them into a traceback. Every path goes through the scrubber: what it takes out of a
message appears nowhere. (What it misses is counted, and gated, by `bot triage eval`.)"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from pathlib import Path

import httpx

from bot.judge.bank import load_pii_bank
from tests.conftest import BOT, KNOWLEDGE, bot_env, free_port, stop, wait_until


def _library_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in KNOWLEDGE.glob("*.md")).lower()


def test_identifiers_reach_no_query_database_or_log(library_dir: Path, tmp_path: Path) -> None:
    from bot.judge.setup import default_scrubber

    items = load_pii_bank(split="test")
    library = _library_text()
    scrub = default_scrubber(KNOWLEDGE).scrub

    cleaned = "\n".join(scrub(text).text for item in items for text in [item.text, *(t.content for t in item.history)])
    # Watched: what the scrubber takes out wherever it occurs, and that is no word of the library (a
    # city, an organisation), which an answer could quote.
    watched = {
        i.text for item in items for i in item.identifiers
        if i.text not in cleaned and not re.search(rf"\b{re.escape(i.text.lower())}\b", library)
    }
    assert len(watched) >= 250

    port = free_port()
    database = tmp_path / "feedback.db"
    log_path = tmp_path / "server.log"
    env = bot_env(library_dir, BOT_LOG_QUESTIONS="true", BOT_LOG_LEVEL="debug", BOT_RATE_LIMIT_PER_MINUTE="0",
                  BOT_FEEDBACK_DB_URL=f"sqlite:///{database}")
    with log_path.open("w") as log_file:
        server = subprocess.Popen([BOT, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=tmp_path,
                                  stdout=log_file, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        queries = []
        try:
            wait_until(lambda: httpx.get(f"{base}/healthz", timeout=2).status_code == 200, 120, "bot serve", server)
            with httpx.Client(base_url=base, timeout=60) as client:
                for item in items:
                    body = {"question": item.text, "region": "UK", "history": [t.model_dump() for t in item.history]}
                    answer = client.post("/v1/chat", json=body).json()
                    queries.append(answer.get("query") or "")
                    given = client.post("/v1/feedback", json={"answer_id": answer["id"], "rating": "down", "comment": item.text})
                    assert given.status_code == 201, given.text
                first = items[0].identifiers[0].text if items[0].identifiers else "Anna Kowalska"
                raw = '{"question": "' + first + ' \\ud800 says her boss keeps her passport", "region": "UK"}'
                broken = client.post("/v1/chat", content=raw, headers={"content-type": "application/json"})
                assert broken.status_code < 500 or "request_id" in broken.json()
        finally:
            stop(server)

    logs = log_path.read_text(encoding="utf-8")
    stored = "\n".join(sqlite3.connect(database).iterdump())
    assert '"question":' in logs, "questions were logged, scrubbed"

    def found(identifier: str, text: str) -> bool:
        # As a whole token: "4380" inside a hex answer id or a request id is not the identifier.
        return re.search(rf"(?<![\w-]){re.escape(identifier)}(?![\w-])", text) is not None

    left = {
        "query": sorted(w for w in watched if any(found(w, q) for q in queries)),
        "feedback database": sorted(w for w in watched if found(w, stored)),
        "logs": sorted(w for w in watched if found(w, logs)),
    }
    assert left == {"query": [], "feedback database": [], "logs": []}, json.dumps(left, ensure_ascii=False, indent=1)
