"""POST /slack/events: Slack's Events API, interactivity and slash commands, through slack-bolt's
FastAPI adapter. Off (404 saying what to set) until SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

router = APIRouter(tags=["slack"])


@router.post("/slack/events", summary="Slack events, interactions and the /guide command (signed by Slack)",
             responses={401: {"description": "Bad signature or stale timestamp"}, 404: {"description": "Slack not configured"}})
async def slack_events(request: Request) -> Response:
    handler = getattr(request.app.state, "slack_handler", None)
    if handler is None:
        raise HTTPException(404, detail="Slack is not configured here: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET")
    response: Response = await handler.handle(request)
    return response
