"""Microsoft Teams through the Bot Framework protocol, implemented directly (the Python SDK is
archived and its token check blocks): activities in at /teams/messages, replies out through the
activity's serviceUrl with a client-credentials token.

1:1 chats and channel @mentions (the mention stripped) are answered with an Adaptive Card; a new
conversation gets a welcome stating the scope, the privacy rule and the emergency numbers; the
card's feedback buttons come back as message activities carrying `value`, stored like the widget's.
Follow-ups take the conversation's last answers (from the feedback database) as history.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

from bot.api import answering
from bot.channels.render import welcome
from bot.channels.teams_auth import BotFrameworkAuth, ConnectorToken
from bot.channels.teams_cards import CARD_TYPE, FEEDBACK, answer_card
from bot.config import Settings
from bot.feedback import FeedbackStore, UnknownAnswer
from bot.pipeline import Pipeline

log = logging.getLogger("bot.teams")
_AT = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
HISTORY_EXCHANGES = 3


def question_text(activity: dict[str, Any]) -> str:
    """The activity's text without @mentions of the bot (or anyone)."""
    text = activity.get("text") or ""
    for entity in activity.get("entities") or []:
        if entity.get("type") == "mention" and entity.get("text"):
            text = text.replace(entity["text"], " ")
    return re.sub(r"\s+", " ", _AT.sub(" ", text)).strip()


class TeamsChannel:
    def __init__(self, settings: Settings, pipeline: Pipeline, store: FeedbackStore) -> None:
        self.settings, self.pipeline, self.store = settings, pipeline, store
        self.http = httpx.AsyncClient(timeout=20)
        self.auth = BotFrameworkAuth(settings.microsoft_app_id, settings.teams_openid_url, self.http)
        self.token = ConnectorToken(settings.teams_token_endpoint, settings.microsoft_app_id, settings.microsoft_app_password, self.http)

    async def close(self) -> None:
        await self.http.aclose()

    async def _send(self, activity: dict[str, Any], reply: dict[str, Any], in_reply: bool = True) -> None:
        conversation = activity["conversation"]["id"]
        base = f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/{conversation}/activities"
        url = f"{base}/{activity['id']}" if in_reply and activity.get("id") else base
        message = {
            "type": "message",
            "from": activity.get("recipient"),
            "recipient": activity.get("from"),
            "conversation": activity.get("conversation"),
            **({"replyToId": activity["id"]} if in_reply and activity.get("id") else {}),
            **reply,
        }
        response = await self.http.post(url, json=message, headers={"Authorization": f"Bearer {await self.token.get()}"})
        if response.status_code >= 400:
            log.warning("Teams connector answered %s for a reply", response.status_code)

    async def handle(self, activity: dict[str, Any]) -> None:
        """Act on an activity whose token has been verified."""
        kind = activity.get("type")
        if activity.get("id") and not self.store.first_time(f"teams:{activity['conversation']['id']}:{activity['id']}"):
            return  # a redelivery
        if kind == "conversationUpdate":
            bot_id = (activity.get("recipient") or {}).get("id")
            if any(member.get("id") == bot_id for member in activity.get("membersAdded") or []):
                await self._send(activity, {"text": welcome(self.pipeline.referrals, self.settings.region or None)}, in_reply=False)
        elif kind == "message" and isinstance(activity.get("value"), dict) and activity["value"].get("action") == FEEDBACK:
            await self._feedback(activity)
        elif kind == "message":
            await self._answer(activity)

    async def _feedback(self, activity: dict[str, Any]) -> None:
        value = activity["value"]
        rating = "up" if value.get("rating") == "up" else "down"
        try:
            self.store.add(str(value.get("answer_id", "")), rating, "", "teams")
            text = "Thank you: your feedback was saved."
        except UnknownAnswer:
            text = "That answer is no longer on record, so the feedback could not be saved."
        await self._send(activity, {"text": text})

    async def _answer(self, activity: dict[str, Any]) -> None:
        text = question_text(activity)
        if not text:
            await self._send(activity, {"text": "Ask me a question about recognising or responding to trafficking."})
            return
        conversation = f"teams:{activity['conversation']['id']}"
        history = self.store.recent_turns(conversation, HISTORY_EXCHANGES)
        question = answering.question_or_422(question=text[:4000], history=history, region=self.settings.region or None)
        answer = await answering.answer(self.pipeline, self.store, question, "teams", conversation=conversation)
        await self._send(activity, {
            "text": answer.text[:200] + ("…" if len(answer.text) > 200 else ""),  # the notification preview
            "attachments": [{"contentType": CARD_TYPE, "content": answer_card(answer)}],
        })


__all__ = ["TeamsChannel", "question_text"]
