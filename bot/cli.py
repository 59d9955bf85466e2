"""The `bot` command line: ingest and re-index the library, ask, list sources, evaluate, benchmark, serve.

Shared helpers are in `bot.cli_common`; the feedback commands in `bot.cli_feedback`, the triage ones in
`bot.cli_triage`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from bot.cli_common import err, friendly_errors, out, print_json, progress_bar, reporter
from bot.cli_feedback import feedback_app
from bot.cli_triage import triage_app
from bot.config import get_settings
from bot.errors import BotError
from bot.models import Answer

app = typer.Typer(
    help="Cited guidance for frontline clinicians on recognising and responding to human trafficking.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(feedback_app, name="feedback")
app.add_typer(triage_app, name="triage")
ranker_app = typer.Typer(help="The sentence ranker that orders an extractive answer.", no_args_is_help=True)
app.add_typer(ranker_app, name="ranker")


@ranker_app.command("build")
@friendly_errors
def ranker_build(
    golden: Annotated[Path, typer.Option(help="Golden set whose dev split it learns from.")] = Path("eval/golden/clinician.jsonl"),
    out: Annotated[Path | None, typer.Option(help="Folder to write it to (default: the package's answer/data).")] = None,
) -> None:
    """Train the sentence ranker on the golden set's dev split (needs the index: `bot ingest`) and write it with the set's hash."""
    from bot.answer.ranker import RANKER_DIR
    from bot.answer.ranker_build import build_ranker
    from bot.pipeline import Pipeline

    pipeline = Pipeline(get_settings().model_copy(update={"sentence_ranker": False}))
    pipeline.ensure_ready()
    ranker = build_ranker(pipeline, golden, lambda line: err.print(line, highlight=False), out or RANKER_DIR)
    sys.stdout.write(f"sentence ranker written: {ranker.meta['dev_cases']} dev cases, out of fold {ranker.meta['dev_out_of_fold']}\n")

@app.command()
@friendly_errors
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: BOT_KNOWLEDGE_DIR).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    wordpress: Annotated[
        str | None, typer.Option(help="Read a WordPress site's posts through its REST API instead of files.")
    ] = None,
    wp_pages: Annotated[bool, typer.Option("--wp-pages", help="With --wordpress: pages as well as posts.")] = False,
    wp_clinical: Annotated[
        bool, typer.Option("--wp-clinical", help="With --wordpress: mark the site's items as clinical guidance.")
    ] = False,
) -> None:
    """Load library files into the index: incremental, idempotent, and nothing lost on a bad file.

    \b
    Example usage:
        bot ingest                      # the default library, knowledge/
        bot ingest reports/ extra.pdf   # PDF, HTML and text need a <file>.meta.yaml beside them
        bot ingest --wordpress https://respect.international --wp-pages
    """
    from bot.index import Index
    from bot.ingest.run import ingest as run_ingest
    from bot.ingest.wordpress import ingest_wordpress

    settings = get_settings()
    if wordpress and paths:
        raise BotError("give either PATHs or --wordpress, not both (run `bot ingest` twice)")
    targets = paths or [settings.knowledge_dir]
    index = Index(settings)
    with progress_bar(disable=as_json) as progress:
        report_progress = reporter(progress)
        if wordpress:
            report = ingest_wordpress(wordpress, index, wp_pages, wp_clinical, report_progress)
        else:
            report = run_ingest(targets, index, report_progress)

    if as_json:
        print_json(report.model_dump())
    else:
        out.print(
            f"{report.sources} sources, {report.chunks} chunks: {report.added} added, {report.updated} updated, "
            f"{report.removed} removed, {report.unchanged} unchanged."
        )
        for label, style, items in (("rejected", "red", report.rejected), ("warning", "yellow", report.warnings)):
            for item in items:
                # Assembled, not markup: paths and reasons may contain brackets of their own.
                err.print(Text.assemble((label, style), f" {item.path}: {item.reason}"), soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@friendly_errors
def reindex(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: BOT_KNOWLEDGE_DIR).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Rebuild the whole index beside the live one and swap it in when complete.

    Running servers keep answering from the old index until the swap, then every worker moves
    to the new one on its next question. A failure leaves the live index untouched.
    """
    from bot.ingest.reindex import reindex as run_reindex

    settings = get_settings()
    with progress_bar(disable=as_json) as progress:
        report = run_reindex(settings, paths or [settings.knowledge_dir], progress=reporter(progress))
    if as_json:
        print_json(report.model_dump())
    else:
        out.print(f"slot {report.slot} is live ({report.ingest.sources} sources, {report.ingest.chunks} chunks, "
                  f"{report.seconds} s); replaced {report.previous_slot or 'the first index'}.")


