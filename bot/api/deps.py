"""FastAPI dependencies, named once so routes read plainly and tests can override them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bot.pipeline import Pipeline


def get_app_pipeline(request: Request) -> Pipeline:
    pipeline: Pipeline = request.app.state.pipeline
    return pipeline


PipelineDep = Annotated[Pipeline, Depends(get_app_pipeline)]
