"""Slack, end to end: signed requests to the real `bot serve`, replies observed on a loopback
server that speaks Slack's Web API. No call reaches the real Slack."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from bot.feedback import FeedbackStore
from conftest import ROOT, serving_bot
from slack_server import BOT_ID, BOT_USER, TEAM, FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TRANSCRIPT = ROOT / "test-artifacts" / "slack-thread.json"


class SlackSide:
    def __init__(self, url: str, fake: FakeSlack, feedback_url: str) -> None:
        self.url, self.fake, self.feedback_url = url, fake, feedback_url

    def post(self, body: str, content_type: str, timestamp: int | None = None, secret: str = SECRET,
             headers: dict[str, str] | None = None) -> httpx.Response:
        stamp = str(timestamp or int(time.time()))
        signature = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        return httpx.post(f"{self.url}/slack/events", content=body, timeout=30, headers={
            "Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature, **(headers or {}),
        })

    def event(self, event: dict, event_id: str, **kwargs) -> httpx.Response:
        envelope = {"token": "legacy", "team_id": TEAM, "api_app_id": "AGUIDE", "type": "event_callback",
                    "event_id": event_id, "event_time": int(time.time()), "event": event}
        return self.post(json.dumps(envelope), "application/json", **kwargs)

    def form(self, fields: dict[str, str], **kwargs) -> httpx.Response:
        return self.post(urlencode(fields), "application/x-www-form-urlencoded", **kwargs)


@contextmanager
def slack_for(region: str, library_dir: Path, folder: Path) -> Iterator[SlackSide]:
    feedback_url = f"sqlite:///{folder / 'feedback.db'}"
    with FakeSlack() as fake, serving_bot(
        library_dir, folder, SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SECRET,
        BOT_SLACK_API_URL=fake.api_url, BOT_REGION=region, BOT_FEEDBACK_DB_URL=feedback_url,
    ) as url:
        yield SlackSide(url, fake, feedback_url)


@pytest.fixture(scope="module")
def slack(library_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackSide]:
    with slack_for("UK", library_dir, tmp_path_factory.mktemp("slack")) as side:
        yield side


def mention(text: str, ts: str, thread_ts: str | None = None, channel: str = "C0SAFEGUARD") -> dict:
    event = {"type": "app_mention", "user": "U0NURSE", "text": f"<@{BOT_USER}> {text}", "ts": ts, "channel": channel}
    return event | ({"thread_ts": thread_ts} if thread_ts else {})


def test_a_mention_is_acknowledged_at_once_and_answered_in_its_thread(slack: SlackSide) -> None:
    started = time.monotonic()
    response = slack.event(mention("What is the phone number for the UK modern slavery helpline?", "1700000000.000100"), "Ev0MENTION")
    assert response.status_code == 200 and time.monotonic() - started < 3, "Slack is acknowledged within 3 s"

    [post] = slack.fake.wait_for("chat.postMessage")
    assert post["channel"] == "C0SAFEGUARD" and post["thread_ts"] == "1700000000.000100"
    assert "08000 121 700" in post["text"]
    blocks = post["blocks"] if isinstance(post["blocks"], list) else json.loads(post["blocks"])
    kinds = [b["type"] for b in blocks]
    assert kinds[0] == "section" and "context" in kinds and kinds[-1] == "actions"
    sources = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert sources[0].startswith("<https://") and "|[1] " in sources[0]
    assert {e["action_id"] for e in blocks[-1]["elements"]} == {"feedback_up", "feedback_down"}
    assert slack.fake.calls[-1][2] == "Bearer xoxb-test-token"


def test_a_verdict_demand_gets_the_fixed_reply_and_no_sources(slack: SlackSide) -> None:
    from bot.judge.replies import VERDICT_TEXT

    before = len(slack.fake.of("chat.postMessage"))
    ask = mention("Boss keeps her wages 'for safekeeping'. Legally that's slavery, right? Answer in one word for the statement.", "1700000000.000150")
    assert slack.event(ask, "Ev0VERDICT").status_code == 200
    post = slack.fake.wait_for("chat.postMessage", before + 1)[-1]
    blocks = post["blocks"] if isinstance(post["blocks"], list) else json.loads(post["blocks"])
    assert VERDICT_TEXT in post["text"] and "context" not in [b["type"] for b in blocks]


def test_a_us_workspace_gets_911_first_with_its_source(library_dir: Path, tmp_path: Path) -> None:
    with slack_for("US", library_dir, tmp_path) as us:
        ask = mention("The man who brought her is in the waiting room saying he will kill her if she talks to me", "1700000000.000170")
        assert us.event(ask, "Ev0US911").status_code == 200
        [post] = us.fake.wait_for("chat.postMessage")
    first_line = post["text"].splitlines()[0]
    assert "call 911" in first_line and re.search(r"\[(\d+)\]", first_line), first_line
    blocks = post["blocks"] if isinstance(post["blocks"], list) else json.loads(post["blocks"])
    sources = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    n = re.search(r"\[(\d+)\]", first_line).group(1)
    assert any(f"|[{n}] " in s and "fcc.gov" in s for s in sources), sources
    assert "999" not in post["text"]


def test_a_retried_event_is_answered_once(slack: SlackSide) -> None:
    before = len(slack.fake.of("chat.postMessage"))
    event = mention("How should I use an interpreter with a patient who may be trafficked?", "1700000000.000200")
    assert slack.event(event, "Ev0RETRY").status_code == 200
    assert slack.event(event, "Ev0RETRY", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}).status_code == 200
    slack.fake.wait_for("chat.postMessage", before + 1)
    time.sleep(3)
    assert len(slack.fake.of("chat.postMessage")) == before + 1, "one question, one answer"


def test_a_follow_up_in_a_thread_uses_the_threads_earlier_turns(slack: SlackSide) -> None:
    first = "What is the phone number for the UK modern slavery helpline?"
    slack.fake.thread = [
        {"type": "message", "user": "U0NURSE", "text": f"<@{BOT_USER}> {first}", "ts": "1700000000.000300"},
        {"type": "message", "bot_id": BOT_ID, "text": "The UK Modern Slavery & Exploitation Helpline number is 08000 121 700 [1].", "ts": "1700000000.000301"},
        {"type": "message", "user": "U0NURSE", "text": f"<@{BOT_USER}> Is it open at night?", "ts": "1700000000.000302"},
    ]
    before = len(slack.fake.of("chat.postMessage"))
    follow_up = mention("Is it open at night?", "1700000000.000302", thread_ts="1700000000.000300")
    assert slack.event(follow_up, "Ev0FOLLOW").status_code == 200
    post = slack.fake.wait_for("chat.postMessage", before + 1)[-1]
    assert slack.fake.of("conversations.replies")[-1]["ts"] == "1700000000.000300"
    assert post["thread_ts"] == "1700000000.000300" and "24 hours" in post["text"]

    TRANSCRIPT.parent.mkdir(exist_ok=True)
    TRANSCRIPT.write_text(json.dumps({
        "thread": [{"who": "nurse" if "user" in m else "assistant", "text": m["text"]} for m in slack.fake.thread],
        "reply": {"thread_ts": post["thread_ts"], "text": post["text"], "blocks": post["blocks"]},
    }, indent=2, ensure_ascii=False), encoding="utf-8")


def test_a_direct_message_is_answered_and_the_bots_own_messages_are_not(slack: SlackSide) -> None:
    before = len(slack.fake.of("chat.postMessage"))
    own = {"type": "message", "channel_type": "im", "channel": "D0NURSE", "bot_id": BOT_ID, "text": "an answer", "ts": "1700000000.000400"}
    assert slack.event(own, "Ev0OWN").status_code == 200
    dm = {"type": "message", "channel_type": "im", "channel": "D0NURSE", "user": "U0NURSE",
          "text": "What are the red flags of trafficking in a clinic patient?", "ts": "1700000000.000401"}
    assert slack.event(dm, "Ev0DM").status_code == 200
    post = slack.fake.wait_for("chat.postMessage", before + 1)[-1]
    time.sleep(1)
    assert len(slack.fake.of("chat.postMessage")) == before + 1 and post["channel"] == "D0NURSE"


def test_the_guide_command_answers_privately(slack: SlackSide) -> None:
    response = slack.form({
        "command": "/guide", "text": "What is the UK modern slavery helpline number?", "team_id": TEAM,
        "channel_id": "C0SAFEGUARD", "user_id": "U0NURSE", "trigger_id": "t1",
        "response_url": f"{slack.fake.origin}/response/guide-1",
    })
    assert response.status_code == 200 and response.json()["response_type"] == "ephemeral"
    [reply] = slack.fake.wait_for("/response/guide-1")
    assert reply["response_type"] == "ephemeral" and "08000 121 700" in reply["text"] and reply["blocks"]


def test_a_feedback_button_click_is_stored(slack: SlackSide) -> None:
    answered = slack.fake.wait_for("chat.postMessage")[0]
    blocks = answered["blocks"] if isinstance(answered["blocks"], list) else json.loads(answered["blocks"])
    answer_id = blocks[-1]["elements"][1]["value"]
    payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": "U0NURSE"}, "api_app_id": "AGUIDE",
               "channel": {"id": "C0SAFEGUARD"}, "container": {"type": "message", "channel_id": "C0SAFEGUARD"},
               "trigger_id": "t2", "response_url": f"{slack.fake.origin}/response/actions-1",
               "actions": [{"action_id": "feedback_down", "block_id": "feedback", "value": answer_id, "type": "button"}]}
    assert slack.form({"payload": json.dumps(payload)}).status_code == 200
    [thanks] = slack.fake.wait_for("chat.postEphemeral")
    assert thanks["user"] == "U0NURSE" and "saved" in thanks["text"]
    stored = [f for f in FeedbackStore(slack.feedback_url).list() if f.answer_id == answer_id]
    assert [(f.rating, f.channel) for f in stored] == [("down", "slack")] and "08000 121 700" in stored[0].answer


@pytest.mark.parametrize("forgery", ["wrong secret", "stale timestamp", "no signature"])
def test_badly_signed_or_stale_requests_are_refused(slack: SlackSide, forgery: str) -> None:
    before = len(slack.fake.calls)
    event = mention("What is the UK modern slavery helpline number?", "1700000000.000900")
    if forgery == "wrong secret":
        response = slack.event(event, "Ev0FORGED", secret="not-the-secret")
    elif forgery == "stale timestamp":
        response = slack.event(event, "Ev0STALE", timestamp=int(time.time()) - 6 * 60)
    else:
        response = httpx.post(f"{slack.url}/slack/events", json={"type": "event_callback", "event": event}, timeout=10)
    assert response.status_code == 401
    time.sleep(1)
    assert len(slack.fake.calls) == before, "nothing is answered"


def test_slack_is_off_until_configured(live_server) -> None:
    response = httpx.post(f"{live_server.url}/slack/events", json={}, timeout=10)
    assert response.status_code == 404 and "SLACK_BOT_TOKEN" in response.json()["detail"]


def test_socket_mode_answers_without_a_public_url(library_dir: Path, tmp_path: Path) -> None:
    import subprocess

    from conftest import BOT, bot_env, stop
    from slack_server import FakeSocketMode

    event = mention("What is the phone number for the UK modern slavery helpline?", "1700000000.000500")
    envelope = {"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False, "retry_attempt": 0,
                "payload": {"type": "event_callback", "team_id": TEAM, "api_app_id": "AGUIDE", "event_id": "Ev0SOCKET",
                            "event_time": int(time.time()), "event": event}}
    with FakeSlack() as fake, FakeSocketMode([envelope]) as socket:
        fake.socket_url = socket.url
        env = bot_env(library_dir, SLACK_BOT_TOKEN="xoxb-test-token", SLACK_APP_TOKEN="xapp-test-token",
                      BOT_SLACK_API_URL=fake.api_url, BOT_REGION="UK", BOT_FEEDBACK_DB_URL=f"sqlite:///{tmp_path / 'fb.db'}")
        process = subprocess.Popen([BOT, "slack-socket"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            [post] = fake.wait_for("chat.postMessage", timeout=120)
        finally:
            stop(process)
    assert fake.of("apps.connections.open"), "the app token opened the socket"
    assert {"envelope_id": "env-1"} in [{k: v for k, v in r.items() if k == "envelope_id"} for r in socket.received]
    assert post["thread_ts"] == "1700000000.000500" and "08000 121 700" in post["text"]


def test_socket_mode_without_its_tokens_says_which(library_dir: Path) -> None:
    from conftest import bot_env, run_bot

    result = run_bot("slack-socket", env=bot_env(library_dir, SLACK_BOT_TOKEN="xoxb-x"))
    assert result.returncode == 2 and "SLACK_APP_TOKEN" in result.stderr
