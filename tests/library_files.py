"""Small library files written by tests, so ingest behaviour can be checked exactly."""

from __future__ import annotations

from pathlib import Path

import yaml

META = {
    "publisher": "Test Health Board",
    "year": 2024,
    "url": "https://example.org/guidance",
    "type": "guidance",
    "region": "UK",
    "tags": ["red-flags"],
}

INTERPRETERS = """# Interpreters

## Using interpreters safely
Always use a professional interpreter when the patient does not share your language.
Never let the person who came with the patient interpret, because that person may be the exploiter.

## Telephone interpreting
Telephone interpreting services can be reached from any consulting room in the hospital.
"""

DOCUMENTS = """# Identity documents

## Red flags
A patient who does not hold their own passport or identity documents may be controlled by someone else.
Ask gently who keeps the patient's documents and why.
"""


def write_markdown(folder: Path, source_id: str, body: str, title: str | None = None, **meta: object) -> Path:
    front = {"id": source_id, "title": title or source_id.replace("-", " ").title(), **META, **meta}
    path = folder / f"{source_id}.md"
    path.write_text(f"---\n{yaml.safe_dump(front, sort_keys=False)}---\n{body}", encoding="utf-8")
    return path


def write_sidecar(document: Path, source_id: str, **meta: object) -> Path:
    sidecar = document.with_name(document.name + ".meta.yaml")
    sidecar.write_text(yaml.safe_dump({"id": source_id, "title": source_id, **META, **meta}), encoding="utf-8")
    return sidecar
