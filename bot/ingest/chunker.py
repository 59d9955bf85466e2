"""Cut a loaded document into chunks that keep their heading path and page.

A chunk's id derives from its source id and its content only, so an unchanged passage keeps its
id however the rest of the file moves, and re-ingesting an unchanged file changes nothing.
"""

from __future__ import annotations

import hashlib

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from bot.ingest.loaders import LoadedDocument, Section
from bot.models import Chunk

# Bump when chunking changes in a way that should never mix with chunks cut the old way.
CHUNKER_VERSION = "c2"

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]


def chunk_id(source_id: str, heading_path: list[str], page: int | None, text: str) -> str:
    digest = hashlib.sha256(
        "\x1f".join([source_id, " > ".join(heading_path), str(page), text]).encode("utf-8")
    ).hexdigest()
    return f"{source_id}:{digest[:16]}"


class Chunker:
    def __init__(self, chunk_size: int, chunk_overlap: int) -> None:
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
            keep_separator="end",
            strip_whitespace=True,
        )
        self._markdown = MarkdownHeaderTextSplitter(headers_to_split_on=_HEADERS, strip_headers=True)

    def _markdown_sections(self, section: Section) -> list[Section]:
        return [
            Section(
                text=part.page_content,
                # The document's own title (h1) is the source title already: keep the headings below it.
                heading_path=[part.metadata[key] for _, key in _HEADERS[1:] if key in part.metadata],
                page=section.page,
            )
            for part in self._markdown.split_text(section.text)
        ]

    def chunks(self, document: LoadedDocument) -> list[Chunk]:
        sections = document.sections
        if document.markdown:
            sections = [part for section in sections for part in self._markdown_sections(section)]
        chunks: list[Chunk] = []
        seen: dict[str, int] = {}
        for section in sections:
            for text in self._splitter.split_text(section.text):
                text = text.strip()
                if not text:
                    continue
                cid = chunk_id(document.source.id, section.heading_path, section.page, text)
                seen[cid] = seen.get(cid, 0) + 1
                if seen[cid] > 1:  # the same passage twice in one file: keep both, distinctly
                    cid = f"{cid}-{seen[cid]}"
                chunks.append(
                    Chunk(
                        id=cid,
                        source_id=document.source.id,
                        text=text,
                        heading_path=section.heading_path,
                        page=section.page,
                        position=len(chunks),
                    )
                )
        return chunks
