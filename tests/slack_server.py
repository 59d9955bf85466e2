"""Slack's Web API on loopback: the methods the assistant calls, answered the way Slack answers
them (`{"ok": true, ...}`), every call recorded. `POST /response/<id>` stands in for a slash
command's response_url."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from loopback import LoopbackServer

BOT_USER, BOT_ID, TEAM = "UGUIDEBOT", "BGUIDE", "T0HOSPITAL"


class _Handler(BaseHTTPRequestHandler):
    server: "FakeSlack"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:  # noqa: N802
        path, _, query = self.path.partition("?")
        self._answer(path, {k: v[0] for k, v in parse_qs(query).items()})

    def do_POST(self) -> None:  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            args = json.loads(raw or "{}")
        else:
            args = {k: v[0] for k, v in parse_qs(raw).items()}
        path, _, query = self.path.partition("?")
        self._answer(path, {**{k: v[0] for k, v in parse_qs(query).items()}, **args})

    def _answer(self, path: str, args: dict[str, Any]) -> None:
        method = path.removeprefix("/api/")
        self.server.record(method, args, self.headers.get("Authorization", ""))
        reply = self.server.reply(method, args)
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeSlack(LoopbackServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.api_url = f"{self.origin}/api/"
        self.calls: list[tuple[str, dict[str, Any], str]] = []
        self.thread: list[dict[str, Any]] = []  # what conversations.replies returns
        self.socket_url = ""  # what apps.connections.open returns (Socket Mode)
        self._changed = threading.Condition()

    def record(self, method: str, args: dict[str, Any], authorization: str) -> None:
        with self._changed:
            self.calls.append((method, args, authorization))
            self._changed.notify_all()

    def reply(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://hospital.slack.com/", "team": "Hospital", "user": "guide",
                    "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID}
        if method == "chat.postMessage":
            return {"ok": True, "channel": args.get("channel"), "ts": f"{time.time():.6f}", "message": {"text": args.get("text")}}
        if method == "conversations.replies":
            return {"ok": True, "messages": self.thread, "has_more": False}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{time.time():.6f}"}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url} if self.socket_url else {"ok": False, "error": "not_allowed_token_type"}
        if method.startswith("/response/"):
            return {"ok": True}
        return {"ok": False, "error": "unknown_method"}

    def of(self, method: str) -> list[dict[str, Any]]:
        return [args for m, args, _ in self.calls if m == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.of(method)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{method} called {len(self.of(method))} times, wanted {count}; calls: {[c[0] for c in self.calls]}")
                self._changed.wait(left)
            return self.of(method)


class FakeSocketMode:
    """Slack's Socket Mode WebSocket on loopback: says hello, then delivers `envelopes` and
    collects what the app sends back (its acknowledgements)."""

    def __init__(self, envelopes: list[dict[str, Any]]) -> None:
        self.envelopes = envelopes
        self.received: list[dict[str, Any]] = []
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.url = ""

    def _serve(self) -> None:
        import asyncio

        from aiohttp import WSMsgType, web

        async def link(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "AGUIDE"}})
            for envelope in self.envelopes:
                await ws.send_json(envelope)
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self.received.append(json.loads(message.data))
            return ws

        async def main() -> None:
            app = web.Application()
            app.router.add_get("/link", link)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.url = f"ws://127.0.0.1:{port}/link"
            self._stop = asyncio.Event()
            self._loop = asyncio.get_running_loop()
            self._ready.set()
            await self._stop.wait()
            await runner.cleanup()

        asyncio.run(main())

    def __enter__(self) -> "FakeSocketMode":
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)
