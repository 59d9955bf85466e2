"""`bot feedback list|review|export`: clinicians' ratings, reviewed into golden-set cases."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from bot.cli_common import friendly_errors, out, print_json
from bot.config import get_settings

feedback_app = typer.Typer(help="Clinicians' ratings of answers: list, review, export as golden cases.", no_args_is_help=True)


def _feedback_store() -> Any:
    from bot.feedback import FeedbackStore

    return FeedbackStore(get_settings().feedback_url)


@feedback_app.command("list")
@friendly_errors
def feedback_list(
    unreviewed: Annotated[bool, typer.Option("--unreviewed", help="Only feedback not yet reviewed.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show stored feedback with the question and answer it rates."""
    items = _feedback_store().list(only_unreviewed=unreviewed)
    if as_json:
        print_json([item.model_dump(mode="json") for item in items])
        return
    table = Table("id", "rating", "reviewed", "channel", "question", "comment")
    for item in items:
        table.add_row(str(item.id), item.rating, "yes" if item.reviewed else "no", item.channel, item.question[:80], item.comment[:60])
    out.print(table)
    out.print(f"{len(items)} feedback item(s).")


@feedback_app.command("review")
@friendly_errors
def feedback_review(
    feedback_id: Annotated[int, typer.Argument(help="The feedback's id (from `bot feedback list`).")],
    category: Annotated[str | None, typer.Option(help="in_scope, emergency, out_of_scope or adversarial (default: from the answer's flags).")] = None,
    expected_source: Annotated[list[str] | None, typer.Option("--expected-source", help="A source that answers it; repeat.")] = None,
    must_include: Annotated[list[str] | None, typer.Option("--must-include", help="A fact the answer must state: alternatives separated by |; repeat.")] = None,
    must_not_include: Annotated[list[str] | None, typer.Option("--must-not-include", help="A pattern the answer must not match; repeat.")] = None,
) -> None:
    """Mark feedback reviewed, with what the right answer needs (the golden case's fields).

    With no options, the rated answer is accepted as right: its category from its flags and, for a
    thumbs-up, its cited sources as the expected ones.
    """
    from bot.feedback import Review

    store = _feedback_store()
    review = None
    if category or expected_source or must_include or must_not_include:
        review = Review(
            category=category or store.review_defaults(feedback_id).category,  # type: ignore[arg-type]
            expected_sources=expected_source or [],
            must_include=[group.split("|") for group in must_include or []],
            must_not_include=must_not_include or [],
        )
    item = store.review(feedback_id, review)
    out.print(f"feedback {item.id} reviewed: {item.review}")


@feedback_app.command("export")
@friendly_errors
def feedback_export(
    out_file: Annotated[Path, typer.Option("--out", help="Golden-set JSONL to write.")] = Path("eval/golden/feedback.jsonl"),
) -> None:
    """Write reviewed feedback as golden-set JSONL, ready for `bot eval --golden FILE`."""
    count = _feedback_store().export(out_file)
    out.print(f"{count} reviewed case(s) written to {out_file}")
