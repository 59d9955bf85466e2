"""GET /healthz (the process is alive) and GET /readyz (it can answer: index loaded, Chroma reachable)."""

from __future__ import annotations

import os

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from bot.api.deps import PipelineDep
from bot.api.observability import metrics_payload

router = APIRouter(tags=["health"])


class Readiness(BaseModel):
    ready: bool
    chroma: str
    chunks: int
    detail: str = ""


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str | int]:
    return {"status": "ok", "pid": os.getpid()}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
async def metrics() -> Response:
    payload, content_type = metrics_payload()
    return Response(payload, media_type=content_type)


@router.get(
    "/readyz", response_model=Readiness, summary="The service can answer",
    responses={503: {"model": Readiness, "description": "Chroma unreachable or the index empty"}},
)
async def readyz(pipeline: PipelineDep) -> JSONResponse:
    def check() -> Readiness:
        store = pipeline.index.store
        try:
            store.heartbeat()
            chunks = store.count()
        except Exception as exc:  # any failure to reach the store means not ready, whatever its type
            return Readiness(ready=False, chroma="unreachable", chunks=0, detail=f"Chroma: {type(exc).__name__}: {exc}"[:300])
        if not chunks:
            return Readiness(ready=False, chroma="ok", chunks=0, detail="the index is empty: run `bot ingest`")
        return Readiness(ready=True, chroma="ok", chunks=chunks)

    result = await run_in_threadpool(check)
    return JSONResponse(result.model_dump(), status_code=200 if result.ready else 503)
