"""GET /v1/sources and /v1/sources/{id}: the library's catalogue, as indexed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from bot.api.deps import PipelineDep

router = APIRouter(prefix="/v1", tags=["sources"])


class SourceEntry(BaseModel):
    id: str
    title: str
    publisher: str
    authors: list[str]
    year: int | None
    url: str
    type: str
    region: str
    clinical: bool
    tags: list[str]
    reviewed: str | None
    chunks: int


def _entry(meta: dict[str, Any]) -> SourceEntry:
    split = lambda value, sep: [v.strip() for v in (value or "").split(sep) if v.strip()]  # noqa: E731
    return SourceEntry(
        id=meta["source_id"], title=meta["title"], publisher=meta["publisher"], authors=split(meta.get("authors"), ";"),
        year=meta.get("year"), url=meta.get("url") or "", type=meta.get("type") or "", region=meta.get("region") or "",
        clinical=bool(meta.get("clinical", True)), tags=split(meta.get("tags"), ","), reviewed=meta.get("reviewed") or None,
        chunks=meta["chunks"],
    )


async def _catalogue(pipeline: PipelineDep) -> dict[str, dict[str, Any]]:
    await run_in_threadpool(pipeline.ensure_ready)
    return pipeline.index.sources()


@router.get("/sources", response_model=list[SourceEntry], summary="Every publication in the library")
async def list_sources(pipeline: PipelineDep) -> list[SourceEntry]:
    return [_entry(meta) for meta in (await _catalogue(pipeline)).values()]


@router.get(
    "/sources/{source_id}", response_model=SourceEntry, summary="One publication",
    responses={404: {"description": "No publication with that id"}},
)
async def get_source(source_id: str, pipeline: PipelineDep) -> SourceEntry:
    found = (await _catalogue(pipeline)).get(source_id)
    if found is None:
        raise HTTPException(404, detail=f"no publication with id {source_id!r}; GET /v1/sources lists them")
    return _entry(found)
