"""Run a golden set through each configuration and gather the report."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.errors import BotError, IndexNotReady
from bot.evaluation.configs import Answers, build_configs
from bot.evaluation.golden import CATEGORIES, GoldenCase, GoldenError, load_golden
from bot.evaluation.metrics import (
    LOWER_IS_BETTER, SUMMARY_KEYS, CaseResult, citation_check_summary, hit_at_k_curve, score_case, summarise,
)
from bot.evaluation.report import ratios
from bot.index import Index
from bot.models import Question

Progress = Callable[[str, int, int], None]


class ThresholdError(BotError):
    """A --min or --max that cannot be checked."""


def parse_thresholds(
    items: list[str], lower_is_better: bool, keys: tuple[str, ...] = SUMMARY_KEYS[1:], lower: set[str] | frozenset[str] = LOWER_IS_BETTER,
) -> dict[str, float]:
    """`--min`/`--max` METRIC=VALUE options; `keys` are the metrics that may be named, `lower` those where lower is better."""
    flag = "--max" if lower_is_better else "--min"
    found: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name not in keys:
            raise ThresholdError(f"{flag} {item!r}: use METRIC=VALUE with one of {', '.join(keys)}")
        if (name in lower) != lower_is_better:
            other = "--min" if lower_is_better else "--max"
            raise ThresholdError(f"{flag} {name}: {'lower' if name in lower else 'higher'} is better, use {other}")
        try:
            found[name] = float(value)
        except ValueError as exc:
            raise ThresholdError(f"{flag} {item!r}: {value!r} is not a number") from exc
    return found


def missed_thresholds(summary: dict[str, Any], minimums: dict[str, float], maximums: dict[str, float]) -> list[str]:
    missed = []
    for name, floor in minimums.items():
        if summary.get(name) is None or summary[name] < floor:
            missed.append(f"{name} = {summary.get(name)} is below the minimum {floor}")
    for name, ceiling in maximums.items():
        if summary.get(name) is None or summary[name] > ceiling:
            missed.append(f"{name} = {summary.get(name)} is above the maximum {ceiling}")
    return missed


def _question(case: GoldenCase) -> Question:
    return Question(question=case.question, region=case.region, history=case.history)


def run_eval(
    golden: Path,
    config_names: list[str],
    settings: Settings,
    progress: Progress | None = None,
    split: str | None = None,
) -> tuple[dict[str, Any], list[CaseResult]]:
    progress = progress or (lambda step, done, total: None)
    cases = [c for c in load_golden(golden) if split is None or c.split == split]
    if not cases:
        raise GoldenError(f"{golden.name} has no cases" + (f" in the {split} split" if split else ""))
    index = Index(settings)
    if not index.metadata:
        raise IndexNotReady("The index is empty: run `bot ingest` before `bot eval`.")
    progress("preparing", 0, len(config_names))
    configs: dict[str, Answers] = build_configs(config_names, settings, index, settings.knowledge_dir)
    index.embedder.warm_up()

    results: list[CaseResult] = []
    total = len(cases) * len(configs)
    for name, answerer in configs.items():
        for case in cases:
            results.append(score_case(case, answerer.answer(_question(case)), name))
            progress("evaluating", len(results), total)

    per_config: dict[str, dict[str, Any]] = {}
    for name in configs:
        mine = [r for r in results if r.config == name]
        per_config[name] = {
            "summary": summarise(mine),
            "by_category": {c: summarise([r for r in mine if r.category == c]) for c in CATEGORIES if any(r.category == c for r in mine)},
            "hit_at_k": hit_at_k_curve(mine, settings.top_k),
            "citation_check": citation_check_summary(mine),
            "passed": sum(r.passed for r in mine),
        }
    primary = config_names[0]
    report = {
        "golden": str(golden),
        "split": split or "all",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "n_cases": len(cases),
        "primary": primary,
        "summary": per_config[primary]["summary"],
        "by_category": per_config[primary]["by_category"],
        "configs": per_config,
        "baseline": "naive-langchain" if "naive-langchain" in per_config else None,
        "ratios": ratios(per_config, "naive-langchain") if "naive-langchain" in per_config and len(per_config) > 1 else {},
        "settings": {k: str(v) for k, v in settings.model_dump().items()},
    }
    return report, results
