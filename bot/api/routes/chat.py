from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from starlette.concurrency import run_in_threadpool

from bot.api.deps import PipelineDep
from bot.models import Answer, Question

router = APIRouter(prefix="/v1", tags=["chat"])

_EXAMPLES = {
    "companion": {
        "summary": "A controlling companion",
        "value": {
            "question": "A patient's companion will not leave the room and answers for her. What should I do?",
            "region": "UK",
            "history": [],
        },
    }
}


@router.post("/chat", response_model=Answer, summary="Answer a question from the cited guidance library")
async def chat(
    question: Annotated[Question, Body(openapi_examples=_EXAMPLES)], pipeline: PipelineDep
) -> Answer:
    """Every sentence of the answer cites a numbered piece of evidence from the library."""
    # The pipeline is CPU-bound (embedding, search): keep the event loop free for other requests.
    return await run_in_threadpool(pipeline.answer, question)
