"""The labelled message bank the triage classifier learns from (eval/triage/bank.jsonl) and the
identifier bank the scrubber is measured on (eval/pii/bank.jsonl).

Each was split once, at random, into `dev` and `test` (the seed and rule are in
eval/triage/README.md); the split is stored in every line so that it never moves. Everything is
chosen on `dev`; `test` is only reported.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.errors import ConfigError
from bot.judge.intents import INTENTS
from bot.models import Turn

EVAL_DIR = Path(__file__).resolve().parents[2] / "eval"
TRIAGE_BANK = EVAL_DIR / "triage" / "bank.jsonl"
PII_BANK = EVAL_DIR / "pii" / "bank.jsonl"
Split = Literal["dev", "test"]


class BankItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    text: str = Field(min_length=1)
    history: list[Turn] = Field(default_factory=list)
    intent: str
    voice: str
    hard_negative: bool = False
    split: Split | None = None

    @model_validator(mode="after")
    def _known_intent(self) -> "BankItem":
        if self.intent not in INTENTS:
            raise ValueError(f"intent {self.intent!r} is not one of {', '.join(INTENTS)}")
        return self


    @property
    def benign(self) -> bool:
        """Must be answered: a clinician's question, or an emergency not written by an exploiter."""
        return self.intent == "in_scope" or (self.intent == "emergency" and not self.voice.startswith("exploiter"))


class Identifier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    kind: str


class PiiItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    history: list[Turn] = Field(default_factory=list)
    identifiers: list[Identifier] = Field(default_factory=list)
    keep: list[str] = Field(default_factory=list)
    voice: str = ""
    split: Split | None = None


def _read(path: Path, model: type[BaseModel]) -> list:
    if not path.exists():
        raise ConfigError(f"{path} does not exist")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(model.model_validate_json(line))
        except ValidationError as exc:
            raise ConfigError(f"{path}:{number}: {exc.errors()[0]['msg']}") from exc
    ids = [item.id for item in items]
    if len(ids) != len(set(ids)):
        raise ConfigError(f"{path}: ids are not unique")
    return items


def load_bank(path: Path = TRIAGE_BANK, split: Split | None = None) -> list[BankItem]:
    return [i for i in _read(path, BankItem) if split is None or i.split == split]


def load_pii_bank(path: Path = PII_BANK, split: Split | None = None) -> list[PiiItem]:
    return [i for i in _read(path, PiiItem) if split is None or i.split == split]


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_jsonl(path: Path, items: list[BaseModel]) -> None:
    path.write_text(
        "".join(json.dumps(i.model_dump(exclude_defaults=True, mode="json"), ensure_ascii=False) + "\n" for i in items),
        encoding="utf-8",
    )
