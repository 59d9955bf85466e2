"""POST /v1/chat (the Answer) and POST /v1/chat/stream (the same answer as Server-Sent Events)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Body
from pydantic import BaseModel
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from bot.api import answering
from bot.api.security import CHAT_RESPONSES, chat_access
from bot.api.deps import FeedbackDep, PipelineDep
from bot.models import Answer, Question

router = APIRouter(prefix="/v1", tags=["chat"], dependencies=[Depends(chat_access)], responses=CHAT_RESPONSES)

_EXAMPLES = {
    "companion": {
        "summary": "A controlling companion",
        "value": {
            "question": "A patient's companion will not leave the room and answers for her. What should I do?",
            "region": "UK",
            "history": [],
        },
    },
    "follow-up": {
        "summary": "A follow-up question",
        "value": {
            "question": "And if she is under 18?",
            "region": "UK",
            "history": [
                {"role": "user", "content": "How do I refer a possible victim of modern slavery?"},
                {"role": "assistant", "content": "…"},
            ],
        },
    },
}

_STREAM_DOC = """Server-Sent Events, in this order:

- `meta`: `{"evidence": [...]}`, the retrieved passages, sent before the answer is written;
- `delta`: `{"text": "..."}`, the answer as it grows (joined, the deltas are the Answer's `text`);
- `citations`: `{"citations": [...]}`;
- `done`: the final Answer (its `id` is what `POST /v1/feedback` takes);
- `error`: `{"error_code", "detail"}` if answering fails part-way.
"""


def _payload(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_payload(v) for v in value]
    return value


_WRAP = {"meta": "evidence", "delta": "text", "citations": "citations"}


@router.post("/chat", response_model=Answer, summary="Answer a question from the cited guidance library")
async def chat(
    question: Annotated[Question, Body(openapi_examples=_EXAMPLES)], pipeline: PipelineDep, feedback: FeedbackDep
) -> Answer:
    """Every sentence of the answer cites a numbered piece of evidence from the library."""
    return await answering.answer(pipeline, feedback, question, "api")


@router.post(
    "/chat/stream",
    summary="The same answer, streamed as Server-Sent Events",
    description=_STREAM_DOC,
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "meta, delta…, citations, done (or error)"}},
)
async def chat_stream(
    question: Annotated[Question, Body(openapi_examples=_EXAMPLES)], pipeline: PipelineDep, feedback: FeedbackDep
) -> EventSourceResponse:
    await run_in_threadpool(pipeline.ensure_ready)  # an empty index is a 503 before the stream opens

    async def stream() -> AsyncIterator[dict[str, str]]:
        async for event, value in answering.events(pipeline, feedback, question, "stream"):
            data = _payload(value)
            if event in _WRAP:
                data = {_WRAP[event]: data}
            yield {"event": event, "data": json.dumps(data, ensure_ascii=False)}

    return EventSourceResponse(stream(), ping=15)
