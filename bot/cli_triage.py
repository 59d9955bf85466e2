"""`bot triage build|eval|ask`: the judgement layer's classifier, trained and measured."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from bot.cli_common import err, friendly_errors, out, print_json
from bot.errors import ConfigError

triage_app = typer.Typer(help="The triage classifier: build it from the bank, measure it, try a message.", no_args_is_help=True)
_HEADLINE = (
    "messages", "emergency_recall", "emergency_precision", "refusal_recall", "benign_refused", "hard_negatives_refused",
    "out_of_scope_declined", "in_scope_declined_out_of_scope", "identifiers", "identifiers_left", "keeps", "keeps_lost",
)


def _judge() -> Any:
    from bot.index.embeddings import MiniLMEmbeddings
    from bot.judge.setup import default_scrubber
    from bot.judge.triage import Judge

    return Judge(MiniLMEmbeddings(), default_scrubber())


def _thresholds(items: list[str], flag: str) -> dict[str, float]:
    from bot.evaluation.runner import parse_thresholds
    from bot.judge.evaluate import LOWER_IS_BETTER

    return parse_thresholds(items, flag == "--max", keys=_HEADLINE[1:], lower=LOWER_IS_BETTER)


@triage_app.command("build")
@friendly_errors
def build_command(
    reuse_settings: Annotated[bool, typer.Option(help="Skip the search: train with the settings the shipped model records.")] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write the model here instead of bot/judge/data/.")] = None,
) -> None:
    """Train the classifier on the bank's dev split and write bot/judge/data/triage-model.{npz,json}."""
    from bot.judge.build import build
    from bot.judge.model import TriageModel

    settings = TriageModel.load().meta["settings"] if reuse_settings else None
    model = build(progress=lambda line: err.print(line, highlight=False), settings=settings, **({"out": out_dir} if out_dir else {}))
    out.print(f"triage model written: bank sha256 {model.meta['bank_sha256'][:12]}…, thresholds {model.thresholds}")


@triage_app.command("eval")
@friendly_errors
def eval_command(
    split: Annotated[list[str] | None, typer.Option(help="dev and/or test (default both).")] = None,
    bank: Annotated[Path | None, typer.Option(help="Another bank in the same format, measured whole (e.g. eval/triage/unseen.jsonl).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole report as JSON.")] = False,
    report: Annotated[Path | None, typer.Option(help="Also write the whole report (with every miss) to this file.")] = None,
    minimum: Annotated[list[str] | None, typer.Option("--min", help="METRIC=VALUE the last split must reach.")] = None,
    maximum: Annotated[list[str] | None, typer.Option("--max", help="METRIC=VALUE the last split must not exceed.")] = None,
) -> None:
    """Figures on the bank: emergency recall and precision, refusals, benign messages declined, identifiers left.

    \b
    Example usage:
        bot triage eval --split test --min emergency_recall=1 --max benign_refused=0
    """
    from bot.judge.evaluate import evaluate, evaluate_other_bank, gate_failures

    splits = ["all"] if bank else split or ["dev", "test"]
    for name in splits:
        if name not in ("dev", "test", "all"):
            raise ConfigError(f"--split {name!r}: use dev or test")
    minimums, maximums = _thresholds(minimum or [], "--min"), _thresholds(maximum or [], "--max")
    result = evaluate_other_bank(_judge(), bank) if bank else evaluate(_judge(), splits)  # type: ignore[arg-type]
    if report:
        report.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if as_json:
        print_json(result)
    else:
        table = Table("figure", *splits)
        for key in _HEADLINE:
            table.add_row(key, *(str(result["splits"][s].get(key, "–")) for s in splits))
        out.print(table)
    failures = gate_failures(result["splits"][splits[-1]], minimums, maximums)
    for line in failures:
        err.print(f"threshold missed ({splits[-1]}): {line}", style="red", highlight=False)
    if failures:
        raise typer.Exit(1)


@triage_app.command("ask")
@friendly_errors
def ask_command(message: str, history: Annotated[list[str] | None, typer.Option(help="An earlier turn of the clinician's; repeat.")] = None) -> None:
    """How one message is triaged: the scrubbed text, each intent's score, the decision."""
    from bot.models import Turn

    triage = _judge().triage(message, [Turn(role="user", content=h) for h in history or []])
    print_json({
        "scrubbed": triage.asked.text, "identifiers": triage.asked.kinds, "intent": triage.intent,
        "emergency": triage.emergency, "refused": triage.refused, "scores": triage.scores,
        "previous_turn_scores": triage.carried, "rules": sorted(triage.rules),
    })
