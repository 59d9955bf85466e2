"""An Answer as an Adaptive Card for Teams: the escalation first when flagged, the cited text, the
sources as links, and feedback actions (Action.Submit)."""

from __future__ import annotations

from typing import Any

from bot.channels.render import source_label
from bot.models import Answer

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
FEEDBACK = "feedback"


def plain(text: str) -> str:
    """Text in which Teams' Markdown finds no link: `](` is what makes one (cards render no HTML)."""
    return text.replace("](", "]\u200b(")


def _link_label(text: str) -> str:
    return text.replace("[", "(").replace("]", ")")


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def answer_card(answer: Answer) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    if answer.flags.emergency:
        body.append({"type": "Container", "style": "attention", "items": [
            _text("Emergency: act now", weight="Bolder", color="Attention", size="Medium")]})
    body += [_text(plain(paragraph)) for paragraph in answer.text.split("\n\n") if paragraph.strip()]
    if answer.citations:
        body.append(_text("Sources", weight="Bolder", separator=True))
        for citation in answer.citations:
            label = _link_label(source_label(citation))
            url = citation.url if citation.url.startswith(("https://", "http://")) and ")" not in citation.url else ""
            body.append(_text(f"[{label}]({url})" if url else label, size="Small"))
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
        "actions": [
            {"type": "Action.Submit", "title": title, "data": {"action": FEEDBACK, "answer_id": answer.id, "rating": rating}}
            for title, rating in (("Helpful", "up"), ("Not helpful", "down"))
        ],
    }