def _render_answer(answer: Answer) -> None:
    out.print(answer.text, markup=False, highlight=False)
    if answer.citations:
        out.print("\nSources:", style="bold")
        for c in answer.citations:
            where = f", {c.locator}" if c.locator else ""
            out.print(
                f"[{c.n}] {c.title}. {c.publisher}, {c.year}{where}. {c.url}",
                markup=False, highlight=False, soft_wrap=True,  # URLs stay whole, so they stay clickable
            )
    t = answer.timings
    err.print(f"retrieve {t.retrieve_ms:.0f} ms, answer {t.answer_ms:.0f} ms, total {t.total_ms:.0f} ms", style="dim")


@app.command()
@friendly_errors
def ask(
    question: Annotated[str, typer.Argument(help="The question, in plain words.")],
    region: Annotated[str | None, typer.Option(help="Jurisdiction, e.g. UK, UK-England, US, CA.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer JSON.")] = False,
) -> None:
    """Answer a question from the library, with numbered sources.

    \b
    Example usage:
        bot ask "What are the red flags of labour exploitation?" --region UK
    """
    from bot.models import Question
    from bot.pipeline import Pipeline

    query = Question(question=question, region=region)
    pipeline = Pipeline(get_settings())
    pipeline.warm_up()  # model loading is start-up cost, not part of the answer's timings
    answer = pipeline.answer(query)
    if as_json:
        print_json(answer.model_dump(mode="json"))
    else:
        _render_answer(answer)


