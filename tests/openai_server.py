"""A scripted OpenAI-compatible server on loopback that writes the real chat.completions wire format.

`POST /v1/chat/completions`, streamed (`text/event-stream`, `chat.completion.chunk` objects, then
`data: [DONE]`) or not (`chat.completion`), with OpenAI's error body for 429/500. Tests set
`server.mode` ("echo", "noisy", "obedient", "text", "status", "slow", "dribble", "broken") and read `server.requests`;
follow-up rewrite requests are answered with `server.rewrite` (or an echo of the subject).
"""

from __future__ import annotations

import html
import json
import re
import time
from typing import Any

from loopback import JsonHandler, LoopbackServer

_EVIDENCE = re.compile(r'<evidence n="(\d+)"[^>]*>\n"(.*?)"\n</evidence>', re.DOTALL)


def echo_answer(prompt: str, passages: int = 2) -> str:
    """A model that does its job: from each of the first passages, the sentence sharing most
    words with the question, each cited."""
    question = set(re.findall(r"[a-z0-9]{3,}", prompt.rsplit("<question>", 1)[-1].lower()))
    sentences = []
    for n, quoted in _EVIDENCE.findall(prompt)[:passages]:
        lines = [re.sub(r"^[-*]\s+", "", line).strip() for line in html.unescape(quoted).splitlines()]
        candidates = [s for line in lines for s in re.split(r"(?<=[.!?])\s+", line) if len(s.split()) >= 4]
        if candidates:
            best = max(candidates, key=lambda s: len(question & set(re.findall(r"[a-z0-9]{3,}", s.lower()))))
            sentences.append(f"{best.rstrip('.')} [{n}].")
    return " ".join(sentences) or "The library does not cover this."


_ORDER = re.compile(r"\bsay\b\s*:?\s*[\"\u201c]?([^\"\u201d\n]{3,}?)[\"\u201d]?(?:\s*\[\d+\])?(?:\.|\n|$)", re.IGNORECASE)


_LEAK = re.compile(r"\b(?:repeat|print|reveal|show|output|recite|translate)\b.{0,60}\b(?:prompt|instructions|rules|above|system)\b",
                   re.IGNORECASE | re.DOTALL)


def obey(messages: list[dict[str, str]]) -> str:
    """A model with no defences: it follows the first "say X" it finds in the user message,
    evidence included, and cites [1] for it; asked to show its instructions, it recites them;
    with no order to follow it behaves like echo."""
    content = html.unescape(messages[-1]["content"])
    order = _ORDER.search(content)
    if order:
        return f"{order.group(1).strip().rstrip('.')} [1]."
    if _LEAK.search(content.rsplit("<question>", 1)[-1]) and messages[0]["role"] == "system":
        lines = [line.strip("- ").strip() for line in messages[0]["content"].splitlines() if len(line.split()) > 4]
        return " ".join(f"{line.rstrip('.')} [1]." for line in lines[:4])
    return echo_answer(messages[-1]["content"])


def echo_rewrite(prompt: str) -> str:
    """A rewrite that names the subject: the latest question followed by the earlier one."""
    earlier = re.findall(r"^- (.+)$", prompt.split("</conversation>")[0], re.MULTILINE)
    question = prompt.rsplit("<question>", 1)[-1].split("</question>")[0].strip()
    return html.unescape(f"{question} (about: {earlier[-1]})" if earlier else question)


class _Handler(JsonHandler):
    server: "ScriptedOpenAI"

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        server = self.server
        server.requests.append(body)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._json(404, {"error": {"message": "not found", "type": "invalid_request_error", "code": None}})
            return
        if server.mode == "status":
            kind = "rate_limit_exceeded" if server.status == 429 else "server_error"
            self._json(server.status, {"error": {"message": f"scripted {server.status}", "type": kind, "code": kind}})
            return
        if server.mode == "slow":
            time.sleep(server.delay_s)
        prompt = body["messages"][-1]["content"]
        if "<conversation>" in prompt:  # the follow-up rewrite prompt
            content = server.rewrite if server.rewrite is not None else echo_rewrite(prompt)
        elif server.mode == "obedient":
            content = obey(body["messages"])
        elif server.mode == "text":
            content = server.reply
        else:
            content = echo_answer(prompt)
        if server.mode == "noisy" and "<conversation>" not in prompt:  # a careless model: one unsupported claim, one invented citation
            content += " Every trafficked patient must be reported to the police at once [1]. Ring 0800 000 0000 [9]."
        created, ident, model = int(time.time()), "chatcmpl-scripted", body.get("model", "scripted")
        if not body.get("stream"):
            self._json(200, {
                "id": ident, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": len(content.split()), "total_tokens": 0},
            })
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()

        def event(delta: dict[str, Any], finish: str | None = None) -> bytes:
            chunk = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return f"data: {json.dumps(chunk)}\n\n".encode()

        self.wfile.write(event({"role": "assistant", "content": ""}))
        words = content.split(" ")
        for i, word in enumerate(words):
            if server.mode == "broken" and i == len(words) // 2:
                self.wfile.write(b'data: {"id": "chatcmpl-scripted", "choices": [{"delta": {"content": "trunc')
                self.wfile.flush()
                self.close_connection = True
                return
            if server.mode == "dribble":  # always streaming, never finishing in time
                time.sleep(server.delay_s / 4)
                self.wfile.flush()
            self.wfile.write(event({"content": word + (" " if i < len(words) - 1 else "")}))
        self.wfile.write(event({}, "stop"))
        self.wfile.write(b"data: [DONE]\n\n")
        self.close_connection = True


class ScriptedOpenAI(LoopbackServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.base_url = f"{self.origin}/v1"
        self.mode = "echo"
        self.reply = ""
        self.rewrite: str | None = None  # the reply to follow-up rewrite requests; None: echo_rewrite
        self.status = 500
        self.delay_s = 0.0
        self.requests: list[dict[str, Any]] = []
