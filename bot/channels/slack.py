"""Slack: app mentions and direct messages answered in the thread, a /guide slash command answered
privately, feedback buttons stored like the widget's.

slack-bolt does the protocol: requests are verified with the signing secret (bad signatures and
timestamps older than five minutes get 401) and acknowledged before the answer is written, so Slack
hears back within its three seconds. A retried event (`X-Slack-Retry-Num`) is recognised by its
event id and answered once, whichever worker receives it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.api import answering
from bot.channels.slack_blocks import FEEDBACK_ACTIONS, answer_blocks, fallback_text
from bot.config import Settings
from bot.feedback import FeedbackStore, UnknownAnswer
from bot.models import Turn
from bot.pipeline import Pipeline

log = logging.getLogger("bot.slack")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
THREAD_TURNS = 20


def strip_mentions(text: str) -> str:
    return _MENTION.sub("", text or "").strip()


class SlackChannel:
    def __init__(self, settings: Settings, pipeline: Pipeline, store: FeedbackStore, socket_mode: bool = False) -> None:
        """`socket_mode`: events arrive over Slack's WebSocket (no public URL, no signing secret)."""
        self.settings, self.pipeline, self.store = settings, pipeline, store
        client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        self.app = AsyncApp(
            client=client,
            signing_secret=settings.slack_signing_secret or None,
            request_verification_enabled=not socket_mode,
            process_before_response=False,  # acknowledge first, answer after
        )
        self.app.middleware(self._once_per_event)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.command("/guide")(self._on_guide)
        self.app.action(re.compile(f"^({'|'.join(FEEDBACK_ACTIONS)})$"))(self._on_feedback)

    async def _once_per_event(self, body: dict[str, Any], next: Any) -> BoltResponse | None:  # noqa: A002
        event_id = body.get("event_id")
        if event_id and not self.store.first_time(f"slack:{event_id}"):
            log.info("slack event %s already taken (retry)", event_id)
            return BoltResponse(status=200, body="")
        return await next()

    async def _history(self, client: AsyncWebClient, channel: str, thread_ts: str, current_ts: str, bot_user: str | None) -> list[Turn]:
        replies = await client.conversations_replies(channel=channel, ts=thread_ts, limit=THREAD_TURNS + 1)
        turns = []
        for message in replies.get("messages", []):
            if message.get("ts") == current_ts:
                continue
            mine = bool(message.get("bot_id")) or (bot_user is not None and message.get("user") == bot_user)
            text = strip_mentions(message.get("text", ""))
            if text:
                turns.append(Turn(role="assistant" if mine else "user", content=text[:8000]))
        return turns[-THREAD_TURNS:]

    async def _answer_in_thread(self, event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]) -> None:
        text = strip_mentions(event.get("text", ""))
        channel, ts = event["channel"], event["ts"]
        thread_ts = event.get("thread_ts") or ts
        if not text:
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text="Ask me a question about recognising or responding to trafficking.")
            return
        history = await self._history(client, channel, thread_ts, ts, context.get("bot_user_id")) if event.get("thread_ts") else []
        question = answering.question_or_422(question=text[:4000], history=history, region=self.settings.region or None)
        answer = await answering.answer(self.pipeline, self.store, question, "slack", conversation=f"slack:{channel}:{thread_ts}")
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=fallback_text(answer), blocks=answer_blocks(answer))

    async def _on_mention(self, event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]) -> None:
        await self._answer_in_thread(event, client, context)

    async def _on_message(self, event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]) -> None:
        # Direct messages only: in channels the assistant answers when mentioned. Its own messages
        # and edits (subtypes) are not questions.
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        await self._answer_in_thread(event, client, context)

    async def _on_guide(self, ack: Any, command: dict[str, Any], respond: Any) -> None:
        text = (command.get("text") or "").strip()
        if not text:
            await ack(response_type="ephemeral", text="Usage: /guide your question, e.g. /guide what are the red flags of labour trafficking?")
            return
        await ack(response_type="ephemeral", text="Looking that up in the guidance library\u2026")
        question = answering.question_or_422(question=text[:4000], region=self.settings.region or None)
        answer = await answering.answer(self.pipeline, self.store, question, "slack")
        await respond(response_type="ephemeral", replace_original=False, text=fallback_text(answer), blocks=answer_blocks(answer))

    async def _on_feedback(self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        rating = "up" if action["action_id"] == FEEDBACK_ACTIONS[0] else "down"
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        user = (body.get("user") or {}).get("id")
        try:
            self.store.add(action["value"], rating, "", "slack")
            reply = "Thank you: your feedback was saved."
        except UnknownAnswer:
            reply = "That answer is no longer on record, so the feedback could not be saved."
        if channel and user:
            await client.chat_postEphemeral(channel=channel, user=user, text=reply)


async def run_socket_mode(settings: Settings) -> None:
    """Serve Slack over Socket Mode until interrupted (SLACK_BOT_TOKEN and SLACK_APP_TOKEN)."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    pipeline = Pipeline(settings)
    pipeline.warm_up()
    store = FeedbackStore(settings.feedback_url)
    channel = SlackChannel(settings, pipeline, store, socket_mode=True)
    try:
        await AsyncSocketModeHandler(channel.app, settings.slack_app_token).start_async()
    finally:
        store.close()


__all__ = ["SlackChannel", "run_socket_mode", "strip_mentions"]