@app.command()
@friendly_errors
def sources(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """List the indexed publications with their chunk counts."""
    from bot.index import Index

    found = Index(get_settings()).sources()
    if as_json:
        print_json(list(found.values()))
        return
    table = Table("title", "publisher", "year", "type", "region", "chunks", "id")
    table.columns[-1].no_wrap = True
    for s in found.values():
        table.add_row(s["title"], s["publisher"], str(s["year"]), s["type"], s["region"], str(s["chunks"]), s["source_id"])
    out.print(table)
    out.print(f"{len(found)} publications, {sum(s['chunks'] for s in found.values())} chunks.")


@app.command("eval")
@friendly_errors
def evaluate(
    golden: Annotated[Path, typer.Option(help="Golden set (JSONL).")] = Path("eval/golden/clinician.jsonl"),
    config: Annotated[
        list[str] | None, typer.Option(help="hybrid, dense, bm25, naive-langchain or llm (needs BOT_LLM_*); repeat to compare (default: the first four).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Report folder (default eval/reports/<timestamp>/).")] = None,
    split: Annotated[str | None, typer.Option(help="Only the cases of this split: dev (to tune on) or test (to report).")] = None,
    minimum: Annotated[list[str] | None, typer.Option("--min", help="METRIC=VALUE the first config must reach.")] = None,
    maximum: Annotated[list[str] | None, typer.Option("--max", help="METRIC=VALUE the first config must not exceed.")] = None,
) -> None:
    """Run a golden set through the pipeline and write report.json, report.md, report.html, cases.jsonl.

    \b
    Example usage:
        bot eval                                    # all four configs on the shipped set
        bot eval --split dev --config hybrid --config naive-langchain
        bot eval --split test --config hybrid --min hit_at_5=0.9 --max must_not_violations=0
    """
    import time

    from bot.evaluation.configs import DEFAULT_CONFIGS
    from bot.evaluation.report import markdown_table, write_report
    from bot.evaluation.runner import missed_thresholds, parse_thresholds, run_eval

    minimums = parse_thresholds(minimum or [], lower_is_better=False)
    maximums = parse_thresholds(maximum or [], lower_is_better=True)
    names = config or list(DEFAULT_CONFIGS)
    target = out or Path("eval/reports") / time.strftime("%Y%m%d-%H%M%S")
    with progress_bar(disable=False) as progress:
        if split not in (None, "dev", "test"):
            raise typer.BadParameter(f"--split is dev or test, not {split!r}")
        report, results = run_eval(golden, names, get_settings(), reporter(progress), split)
    write_report(target, report, results)
    sys.stdout.write(markdown_table(report["configs"]) + "\n")
    sys.stdout.write(f"report: {target / 'report.html'}\n")
    missed = missed_thresholds(report["summary"], minimums, maximums)
    for line in missed:
        err.print(f"threshold missed: {line}", style="red", highlight=False)
    if missed:
        raise typer.Exit(1)


@app.command()
@friendly_errors
def bench(
    sizes: Annotated[str, typer.Option(help="Synthetic index sizes in chunks, comma-separated.")] = "10000,100000",
    out: Annotated[Path, typer.Option(help="Folder for the JSON and Markdown results.")] = Path("eval/reports"),
) -> None:
    """Benchmark retrieval and answer latency (library and synthetic sizes) and ingest throughput.

    A benchmark, not a test: it prints a table and writes bench-<timestamp>.json.
    """
    from bot.bench import run_bench

    with progress_bar(disable=False) as progress:
        table, path = run_bench([int(s) for s in sizes.split(",") if s.strip()], out, get_settings(), reporter(progress))
    sys.stdout.write(table + "\n" + f"results: {path}\n")


@app.command()
@friendly_errors
def load(
    url: Annotated[str | None, typer.Option(help="A running server (default: start `bot serve` on loopback over BOT_DATA_DIR).")] = None,
    clients: Annotated[int, typer.Option(min=1, help="Concurrent clients.")] = 1,
    seconds: Annotated[float, typer.Option(min=1, help="How long to keep asking.")] = 20,
    path: Annotated[str, typer.Option(help="The endpoint to load.")] = "/v1/chat",
    out: Annotated[Path, typer.Option(help="Folder for load-<timestamp>.json.")] = Path("eval/reports"),
) -> None:
    """HTTP latency with concurrent clients: p50/p95/p99, errors, requests per second.

    A benchmark, not a test: it prints a table and writes load-<timestamp>.json.
    """
    from bot.loadtest import run_load

    table, report = run_load(get_settings(), out, url, clients, seconds, path)
    sys.stdout.write(table + "\n" + f"results: {report}\n")


@app.command("slack-socket")
@friendly_errors
def slack_socket() -> None:
    """Answer Slack over Socket Mode (no public URL needed): needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN."""
    import asyncio

    from bot.channels.slack import run_socket_mode
    from bot.errors import ConfigError

    settings = get_settings()
    if not (settings.slack_bot_token and settings.slack_app_token):
        raise ConfigError("Socket Mode needs SLACK_BOT_TOKEN (xoxb-…) and SLACK_APP_TOKEN (xapp-…)")
    asyncio.run(run_socket_mode(settings))


@app.command()
@friendly_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default BOT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind (default BOT_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default BOT_WORKERS); share a Chroma server via BOT_CHROMA_URL.")] = None,
) -> None:
    """Serve the HTTP API, the widget (/widget.js) and its demo page (/)."""
    import os
    import tempfile

    import uvicorn

    from bot.api.app import app_factory
    from bot.api.observability import configure_logging

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    count = workers or settings.workers
    if count > 1 and not settings.chroma_url:
        err.print("[yellow]Several workers on embedded Chroma share one folder; for production set BOT_CHROMA_URL.[/yellow]")
    if count > 1:
        # Each worker counts in its own files; /metrics adds them up.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bot-metrics-")
    uvicorn.run(
        "bot.api.app:app_factory" if count > 1 else app_factory(), factory=count > 1, workers=count,
        host=host or settings.host, port=port or settings.port, log_level=settings.log_level, access_log=False,
        log_config=None,  # uvicorn's own lines go through our handler, which takes identifiers out
    )


if __name__ == "__main__":
    app()
