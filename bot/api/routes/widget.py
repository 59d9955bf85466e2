"""The embeddable widget (`/widget.js`), the demo intranet page (`/`), and the region facts the
widget shows beside every conversation (`GET /v1/referrals/{region}`)."""

from __future__ import annotations

import html
from pathlib import Path

from typing import Annotated

from fastapi import APIRouter, HTTPException
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, Response

from bot.api.deps import PipelineDep, SettingsDep
from bot.models import REGIONS, canonical_region
from bot.referrals import Contact, RegionReferrals

router = APIRouter(tags=["widget"])
WEB = Path(__file__).resolve().parents[2] / "web"


@router.get("/widget.js", include_in_schema=False)
async def widget_js() -> Response:
    return Response((WEB / "widget.js").read_text(encoding="utf-8"), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
async def demo_page(settings: SettingsDep) -> HTMLResponse:
    page = (WEB / "demo.html").read_text(encoding="utf-8")
    return HTMLResponse(page.replace("{{region}}", html.escape(settings.region or "", quote=True)))


@router.get("/v1/regions", response_model=list[str], tags=["referrals"], summary="The region vocabulary")
async def regions() -> list[str]:
    return list(REGIONS)


@router.get("/v1/referrals/{region}", response_model=RegionReferrals, tags=["referrals"],
            summary="Emergency number, hotlines and child-protection routes for a region",
            responses={422: {"description": "Unknown region"}})
async def referrals(region: Annotated[str, FastPath(json_schema_extra={"enum": list(REGIONS)})], pipeline: PipelineDep) -> RegionReferrals:
    try:
        name = canonical_region(region)
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from exc
    return pipeline.referrals.for_region(name)


__all__ = ["Contact", "router"]
