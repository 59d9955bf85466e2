"""POST /teams/messages: Bot Framework activities from Microsoft Teams. Off (404 saying what to
set) until MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD are set."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Body, Header, HTTPException, Request
from fastapi.responses import Response

from bot.channels.teams_auth import Unauthorized

router = APIRouter(tags=["teams"])


@router.post(
    "/teams/messages", status_code=200, summary="Bot Framework activities (Bearer token signed by the Bot Framework)",
    responses={401: {"description": "Missing or invalid Bot Framework token"}, 404: {"description": "Teams not configured"}},
)
async def teams_messages(
    request: Request,
    background: BackgroundTasks,
    activity: dict[str, Any] = Body(...),
    authorization: str | None = Header(None),
) -> Response:
    channel = getattr(request.app.state, "teams", None)
    if channel is None:
        raise HTTPException(404, detail="Teams is not configured here: set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD")
    try:
        await channel.auth.verify(authorization, activity)
    except Unauthorized as exc:
        raise HTTPException(401, detail=str(exc)) from exc
    if not isinstance(activity.get("conversation"), dict) or not activity.get("serviceUrl"):
        raise HTTPException(400, detail="an activity needs conversation and serviceUrl")
    background.add_task(channel.handle, activity)  # answered after the 200, through the connector
    return Response(status_code=200)
