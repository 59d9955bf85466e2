"""POST /v1/feedback: a clinician's thumbs up or down on an answer, with an optional comment."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from bot.api.security import CHAT_RESPONSES, chat_access
from bot.api.deps import FeedbackDep, PipelineDep
from bot.feedback import Rating, UnknownAnswer

router = APIRouter(prefix="/v1", tags=["feedback"], dependencies=[Depends(chat_access)], responses=CHAT_RESPONSES)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"answer_id": "3f2c…", "rating": "down", "comment": "The number is out of date."}]})

    answer_id: str = Field(min_length=1, max_length=64, description="The `id` of the Answer rated.")
    rating: Rating
    comment: str = Field("", max_length=2000)
    channel: Literal["api", "widget", "slack", "teams"] = "api"


class FeedbackOut(BaseModel):
    id: int
    stored: bool = True


@router.post(
    "/feedback", response_model=FeedbackOut, status_code=201, summary="Rate an answer",
    responses={404: {"description": "No answer with that id"}},
)
async def feedback(body: FeedbackIn, store: FeedbackDep, pipeline: PipelineDep) -> FeedbackOut:
    comment = pipeline.scrub(body.comment).text  # identifiers typed into a comment are not stored
    try:
        feedback_id = await run_in_threadpool(store.add, body.answer_id, body.rating, comment, body.channel)
    except UnknownAnswer as exc:
        raise HTTPException(404, detail=str(exc)) from exc
    return FeedbackOut(id=feedback_id)
