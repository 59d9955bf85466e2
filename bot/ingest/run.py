"""Bring library files into the index, incrementally and idempotently.

Every file is read and checked before anything is written. A file that fails (missing metadata,
unreadable PDF, duplicate id) is reported and skipped, and the chunks it had from an earlier run
stay as they were. A source whose file is gone from a scanned folder loses its chunks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from bot.errors import IngestError
from bot.index import Index, search_text
from bot.index.store import sentence_filters
from bot.ingest.chunker import Chunker
from bot.ingest.loaders import SUPPORTED_SUFFIXES, LoadedDocument, load_document
from bot.models import Chunk, Source
from bot.text import split_sentences

Progress = Callable[[str, int, int], None]
_EMBED_BATCH = 128


class Rejected(BaseModel):
    path: str
    reason: str


class IngestReport(BaseModel):
    sources: int = 0
    chunks: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


def _files_under(paths: Iterable[Path], report: IngestReport) -> tuple[list[Path], list[Path]]:
    """(files to read, folders scanned); a path that does not exist is rejected."""
    files: list[Path] = []
    folders: list[Path] = []
    for path in paths:
        path = path.resolve()
        if path.is_dir():
            folders.append(path)
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            report.rejected.append(Rejected(path=str(path), reason="no such file or folder"))
    return list(dict.fromkeys(files)), folders


def chunk_metadata(source: Source, chunk: Chunk, path: Path) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "source_id": source.id,
        "title": source.title,
        "publisher": source.publisher,
        "authors": "; ".join(source.authors),
        "year": source.year,
        "url": str(source.url),
        "type": source.type,
        "region": source.region,
        "clinical": source.clinical,
        "tags": ",".join(source.tags),
        "reviewed": source.reviewed.isoformat() if source.reviewed else "",
        "heading_path": " > ".join(chunk.heading_path),
        "path": str(path),
    }
    if chunk.page is not None:
        meta["page"] = chunk.page
    meta["meta_hash"] = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:16]
    return meta


class Ingestor:
    def __init__(self, index: Index, progress: Progress | None = None) -> None:
        self.index = index
        settings = index.settings
        self.chunker = Chunker(settings.chunk_size, settings.chunk_overlap)
        self.progress = progress or (lambda step, done, total: None)

    def _load_all(self, files: list[Path], report: IngestReport) -> list[LoadedDocument]:
        by_id: dict[str, list[LoadedDocument]] = {}
        for done, path in enumerate(files, 1):
            self.progress("reading", done, len(files))
            try:
                document = load_document(path)
            except IngestError as exc:
                report.rejected.append(Rejected(path=str(path), reason=str(exc)))
                continue
            by_id.setdefault(document.source.id, []).append(document)
        documents: list[LoadedDocument] = []
        for source_id, group in by_id.items():
            if len(group) == 1:
                documents.append(group[0])
                continue
            # Neither file wins by accident of name order: both wait until the clash is fixed.
            for document in group:
                others = ", ".join(str(d.path) for d in group if d is not document)
                report.rejected.append(
                    Rejected(path=str(document.path), reason=f"duplicate id {source_id!r}, also used by {others}")
                )
        return documents

    def _embed_and_add(self, new: list[tuple[Chunk, dict[str, Any]]]) -> None:
        if not new:
            return
        embedder = self.index.embedder
        chunk_texts = [search_text(chunk.text, meta) for chunk, meta in new]
        sentence_rows = [
            (
                f"{chunk.id}:{i}",
                sentence,
                {"chunk_id": chunk.id, "source_id": chunk.source_id, "position": i, **sentence_filters(meta)},
            )
            for chunk, meta in new
            for i, sentence in enumerate(split_sentences(chunk.text))
        ]
        texts = chunk_texts + [text for _, text, _ in sentence_rows]
        vectors = []
        for start in range(0, len(texts), _EMBED_BATCH):
            self.progress("embedding", start, len(texts))
            vectors.append(embedder.encode(texts[start : start + _EMBED_BATCH]))
        self.progress("embedding", len(texts), len(texts))
        all_vectors = np.concatenate(vectors)
        chunk_vectors, sentence_vectors = all_vectors[: len(chunk_texts)], all_vectors[len(chunk_texts) :]
        # Sentences first: a chunk is only searchable once everything it needs is stored.
        self.index.store.add_sentences(
            [r[0] for r in sentence_rows], [r[1] for r in sentence_rows], sentence_vectors, [r[2] for r in sentence_rows]
        )
        self.index.store.add_chunks(
            [c.id for c, _ in new], [c.text for c, _ in new], chunk_vectors, [m for _, m in new]
        )

    def run(self, paths: Iterable[Path]) -> IngestReport:
        report = IngestReport()
        files, folders = _files_under(paths, report)
        documents = self._load_all(files, report)
        rejected_paths = {r.path for r in report.rejected}
        existing = {chunk.id: chunk.metadata for chunk in self.index.store.all_chunks()}

        wanted: dict[str, tuple[Chunk, dict[str, Any]]] = {}
        for document in documents:
            for chunk in self.chunker.chunks(document):
                wanted[chunk.id] = (chunk, chunk_metadata(document.source, chunk, document.path))
        loaded_ids = {d.source.id for d in documents}
        scanned_files = {str(p) for p in files}

        def is_gone(meta: dict[str, Any]) -> bool:
            if meta.get("source_id") in loaded_ids:
                return True  # re-read now: any chunk it no longer has goes
            path = meta.get("path", "")
            if path in rejected_paths:
                return False  # a broken file keeps what it had
            return path in scanned_files or any(Path(path).is_relative_to(folder) for folder in folders)

        removed = [cid for cid, meta in existing.items() if cid not in wanted and is_gone(meta)]
        added = [pair for cid, pair in wanted.items() if cid not in existing]
        updated = [
            (cid, meta)
            for cid, (_, meta) in wanted.items()
            if cid in existing and existing[cid].get("meta_hash") != meta["meta_hash"]
        ]

        self._embed_and_add(added)
        self.index.store.update_metadata([cid for cid, _ in updated], [meta for _, meta in updated])
        self.index.store.delete_chunks(removed)
        if added or updated or removed:
            self.index.store.renew_generation()
        self.index.refresh()

        report.sources = len(documents)
        report.chunks = len(wanted)
        report.added = len(added)
        report.updated = len(updated)
        report.removed = len(removed)
        report.unchanged = len(wanted) - len(added) - len(updated)
        return report


def ingest(paths: Iterable[Path], index: Index, progress: Progress | None = None) -> IngestReport:
    return Ingestor(index, progress).run(paths)


__all__ = ["IngestReport", "Ingestor", "Rejected", "ingest"]
