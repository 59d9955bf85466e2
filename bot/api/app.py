"""The FastAPI application: one pipeline per process, loaded before the first request."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from bot.api.routes import chat, completions, feedback, health, slack, sources, teams, widget
from bot.config import Settings, get_settings
from bot.errors import BotError, IndexNotReady
from bot.feedback import FeedbackStore
from bot.pipeline import Pipeline

log = logging.getLogger("bot.api")


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app(settings: Settings | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.pipeline = pipeline or Pipeline(settings)
        app.state.feedback = FeedbackStore(settings.feedback_url)
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

    for module in (health, chat, completions, sources, feedback, widget, slack, teams):
        app.include_router(module.router)
    return app
