"""Read one library file into a Source and its sections.

Markdown and plain text carry their metadata as YAML front matter; PDF and HTML (and text without
front matter) carry it in a sidecar file named `<file name>.meta.yaml` beside them.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.errors import IngestError
from bot.models import Source

REQUIRED_FIELDS = ("id", "title", "publisher", "year", "url", "type", "region")
SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".pdf", ".html", ".htm")
SIDECAR_SUFFIX = ".meta.yaml"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


@dataclass
class Section:
    text: str
    heading_path: list[str] = field(default_factory=list)
    page: int | None = None


@dataclass
class LoadedDocument:
    """A source ready to chunk. `location` is its file path or URL; `extra` is stored with its chunks."""

    location: str
    source: Source
    sections: list[Section]
    markdown: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _parse_yaml(text: str, where: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise IngestError(f"metadata in {where} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise IngestError(f"metadata in {where} is not a mapping of field: value")
    return data


def source_from_metadata(data: dict[str, Any], where: str) -> Source:
    missing = [name for name in REQUIRED_FIELDS if data.get(name) in (None, "", [])]
    if missing:
        raise IngestError(f"missing required metadata in {where}: {', '.join(missing)}")
    try:
        return Source.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise IngestError(f"invalid metadata in {where}: {problems}") from exc


def split_front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return None, text
    return _parse_yaml(match.group(1), "front matter"), text[match.end() :]


def _sidecar_metadata(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        raise IngestError(f"missing required metadata: no front matter and no sidecar {sidecar.name}")
    return _parse_yaml(sidecar.read_text(encoding="utf-8"), sidecar.name)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _load_markdown_or_text(path: Path, raw: bytes, markdown: bool) -> tuple[dict[str, Any], list[Section]]:
    meta, body = split_front_matter(_decode(raw))
    if meta is None:
        if markdown:
            raise IngestError(
                "missing required metadata: no YAML front matter (a block between --- lines at the top)"
            )
        meta = _sidecar_metadata(path)
    return meta, [Section(text=body)]


def pdf_sections(data: bytes) -> list[Section]:
    """One section per page that has text, numbered from 1; IngestError if none can be read."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, OSError, KeyError, TypeError) as exc:
        raise IngestError(f"unreadable PDF: {exc}") from exc
    sections = [Section(text=text, page=number) for number, text in enumerate(pages, 1) if text.strip()]
    if not sections:
        raise IngestError("unreadable PDF: no extractable text (a scanned PDF needs OCR first)")
    return sections


def html_sections(html: str) -> list[Section]:
    """Text blocks of an HTML page grouped under their heading path; page furniture dropped."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "form"]):
        tag.decompose()
    root = soup.body or soup
    sections: list[Section] = []
    headings: list[tuple[int, str]] = []
    paragraphs: list[str] = []

    def flush() -> None:
        if paragraphs:
            sections.append(Section(text="\n\n".join(paragraphs), heading_path=[h for _, h in headings]))
            paragraphs.clear()

    for element in root.find_all(["h1", "h2", "h3", "h4", "p", "li", "td", "pre", "blockquote"]):
        if element.find_parent(["li", "td", "blockquote"]) is not None:
            continue
        text = " ".join(element.get_text(" ", strip=True).split())
        if not text:
            continue
        if element.name in ("h1", "h2", "h3", "h4"):
            flush()
            level = int(element.name[1])
            headings = [(lvl, h) for lvl, h in headings if lvl < level] + [(level, text)]
        else:
            paragraphs.append(text)
    flush()
    return sections


def _load_pdf(path: Path, raw: bytes) -> tuple[dict[str, Any], list[Section]]:
    return _sidecar_metadata(path), pdf_sections(raw)


def _load_html(path: Path, raw: bytes) -> tuple[dict[str, Any], list[Section]]:
    meta = _sidecar_metadata(path)
    sections = html_sections(_decode(raw))
    if not sections:
        raise IngestError("no readable text in the HTML body")
    return meta, sections


def load_document(path: Path) -> LoadedDocument:
    """Load one file; IngestError names what is wrong with it."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"unsupported file type {suffix or '(none)'}; use {', '.join(SUPPORTED_SUFFIXES)}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read file: {exc.strerror}") from exc
    if suffix == ".pdf":
        meta, sections = _load_pdf(path, raw)
    elif suffix in (".html", ".htm"):
        meta, sections = _load_html(path, raw)
    else:
        meta, sections = _load_markdown_or_text(path, raw, markdown=suffix in (".md", ".markdown"))
    source = source_from_metadata(meta, path.name)
    if not any(section.text.strip() for section in sections):
        raise IngestError("the file has metadata but no text")
    return LoadedDocument(
        location=str(path),
        source=source,
        sections=sections,
        markdown=suffix in (".md", ".markdown"),
    )
