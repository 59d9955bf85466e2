"""/v1/admin/*: ingest, re-index and feedback export over HTTP, for operators. Off (404) unless
BOT_ADMIN_TOKEN is set; then they need `Authorization: Bearer <token>`. One runs at a time per
worker (409 while another is running)."""

from __future__ import annotations

import json
import threading

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from bot.api.deps import FeedbackDep, PipelineDep, SettingsDep
from bot.api.security import admin_access
from bot.ingest.reindex import ReindexReport, reindex
from bot.ingest.run import IngestReport, ingest

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(admin_access)], responses={
    401: {"description": "The admin token is missing or wrong"},
    404: {"description": "Admin endpoints are off (BOT_ADMIN_TOKEN not set)"},
    409: {"description": "An ingest or re-index is already running"},
})
_busy = threading.Lock()


def _exclusively(work, *args):  # type: ignore[no-untyped-def]
    if not _busy.acquire(blocking=False):
        raise HTTPException(409, detail="an ingest or re-index is already running; try again when it ends")
    try:
        return work(*args)
    finally:
        _busy.release()


@router.post("/ingest", response_model=IngestReport, summary="Bring the live index up to date with the library files")
async def admin_ingest(pipeline: PipelineDep, settings: SettingsDep) -> IngestReport:
    return await run_in_threadpool(_exclusively, ingest, [settings.knowledge_dir], pipeline.index)


@router.post("/reindex", response_model=ReindexReport, summary="Rebuild the index beside the live one and swap it in")
async def admin_reindex(pipeline: PipelineDep, settings: SettingsDep) -> ReindexReport:
    report: ReindexReport = await run_in_threadpool(
        _exclusively, reindex, settings, [settings.knowledge_dir], pipeline.index.embedder
    )
    await run_in_threadpool(pipeline.index.refresh_if_changed)
    return report


@router.get("/feedback/export", summary="Reviewed feedback as golden-set JSONL",
            responses={200: {"content": {"application/x-ndjson": {}}}})
async def admin_feedback_export(store: FeedbackDep) -> Response:
    cases = await run_in_threadpool(store.golden_cases)
    body = "".join(json.dumps(c.model_dump(mode="json", exclude_none=True), ensure_ascii=False) + "\n" for c in cases)
    return Response(body, media_type="application/x-ndjson")
