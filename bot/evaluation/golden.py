"""The golden-set format (JSONL). Field names are fixed: other tools write these files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import BotError
from bot.models import Turn, canonical_region

Category = Literal["in_scope", "emergency", "out_of_scope", "adversarial"]
CATEGORIES: tuple[Category, ...] = ("in_scope", "emergency", "out_of_scope", "adversarial")


class GoldenCase(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    category: Category
    expected_sources: list[str] = Field(default_factory=list)
    must_include: list[list[str]] = Field(default_factory=list)
    must_not_include: list[str] = Field(default_factory=list)
    region: str | None = None
    history: list[Turn] = Field(default_factory=list)
    split: Literal["dev", "test"] | None = Field(None, description="Given once, at random (eval/golden/README.md).")

    @field_validator("must_include")
    @classmethod
    def _groups_compile(cls, groups: list[list[str]]) -> list[list[str]]:
        for group in groups:
            if not group:
                raise ValueError("a must_include group needs at least one alternative")
            for pattern in group:
                re.compile(pattern, re.IGNORECASE)
        return groups

    @field_validator("must_not_include")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            re.compile(pattern, re.IGNORECASE)
        return patterns

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        return canonical_region(value) if value else None


class GoldenError(BotError):
    """A golden file that cannot be read; the message names the line."""


def load_golden(path: Path) -> list[GoldenCase]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise GoldenError(f"cannot read golden set {path}: {exc.strerror}") from exc
    cases: list[GoldenCase] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            case = GoldenCase.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise GoldenError(f"{path.name} line {number}: not JSON ({exc.msg})") from exc
        except (ValidationError, re.error) as exc:
            detail = (
                "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                if isinstance(exc, ValidationError)
                else str(exc)
            )
            raise GoldenError(f"{path.name} line {number}: {detail}") from exc
        if case.id in seen:
            raise GoldenError(f"{path.name} line {number}: id {case.id!r} already used on line {seen[case.id]}")
        seen[case.id] = number
        cases.append(case)
    if not cases:
        raise GoldenError(f"{path.name} has no cases")
    return cases
