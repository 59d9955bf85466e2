"""POST /v1/chat/completions: the assistant behind OpenAI's wire format, so the official `openai`
client and OpenAI-compatible front ends work unchanged.

The last user message is the question and the earlier user/assistant messages its history;
system messages are not obeyed (the assistant's rules are its own). The jurisdiction comes from
an extra `region` field. The content ends with the sources as a numbered list; the same sources
are the extra `sources` field, and `answer_id` is what `POST /v1/feedback` takes.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from bot.api import answering
from bot.api.security import CHAT_RESPONSES, chat_access
from bot.api.deps import FeedbackDep, PipelineDep
from bot.models import Answer, Citation, Question, RegionName, Turn

router = APIRouter(prefix="/v1", tags=["openai"], dependencies=[Depends(chat_access)], responses=CHAT_RESPONSES)

MODEL_NAME = "trafficking-guidance"


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str = ""


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content if part.type == "text")
        return self.content or ""


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens…: accepted, not needed

    model: str = MODEL_NAME
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    region: RegionName | None = Field(None, description="The clinician's jurisdiction (extra field), e.g. UK, US, CA-ON.")


class ChoiceMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: ChoiceMessage
    finish_reason: Literal["stop"] = "stop"


class Completion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: dict[str, int]
    sources: list[Citation] = Field(description="The numbered sources the content cites (extra field).")
    answer_id: str = Field(description="Quote it in POST /v1/feedback (extra field).")


def sources_list(citations: list[Citation]) -> str:
    if not citations:
        return ""
    lines = [
        f"[{c.n}] {c.title}. {c.publisher}" + (f", {c.year}" if c.year else "") + (f". {c.locator}" if c.locator else "") + f". {c.url}"
        for c in citations
    ]
    return "\n\nSources:\n" + "\n".join(lines)


def _question(request: CompletionRequest) -> Question:
    conversation = [m for m in request.messages if m.role in ("user", "assistant")]
    if not conversation or conversation[-1].role != "user":
        raise RequestValidationError([{
            "type": "value_error", "loc": ("body", "messages"), "msg": "the last message (system messages aside) must be the user's question",
            "input": None,
        }])
    history = [Turn(role=m.role, content=m.text) for m in conversation[:-1]]  # type: ignore[arg-type]
    return answering.question_or_422(question=conversation[-1].text, history=history, region=request.region)


def _usage(question: str, content: str) -> dict[str, int]:
    prompt, completion = len(question.split()), len(content.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


@router.post(
    "/chat/completions",
    response_model=Completion,
    summary="OpenAI-compatible chat completions (streaming and not)",
    responses={200: {"content": {"text/event-stream": {}}, "description": "with `stream: true`, chat.completion.chunk events then [DONE]"}},
)
async def completions(request: CompletionRequest, pipeline: PipelineDep, feedback: FeedbackDep) -> Any:
    question = _question(request)
    created = int(time.time())
    if not request.stream:
        result: Answer = await answering.answer(pipeline, feedback, question, "openai")
        content = result.text + sources_list(result.citations)
        return Completion(
            id=f"chatcmpl-{result.id}", created=created, model=request.model,
            choices=[Choice(message=ChoiceMessage(content=content))], usage=_usage(question.question, content),
            sources=result.citations, answer_id=result.id,
        )
    await run_in_threadpool(pipeline.ensure_ready)

    async def chunks() -> AsyncIterator[str]:
        ident = f"chatcmpl-{created}"

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            return json.dumps({
                "id": ident, "object": "chat.completion.chunk", "created": created, "model": request.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra,
            }, ensure_ascii=False)

        yield chunk({"role": "assistant", "content": ""})
        async for event, value in answering.events(pipeline, feedback, question, "openai"):
            if event == "delta":
                yield chunk({"content": value})
            elif event == "error":
                yield json.dumps({"error": {"message": value["detail"], "type": "server_error", "code": value["error_code"]}})
                return
            elif event == "done":
                yield chunk({"content": sources_list(value.citations)})
                yield chunk({}, "stop", sources=[c.model_dump(mode="json") for c in value.citations], answer_id=value.id)
        yield "[DONE]"

    return EventSourceResponse(chunks())
