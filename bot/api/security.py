"""Who may call the API, how often, and with how much.

- `BOT_API_KEYS`: when set, the chat and feedback endpoints need a key (`Authorization: Bearer`
  or `X-API-Key`); a key written `key@https://a.org|https://b.org` is a widget key, accepted only
  from pages on those origins (a browser sends the real Origin).
- Rate limits per key and per client address (`BOT_RATE_LIMIT_PER_MINUTE`, a sliding minute, per
  worker process), 429 with Retry-After.
- `BOT_ADMIN_TOKEN` guards /v1/admin/*; without it those endpoints do not exist (404).
- A body larger than `BOT_MAX_BODY_BYTES` is refused with 413 before it is read in full.
- Security headers on every response, and a strict Content-Security-Policy on the pages.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.api.asgi import HttpMiddleware
from bot.config import Settings

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


@dataclass(frozen=True)
class ApiKey:
    key: str
    origins: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        """How logs and metrics name the key: never the key itself."""
        return "key-" + hashlib.sha256(self.key.encode()).hexdigest()[:8]


def parse_keys(value: str) -> list[ApiKey]:
    keys = []
    for entry in (e.strip() for e in value.split(",")):
        if not entry:
            continue
        key, _, origins = entry.partition("@")
        keys.append(ApiKey(key.strip(), frozenset(o.strip().rstrip("/") for o in origins.split("|") if o.strip())))
    return keys


def _presented_key(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return request.headers.get("x-api-key", "").strip()


@dataclass
class RateLimiter:
    per_minute: int
    _hits: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, identity: str) -> int:
        """0 if `identity` may make a request now (and count it), else seconds to wait."""
        if self.per_minute <= 0:
            return 0
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(identity, deque())
            while hits and now - hits[0] >= 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(1, int(60 - (now - hits[0])) + 1)
            hits.append(now)
            if len(self._hits) > 100_000:  # forget idle identities rather than grow without bound
                for name in [n for n, h in self._hits.items() if not h]:
                    del self._hits[name]
            return 0


class Access:
    def __init__(self, settings: Settings) -> None:
        self.keys = parse_keys(settings.api_keys)
        self.admin_token = settings.admin_token
        self.limiter = RateLimiter(settings.rate_limit_per_minute)

    def _key(self, request: Request) -> ApiKey | None:
        if not self.keys:
            return None
        presented = _presented_key(request)
        found = next((k for k in self.keys if presented and hmac.compare_digest(k.key, presented)), None)
        if found is None:
            raise HTTPException(401, detail="an API key is needed: send it as `Authorization: Bearer <key>` or `X-API-Key`",
                                headers={"WWW-Authenticate": "Bearer"})
        if found.origins and request.headers.get("origin", "").rstrip("/") not in found.origins:
            raise HTTPException(403, detail="this key is a widget key for other origins")
        return found

    def chat(self, request: Request) -> None:
        key = self._key(request)
        request.state.key_label = key.label if key else "anonymous"
        client = request.client.host if request.client else "unknown"
        for identity in ([f"key:{key.key}"] if key else []) + [f"addr:{client}"]:
            wait = self.limiter.retry_after(identity)
            if wait:
                raise HTTPException(429, detail=f"too many requests: try again in {wait} s", headers={"Retry-After": str(wait)})

    def admin(self, request: Request) -> None:
        if not self.admin_token:
            raise HTTPException(404, detail="admin endpoints are off: set BOT_ADMIN_TOKEN to turn them on")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), self.admin_token):
            raise HTTPException(401, detail="the admin token is missing or wrong", headers={"WWW-Authenticate": "Bearer"})


CHAT_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "An API key is needed (BOT_API_KEYS is set)"},
    403: {"description": "A widget key used from another origin"},
    413: {"description": "The request body is too large"},
    429: {"description": "Too many requests; see Retry-After"},
    503: {"description": "The index is empty or its store unreachable"},
}


def chat_access(request: Request) -> None:
    access: Access = request.app.state.access
    access.chat(request)


def admin_access(request: Request) -> None:
    access: Access = request.app.state.access
    access.admin(request)


class BodyLimit(HttpMiddleware):
    """ASGI middleware: 413 for a body over `limit` bytes, by Content-Length or as it streams in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        super().__init__(app)
        self.limit = limit

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _too_large(send, self.limit)
            return
        seen = 0
        refused = False

        async def limited_receive() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit and not refused:
                    # Answer now and tell the app the client left: it reads no further.
                    refused = True
                    await _too_large(send, self.limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, limited_receive, guarded_send)


async def _too_large(send: Send, limit: int) -> None:
    body = ('{"error_code": "PayloadTooLarge", "detail": "the request body is over %d bytes"}' % limit).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders(HttpMiddleware):
    """ASGI middleware adding the common security headers, and the page policy to HTML."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers += [h for h in COMMON_HEADERS if h[0] not in present]
                content_type = dict(headers).get(b"content-type", b"")
                own_page = not scope["path"].startswith(("/docs", "/redoc"))  # FastAPI's docs pages load their own assets
                if own_page and content_type.startswith(b"text/html") and b"content-security-policy" not in present:
                    headers += [(b"content-security-policy", PAGE_POLICY.encode()), (b"x-frame-options", b"DENY")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
