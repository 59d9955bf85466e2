"""Structured JSON logs with a request id, and Prometheus metrics.

Every request gets an id (the caller's `X-Request-ID` if it sent a sane one, else a new one),
returned in `X-Request-ID` and put on every log line written while it is handled. The access log
names the path, status, duration and which key (by a hash label) — never a query, a question, a
secret or an identifier. Questions are logged only with `BOT_LOG_QUESTIONS` on, and then with
identifiers removed.

Metrics at /metrics: requests and latency by route, and answers by outcome (fallbacks,
emergencies, declines, not covered). With several workers, `PROMETHEUS_MULTIPROC_DIR` (set by
`bot serve --workers N`) makes /metrics add up every worker.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import Message, Receive, Scope, Send

from bot.api.asgi import HttpMiddleware

from bot.models import Answer

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("bot.access")
answer_log = logging.getLogger("bot.answers")

REQUESTS = Counter("bot_requests_total", "HTTP requests", ["route", "method", "status"])
LATENCY = Histogram("bot_request_seconds", "HTTP request latency", ["route"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
ANSWERS = Counter("bot_answers_total", "Answers given", ["channel", "answerer"])
FALLBACKS = Counter("bot_fallbacks_total", "Model answers replaced by the extractive one", ["reason"])
EMERGENCIES = Counter("bot_emergencies_total", "Answers that opened with the escalation block")
DECLINES = Counter("bot_declines_total", "Questions declined", ["kind"])
NOT_COVERED = Counter("bot_not_covered_total", "Questions the library does not cover")


_make_record = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Every log record remembers the request it was written for (formatting may come later)."""
    record = _make_record(*args, **kwargs)
    record.request_id = request_id.get()
    return record


logging.setLogRecordFactory(_record_with_request_id)


class IdentifierFilter(logging.Filter):
    """Identifiers out of every log line, the exception text included: an error's message can
    quote the input it choked on (a validation error, a codec error), and that input may be a
    patient's name or date of birth."""

    def __init__(self, scrub: Callable[[str], str]) -> None:
        super().__init__()
        self.scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = str(record.msg)
        record.msg, record.args = self.scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info or record.exc_text:
            entry["error"] = (record.exc_text or self.formatException(record.exc_info)).splitlines()[-1]
        return json.dumps(entry, ensure_ascii=False)


@lru_cache(maxsize=1)
def _log_scrubber() -> Any:
    from bot.judge.setup import default_scrubber

    return default_scrubber()


def _default_scrub(text: str) -> str:
    return _log_scrubber().scrub(text).text


def configure_logging(log_format: str, level: str, scrub: Callable[[str], str] = _default_scrub) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(IdentifierFilter(scrub))
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "httpx", "chromadb", "bm25s", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").disabled = True  # our access log replaces it


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class RequestContext(HttpMiddleware):
    """ASGI middleware: request id, access log line, request metrics."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SANE_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        scope.setdefault("state", {})["request_id"] = rid  # for error handlers outside this context
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_of(scope)
            REQUESTS.labels(route, scope["method"], str(status)).inc()
            LATENCY.labels(route).observe(elapsed)
            state = scope.get("state") or {}
            access_log.info("request", extra={"fields": {
                "method": scope["method"], "route": route, "status": status,
                "duration_ms": round(elapsed * 1000, 1), "key": state.get("key_label", "-"),
            }})
            request_id.reset(token)


def count_answer(answer: Answer, channel: str, question: str | None, log_questions: bool) -> None:
    """Metrics for one answer, and its log line (the question only if allowed, already scrubbed)."""
    ANSWERS.labels(channel, answer.answerer).inc()
    if answer.flags.fallback_used:
        FALLBACKS.labels((answer.fallback_reason or "unknown").split(":")[0][:60]).inc()
    if answer.flags.emergency:
        EMERGENCIES.inc()
    if answer.flags.refused:
        DECLINES.labels("refused").inc()
    elif answer.flags.out_of_scope:
        DECLINES.labels("out_of_scope").inc()
    if answer.flags.not_covered:
        NOT_COVERED.inc()
    fields: dict[str, Any] = {
        "answer_id": answer.id, "channel": channel, "answerer": answer.answerer, "region": answer.region,
        "flags": {k: v for k, v in answer.flags.model_dump().items() if v},
        "citations": len(answer.citations), "total_ms": answer.timings.total_ms,
    }
    if log_questions and question is not None:
        fields["question"] = question
    answer_log.info("answered", extra={"fields": fields})


def metrics_payload() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
