"""Answering for every HTTP-facing channel: run the pipeline off the event loop, record the
answer for feedback, and stream it as events (meta, delta, citations, done, error).

The text is streamed after the citation check, sentence by sentence: a model's unverified words
never reach the screen, so what streams is exactly what the final Answer says.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from bot.api.observability import count_answer
from bot.errors import BotError
from bot.feedback import FeedbackStore
from bot.models import Answer, Evidence, Question
from bot.pipeline import Pipeline

_PIECE_END = re.compile(r"(?<=[.!?\]:])\s+")


def question_or_422(**fields: Any) -> Question:
    """A Question built inside a route; invalid input is the same 422 FastAPI gives for a body."""
    try:
        return Question(**fields)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from exc


def record(
    store: FeedbackStore, pipeline: Pipeline, question: Question, answer: Answer, channel: str, conversation: str | None = None
) -> None:
    asked = pipeline.scrub(question.question).text
    store.record_answer(answer, asked, pipeline.scrubbed_history(question.history), channel, conversation)
    count_answer(answer, channel, asked, pipeline.settings.log_questions)


async def answer(
    pipeline: Pipeline, store: FeedbackStore, question: Question, channel: str, conversation: str | None = None
) -> Answer:
    """The pipeline's answer, recorded so that feedback can name it (`conversation`: a channel's thread)."""
    # The pipeline is CPU-bound (embedding, search): keep the event loop free for other requests.
    result = await run_in_threadpool(pipeline.answer, question)
    await run_in_threadpool(record, store, pipeline, question, result, channel, conversation)
    return result


def text_pieces(text: str) -> list[str]:
    """The text cut after each sentence; the pieces joined give the text back exactly."""
    pieces, start = [], 0
    for match in _PIECE_END.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


async def events(
    pipeline: Pipeline, store: FeedbackStore, question: Question, channel: str
) -> AsyncIterator[tuple[str, Any]]:
    """("meta", evidence) as soon as it is retrieved, ("delta", text)..., ("citations", [...]),
    ("done", Answer); or ("error", {error_code, detail}) if answering fails part-way."""
    loop = asyncio.get_running_loop()
    early: asyncio.Queue[list[Evidence]] = asyncio.Queue()

    def on_evidence(evidence: list[Evidence]) -> None:
        loop.call_soon_threadsafe(early.put_nowait, evidence)

    task = asyncio.ensure_future(run_in_threadpool(pipeline.answer, question, on_evidence))
    meta_sent = False
    try:
        waiter = asyncio.ensure_future(early.get())
        done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if waiter in done:
            yield "meta", waiter.result()
            meta_sent = True
        else:
            waiter.cancel()
        result = await task
    except BotError as exc:
        yield "error", {"error_code": type(exc).__name__, "detail": str(exc)}
        return
    await run_in_threadpool(record, store, pipeline, question, result, channel)
    if not meta_sent:  # refusals answer before any retrieval
        yield "meta", result.evidence
    for piece in text_pieces(result.text):
        yield "delta", piece
    yield "citations", result.citations
    yield "done", result
