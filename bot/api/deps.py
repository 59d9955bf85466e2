"""FastAPI dependencies, named once so routes read plainly and tests can override them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bot.config import Settings
from bot.feedback import FeedbackStore
from bot.pipeline import Pipeline


def get_app_pipeline(request: Request) -> Pipeline:
    pipeline: Pipeline = request.app.state.pipeline
    return pipeline


def get_feedback_store(request: Request) -> FeedbackStore:
    store: FeedbackStore = request.app.state.feedback
    return store


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


PipelineDep = Annotated[Pipeline, Depends(get_app_pipeline)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback_store)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
