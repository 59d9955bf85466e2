"""The regression gate: the shipped golden set's test split must keep the level the pipeline
reaches today (choices are made on its dev split; eval/golden/README.md).

Raise a floor when a change lifts a metric; never lower one to make a change pass, unless the
change implements a specified behaviour that costs it, and then say so in the commit (answering
region-less questions from international guidance only cost two no-region cases; the trained triage of
issue 12 refuses five in-scope questions of this set, most leaning towards a legal verdict ("is he
a victim or an offender?", "can that really count as trafficking?"), which lowered
cited_expected, fact_coverage and behavior_accuracy). Since issue 13 the gate reads the test
split of the enlarged set (131 of its 415 cases), with floors set at its level then; the sentence
ranker trained on its dev split lifted fact_coverage there from 0.527 to 0.602 (0.628 with the
fusion constant chosen on dev after it) and cost one
must-not violation (an ICD-10-CM question about diabetes, outside the library, now quotes the
trafficking T-codes instead of other sentences: "not covered" is still decided by similarity, and
that is issue 13's fifth part, not yet done), so the maximum is 3. The floors sit
about two cases below the level reached, because two builds of the same library (a fresh one here,
an incrementally updated one in .data) can order near-tied passages differently. Latency is
measured by `bot bench` and `bot eval`'s reports, not gated here (shared machines are noisy).
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ROOT, bot_env, run_bot

MINIMUMS = {
    "hit_at_5": 0.72,
    "recall_at_5": 0.65,
    "mrr": 0.64,
    "cited_expected": 0.78,
    "fact_coverage": 0.61,
    "behavior_accuracy": 0.84,
    "citation_validity": 1.0,
}
MAXIMUMS = {"must_not_violations": 3, "uncited_sentences": 0}


def test_shipped_golden_set_meets_the_gate(library_dir: Path, tmp_path: Path) -> None:
    args = ["eval", "--golden", str(ROOT / "eval/golden/clinician.jsonl"), "--split", "test", "--config", "hybrid", "--out", str(tmp_path)]
    args += [f"--min={k}={v}" for k, v in MINIMUMS.items()] + [f"--max={k}={v}" for k, v in MAXIMUMS.items()]
    done = run_bot(*args, env=bot_env(library_dir))
    summary = json.loads((tmp_path / "report.json").read_text())["summary"]
    assert done.returncode == 0, f"{done.stderr}\nsummary: {summary}"
