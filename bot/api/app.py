"""The FastAPI application: one pipeline per process, loaded before the first request.

`create_app()` for tests and `bot serve`; `app_factory()` is what each uvicorn worker imports
when `bot serve --workers N` runs several.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from bot.api.observability import RequestContext, request_id
from bot.api.routes import admin, chat, completions, feedback, health, slack, sources, teams, widget
from bot.api.security import Access, BodyLimit, SecurityHeaders
from bot.config import Settings, get_settings
from bot.errors import BotError, IndexNotReady
from bot.feedback import FeedbackStore
from bot.pipeline import Pipeline

log = logging.getLogger("bot.api")


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def _start_channels(app: FastAPI, settings: Settings) -> None:
    app.state.slack_handler = None
    app.state.teams = None
    if settings.teams_enabled:
        from bot.channels.teams import TeamsChannel

        app.state.teams = TeamsChannel(settings, app.state.pipeline, app.state.feedback)
    if settings.slack_enabled:
        from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

        from bot.channels.slack import SlackChannel

        app.state.slack = SlackChannel(settings, app.state.pipeline, app.state.feedback)
        app.state.slack_handler = AsyncSlackRequestHandler(app.state.slack.app)


def _store_unreachable(exc: Exception) -> bool:
    """Whether an unexpected error is the index store (Chroma) failing to answer."""
    seen: BaseException | None = exc
    while seen is not None:
        module = type(seen).__module__
        if isinstance(seen, (ConnectionError, TimeoutError)) or module.startswith(("httpx", "httpcore", "chromadb")):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def create_app(settings: Settings | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.access = Access(settings)
        app.state.pipeline = pipeline or Pipeline(settings)
        app.state.feedback = FeedbackStore(settings.feedback_url)
        _start_channels(app, settings)
        app.state.pipeline.warm_up()
        try:
            yield
        finally:
            if app.state.teams is not None:
                await app.state.teams.close()
            app.state.feedback.close()

    app = FastAPI(
        title="Frontline trafficking guidance assistant",
        version="0.1.0",
        description="Answers clinicians' questions about human trafficking from a curated library; "
        "every sentence cites its publication.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )

    @app.exception_handler(BotError)
    async def bot_error(request: Request, exc: BotError) -> JSONResponse:
        status = 503 if isinstance(exc, IndexNotReady) else 400
        log.warning("%s on %s: %s", type(exc).__name__, request.url.path, exc)
        return JSONResponse(status_code=status, content={"error_code": type(exc).__name__, "detail": str(exc)})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Never a stack trace to the caller: the request id finds it in the logs.
        if _store_unreachable(exc):
            log.error("index store unreachable on %s: %s", request.url.path, type(exc).__name__)
            return JSONResponse(status_code=503, content={
                "error_code": "IndexUnavailable",
                "detail": "the index store (Chroma) is not answering; try again shortly",
                "request_id": getattr(request.state, "request_id", request_id.get()),
            })
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse(status_code=500, content={
            "error_code": "InternalError", "detail": "something went wrong; the request id names it in the logs",
            "request_id": getattr(request.state, "request_id", request_id.get()),
        })

    for module in (health, chat, completions, sources, feedback, widget, slack, teams, admin):
        app.include_router(module.router)
    # Outermost last: every response gets a request id and security headers, even a 413.
    app.add_middleware(
        CORSMiddleware, allow_origins=settings.cors_allowed, allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"], expose_headers=["X-Request-ID"],
    )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContext)
    return app


def app_factory() -> FastAPI:
    """Each `bot serve --workers N` worker builds its app from the BOT_* environment."""
    from bot.api.observability import configure_logging

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    return create_app(settings)
