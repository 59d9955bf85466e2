"""Two API workers sharing one real `chroma run` on loopback; a re-index built beside the live
collection and swapped in while questions keep being answered; every worker follows the swap."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import httpx

from bot.index import Index
from bot.ingest.run import ingest
from conftest import KNOWLEDGE, make_settings, serving_bot
from library_files import DOCUMENTS, INTERPRETERS, write_markdown

NEW_FACT = "The ward keeps a laminated card with the safeguarding lead's bleep number, 4471, at the nurses' station."
QUESTION = {"question": "Should the person who came with the patient interpret for them?", "region": "UK"}


def test_two_workers_on_a_chroma_server_follow_a_reindex_without_missing_a_question(chroma_server: str, tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    shutil.copy(KNOWLEDGE / "referrals.yaml", library / "referrals.yaml")
    write_markdown(library, "interpreters", INTERPRETERS)
    write_markdown(library, "documents", DOCUMENTS)
    settings = make_settings(tmp_path / "data", chroma_url=chroma_server, knowledge_dir=library)
    assert ingest([library], Index(settings)).ok

    env = {"BOT_CHROMA_URL": chroma_server, "BOT_KNOWLEDGE_DIR": str(library), "BOT_WORKERS": "2",
           "BOT_ADMIN_TOKEN": "admin-token", "BOT_RATE_LIMIT_PER_MINUTE": "0"}
    with serving_bot(tmp_path / "data", tmp_path, **env) as url:
        pids = set()
        deadline = time.monotonic() + 60
        while len(pids) < 2 and time.monotonic() < deadline:
            pids.add(httpx.get(f"{url}/healthz", timeout=10).json()["pid"])
        assert len(pids) == 2, "two worker processes answer"

        failures: list[str] = []
        answered = 0
        stop = threading.Event()

        def keep_asking() -> None:
            nonlocal answered
            with httpx.Client(timeout=60) as client:
                while not stop.is_set():
                    response = client.post(f"{url}/v1/chat", json=QUESTION)
                    if response.status_code != 200 or not response.json()["citations"]:
                        failures.append(f"{response.status_code}: {response.text[:200]}")
                    answered += 1

        askers = [threading.Thread(target=keep_asking) for _ in range(2)]
        for asker in askers:
            asker.start()
        write_markdown(library, "ward-card", f"# Ward card\n\n## Safeguarding lead\n{NEW_FACT}\n")
        try:
            swap = httpx.post(f"{url}/v1/admin/reindex", headers={"Authorization": "Bearer admin-token"}, timeout=300)
        finally:
            time.sleep(1)
            stop.set()
            for asker in askers:
                asker.join(timeout=60)
        assert swap.status_code == 200, swap.text
        report = swap.json()
        assert report["ingest"]["sources"] == 3 and report["slot"] != report["previous_slot"]
        assert failures == [] and answered > 2, f"{answered} answered, failures: {failures[:3]}"

        seen_new: set[int] = set()
        deadline = time.monotonic() + 60
        while seen_new != pids and time.monotonic() < deadline:
            health = httpx.get(f"{url}/healthz", timeout=10).json()["pid"]
            sources = {s["id"] for s in httpx.get(f"{url}/v1/sources", timeout=30).json()}
            if "ward-card" in sources:
                seen_new.add(health)
        assert seen_new == pids, "every worker moved to the new index"
        answer = httpx.post(f"{url}/v1/chat", json={"question": "What is the safeguarding lead's bleep number on the ward?", "region": "UK"}, timeout=60).json()
        assert "4471" in answer["text"]
        metrics = httpx.get(f"{url}/metrics", timeout=10).text
        assert 'bot_requests_total{method="POST",route="/v1/chat",status="200"}' in metrics, "counted across workers"
