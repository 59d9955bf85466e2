"""Prompt templates, versioned, loaded by name from prompts/ (a Markdown file with front matter)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template

from bot.errors import ConfigError
from bot.ingest.loaders import split_front_matter

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    template: str

    def render(self, **values: str) -> str:
        return Template(self.template).substitute(values)

    @property
    def tag(self) -> str:
        return f"{self.name}@{self.version}"


def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> Prompt:
    path = directory / f"{name}.md"
    try:
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"prompt {name!r} not found at {path}") from exc
    if not meta or "version" not in meta:
        raise ConfigError(f"prompt {path} needs front matter with a version")
    return Prompt(name=name, version=int(meta["version"]), template=body.strip())
