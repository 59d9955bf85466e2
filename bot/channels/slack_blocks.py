"""An Answer as Slack Block Kit: the escalation first when flagged, the cited text, the sources
with links, and feedback buttons."""

from __future__ import annotations

from typing import Any

from bot.channels.render import pieces, source_label
from bot.models import Answer

SECTION_LIMIT = 3000  # Slack's limit on a section's text
CONTEXT_LIMIT = 10  # elements in one context block
FEEDBACK_ACTIONS = ("feedback_up", "feedback_down")


def escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str) -> str:
    safe = url if url.startswith(("https://", "http://")) and "|" not in url and ">" not in url else ""
    return f"<{safe}|{escape(label)}>" if safe else escape(label)


def answer_blocks(answer: Answer) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if answer.flags.emergency:
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": "\u26a0 Emergency: act now", "emoji": True}})
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": escape(part)}} for part in pieces(answer.text, SECTION_LIMIT)]
    sources = [_link(c.url, source_label(c)) for c in answer.citations]
    for start in range(0, len(sources), CONTEXT_LIMIT):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": s} for s in sources[start : start + CONTEXT_LIMIT]]})
    blocks.append({
        "type": "actions",
        "block_id": "feedback",
        "elements": [
            {"type": "button", "action_id": FEEDBACK_ACTIONS[0], "text": {"type": "plain_text", "text": "Helpful"}, "value": answer.id},
            {"type": "button", "action_id": FEEDBACK_ACTIONS[1], "text": {"type": "plain_text", "text": "Not helpful"}, "value": answer.id},
        ],
    })
    return blocks


def fallback_text(answer: Answer) -> str:
    """The plain text Slack shows in notifications (and what a later turn reads as history)."""
    return answer.text[:3900]
