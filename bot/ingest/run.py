"""Bring library files into the index, incrementally and idempotently.

Every file is read and checked before anything is written. A file that fails (missing metadata,
unreadable PDF, duplicate id) is reported and skipped, and the chunks it had from an earlier run
stay as they were. A source whose file is gone from a scanned folder loses its chunks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from bot.errors import IngestError
from bot.index import Index, search_text
from bot.index.store import sentence_filters
from bot.ingest.chunker import Chunker
from bot.ingest.loaders import SUPPORTED_SUFFIXES, LoadedDocument, load_document
from bot.ingest.quarantine import without_instructions
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
    warnings: list[Rejected] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


@dataclass
class Collected:
    """What one run read, and which indexed chunks it answers for.

    `owns(metadata)` says whether an indexed chunk belongs to what this run scanned (so it goes
    if its source was not read again); `unchanged` names sources known to be current without
    reading them (kept as they are); `keep` names locations whose chunks stay whatever happens
    (files that failed to load).
    """

    documents: list[LoadedDocument]
    owns: Callable[[dict[str, Any]], bool]
    unchanged: set[str] = field(default_factory=set)
    keep: set[str] = field(default_factory=set)


def _is_library_file(path: Path, folder: Path) -> bool:
    relative = path.relative_to(folder).parts
    return (
        path.is_file()
        and path.suffix.lower() in SUPPORTED_SUFFIXES
        and path.stem.upper() != "README"  # a folder's own documentation, not a publication
        and not any(part.startswith(".") for part in relative)
    )


def collect_files(paths: Iterable[Path], report: IngestReport, progress: Progress) -> Collected:
    """Load the files and folders given; a path that does not exist or a bad file is rejected."""
    files: list[Path] = []
    folders: list[Path] = []
    for path in paths:
        path = path.resolve()
        if path.is_dir():
            folders.append(path)
            files.extend(p for p in sorted(path.rglob("*")) if _is_library_file(p, path))
        elif path.is_file():
            files.append(path)
        else:
            report.rejected.append(Rejected(path=str(path), reason="no such file or folder"))
    files = list(dict.fromkeys(files))
    documents: list[LoadedDocument] = []
    for done, path in enumerate(files, 1):
        progress("reading", done, len(files))
        try:
            documents.append(load_document(path))
        except IngestError as exc:
            report.rejected.append(Rejected(path=str(path), reason=str(exc)))
    scanned = {str(p) for p in files}

    def owns(meta: dict[str, Any]) -> bool:
        path = meta.get("path", "")
        return path in scanned or (not meta.get("origin") and any(Path(path).is_relative_to(f) for f in folders))

    return Collected(documents=documents, owns=owns, keep={r.path for r in report.rejected})


def chunk_metadata(source: Source, chunk: Chunk, document: LoadedDocument) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "source_id": source.id,
        "title": source.title,
        "publisher": source.publisher,
        "authors": "; ".join(source.authors),
        "year": source.year,
        "url": str(source.url),
        "type": source.type,
        "region": source.region,
        "applies": source.applicability,
        "clinical": source.clinical,
        "tags": ",".join(source.tags),
        "reviewed": source.reviewed.isoformat() if source.reviewed else "",
        "heading_path": " > ".join(chunk.heading_path),
        "path": document.location,
        **document.extra,
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

    @staticmethod
    def _without_duplicate_ids(documents: list[LoadedDocument], report: IngestReport) -> list[LoadedDocument]:
        by_id: dict[str, list[LoadedDocument]] = {}
        for document in documents:
            by_id.setdefault(document.source.id, []).append(document)
        kept: list[LoadedDocument] = []
        for source_id, group in by_id.items():
            if len(group) == 1:
                kept.append(group[0])
                continue
            # Neither file wins by accident of name order: both wait until the clash is fixed.
            for document in group:
                others = ", ".join(d.location for d in group if d is not document)
                report.rejected.append(
                    Rejected(path=document.location, reason=f"duplicate id {source_id!r}, also used by {others}")
                )
        return kept

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
        return self.apply(collect_files(paths, report, self.progress), report)

    def existing(self) -> dict[str, dict[str, Any]]:
        """Every indexed chunk's metadata, by chunk id."""
        return {chunk.id: chunk.metadata for chunk in self.index.store.all_chunks()}

    def apply(
        self, collected: Collected, report: IngestReport, existing: dict[str, dict[str, Any]] | None = None
    ) -> IngestReport:
        """Bring the index in line with what was collected, and count what changed.

        `existing` is the index's chunk metadata when the caller has just read it.
        """
        documents = self._without_duplicate_ids(collected.documents, report)
        keep = collected.keep | {r.path for r in report.rejected}
        existing = existing if existing is not None else self.existing()

        wanted: dict[str, tuple[Chunk, dict[str, Any]]] = {}
        for document in documents:
            document, steering = without_instructions(document)
            if steering:
                report.warnings.append(Rejected(
                    path=document.location,
                    reason=f"left out {len(steering)} sentence(s) written as instructions to an AI assistant, "
                    f"not guidance: {steering[0][:120]!r}",
                ))
            for chunk in self.chunker.chunks(document):
                wanted[chunk.id] = (chunk, chunk_metadata(document.source, chunk, document))
        loaded_ids = {d.source.id for d in documents}

        def is_gone(meta: dict[str, Any]) -> bool:
            if meta.get("source_id") in loaded_ids:
                return True  # read again now: any chunk it no longer has goes
            if meta.get("source_id") in collected.unchanged or meta.get("path", "") in keep:
                return False
            return collected.owns(meta)

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

        skipped = sum(1 for meta in existing.values() if meta.get("source_id") in collected.unchanged)
        report.sources = len(documents) + len(collected.unchanged)
        report.chunks = len(wanted) + skipped
        report.added = len(added)
        report.updated = len(updated)
        report.removed = len(removed)
        report.unchanged = len(wanted) - len(added) - len(updated) + skipped
        return report


def ingest(paths: Iterable[Path], index: Index, progress: Progress | None = None) -> IngestReport:
    return Ingestor(index, progress).run(paths)


__all__ = ["Collected", "IngestReport", "Ingestor", "Rejected", "chunk_metadata", "ingest"]
