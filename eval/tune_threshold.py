"""Tune BOT_MIN_RELEVANCE: the similarity below which the answer is "not covered".

Runs every case of a golden file through the pipeline with the threshold off, records the best
evidence-sentence similarity, and prints, for each candidate threshold, how many in-scope cases
would be answered and how many out-of-scope cases declined. Writes the table to eval/reports/.

    .venv/bin/python eval/tune_threshold.py [--golden eval/golden/tuning.jsonl]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bot.config import Settings
from bot.index import Index
from bot.ingest.run import ingest
from bot.models import Question
from bot.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--golden", type=Path, default=ROOT / "eval/golden/tuning.jsonl")
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--out", type=Path, default=ROOT / "eval/reports")
    args = parser.parse_args()

    cases = [json.loads(line) for line in args.golden.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), min_relevance=0.0, _env_file=None)  # type: ignore[call-arg]
        index = Index(settings)
        ingest([args.knowledge], index)
        pipeline = Pipeline(settings, index)
        pipeline.warm_up()
        rows = []
        for case in cases:
            answer = pipeline.answer(Question(question=case["question"], region=case.get("region")))
            retrieved = [e.source_id for e in answer.evidence]
            rows.append(
                {
                    "id": case["id"],
                    "category": case["category"],
                    "confidence": answer.confidence,
                    "hit": any(s in retrieved for s in case["expected_sources"]) if case["expected_sources"] else None,
                }
            )

    in_scope = [r for r in rows if r["category"] == "in_scope"]
    outside = [r for r in rows if r["category"] == "out_of_scope"]
    table = []
    for step in range(40, 121):
        threshold = step / 200
        answered = sum(r["confidence"] >= threshold for r in in_scope)
        declined = sum(r["confidence"] < threshold for r in outside)
        table.append(
            {
                "threshold": threshold,
                "in_scope_answered": answered,
                "out_of_scope_declined": declined,
                "accuracy": round((answered + declined) / len(rows), 3),
            }
        )
    top = max(t["accuracy"] for t in table)
    plateau = [t for t in table if t["accuracy"] == top]
    # The middle of the best plateau: the widest margin on both sides, not its lucky edge.
    best = plateau[len(plateau) // 2]
    weakest_in = min(r["confidence"] for r in in_scope)
    strongest_out = max(r["confidence"] for r in outside)
    midpoint = round((weakest_in + strongest_out) / 2, 3) if strongest_out < weakest_in else None

    print(f"{'threshold':>9} {'in-scope answered':>18} {'out-of-scope declined':>22} {'accuracy':>8}")
    for t in table:
        mark = "  <- recommended" if t is best else ""
        print(
            f"{t['threshold']:>9.3f} {t['in_scope_answered']:>11}/{len(in_scope):<6} "
            f"{t['out_of_scope_declined']:>15}/{len(outside):<6} {t['accuracy']:>8.3f}{mark}"
        )
    if midpoint is not None:
        print(f"separable: recommended BOT_MIN_RELEVANCE={midpoint} (margin {weakest_in - strongest_out:.3f})")
    print(f"in-scope hit@{settings.top_k}: {sum(bool(r['hit']) for r in in_scope)}/{len(in_scope)}")
    print("lowest in-scope:", sorted((r["confidence"], r["id"]) for r in in_scope)[:5])
    print("highest out-of-scope:", sorted(((r["confidence"], r["id"]) for r in outside), reverse=True)[:5])

    args.out.mkdir(parents=True, exist_ok=True)
    report = args.out / f"tuning-{time.strftime('%Y%m%d-%H%M%S')}.json"
    report.write_text(json.dumps({"golden": str(args.golden), "best": best, "midpoint": midpoint, "table": table, "cases": rows}, indent=2))
    print(f"report: {report}")


if __name__ == "__main__":
    main()
