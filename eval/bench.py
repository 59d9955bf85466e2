"""Benchmark ingest and answer latency on the shipped library; prints a table, writes a report.

    .venv/bin/python eval/bench.py [--knowledge knowledge] [--golden eval/golden/tuning.jsonl] [--repeat 3]

Measures: model load; a cold ingest into an empty index; a no-op re-ingest; per-question
retrieve, answer and total time through the pipeline (the questions of the golden file, each
asked --repeat times); and the wall time of one `bot ask` process, start-up included.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--golden", type=Path, default=ROOT / "eval/golden/tuning.jsonl")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "eval/reports")
    args = parser.parse_args()

    started = time.perf_counter()
    from bot.config import Settings
    from bot.index import Index
    from bot.index.embeddings import MiniLMEmbeddings
    from bot.ingest.run import ingest
    from bot.models import Question
    from bot.pipeline import Pipeline

    MiniLMEmbeddings().warm_up()
    model_load_s = time.perf_counter() - started

    questions = [json.loads(line) for line in args.golden.read_text().splitlines() if line.strip()]
    rows: dict[str, list[float]] = {"retrieve_ms": [], "answer_ms": [], "total_ms": []}
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), _env_file=None)  # type: ignore[call-arg]
        index = Index(settings)
        t = time.perf_counter()
        report = ingest([args.knowledge], index)
        cold_ingest_s = time.perf_counter() - t
        t = time.perf_counter()
        again = ingest([args.knowledge], Index(settings))
        noop_ingest_s = time.perf_counter() - t
        assert again.added == again.updated == again.removed == 0

        pipeline = Pipeline(settings, index)
        for _ in range(args.repeat):
            for case in questions:
                timings = pipeline.answer(Question(question=case["question"], region=case.get("region"))).timings
                for key in rows:
                    rows[key].append(getattr(timings, key))

        env = {**os.environ, "BOT_DATA_DIR": data_dir}
        bot = str(Path(sys.executable).with_name("bot"))
        t = time.perf_counter()
        subprocess.run([bot, "ask", questions[0]["question"], "--json"], env=env, check=True, capture_output=True)
        cli_ask_s = time.perf_counter() - t

    figures = {
        "sources": report.sources,
        "chunks": report.chunks,
        "model_load_s": round(model_load_s, 2),
        "cold_ingest_s": round(cold_ingest_s, 2),
        "noop_ingest_s": round(noop_ingest_s, 2),
        "cli_ask_wall_s": round(cli_ask_s, 2),
        "questions": len(rows["total_ms"]),
    }
    for key, values in rows.items():
        figures[f"{key}_p50"] = round(statistics.median(values), 1)
        figures[f"{key}_p95"] = round(percentile(values, 0.95), 1)

    lines = [f"| {'figure':<18} | {'value':>8} |", f"|{'-' * 20}|{'-' * 10}|"]
    lines += [f"| {key:<18} | {value:>8} |" for key, value in figures.items()]
    table = "\n".join(lines)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"bench-{stamp}.json").write_text(json.dumps(figures, indent=2))
    (args.out / f"bench-{stamp}.md").write_text(f"# Benchmark {stamp}\n\n{table}\n")
    print(f"report: {args.out / f'bench-{stamp}.json'}")


if __name__ == "__main__":
    main()
