"""Rebuild the whole index beside the live one and swap it in when complete.

Questions asked during a re-index are answered from the live slot; the new slot goes live only
when every file has been read and embedded; a re-index that fails (a file rejected, nothing
indexed) leaves the live slot as it was and removes its half-built slot. The slot it replaces
is kept until the next re-index (a worker that has not yet noticed the swap may still be reading
it); older ones are dropped. Sources ingested from a website are copied across as they are.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from bot.config import Settings
from bot.errors import IngestError
from bot.index import Index
from bot.index.embeddings import MiniLMEmbeddings
from bot.index.store import ChunkStore
from bot.ingest.run import IngestReport, Progress, ingest


class ReindexReport(BaseModel):
    slot: str
    previous_slot: str
    dropped_slots: list[str]
    seconds: float
    ingest: IngestReport


def _carry_over_sites(live: ChunkStore, building: ChunkStore) -> IngestReport:
    """Sources read from a website (WordPress) are not in the files: copy them, vectors and all."""
    ids = [c.id for c in live.all_chunks() if c.metadata.get("origin")]
    carried = IngestReport()
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        chunks = live.chunks.get(ids=part, include=["documents", "metadatas", "embeddings"])
        sentences = live.sentences.get(where={"chunk_id": {"$in": part}}, include=["documents", "metadatas", "embeddings"])
        if sentences["ids"]:
            building.add_sentences(list(sentences["ids"]), list(sentences["documents"]), np.asarray(sentences["embeddings"]),
                                   list(sentences["metadatas"]))
        building.add_chunks(list(chunks["ids"]), list(chunks["documents"]), np.asarray(chunks["embeddings"]), list(chunks["metadatas"]))
        carried.chunks += len(chunks["ids"])
        carried.sources = len({m["source_id"] for m in chunks["metadatas"]}) + carried.sources
    return carried


def reindex(
    settings: Settings, paths: Iterable[Path], embedder: MiniLMEmbeddings | None = None, progress: Progress | None = None
) -> ReindexReport:
    started = time.perf_counter()
    live = ChunkStore(settings)
    slot = time.strftime("r%Y%m%d%H%M%S") + uuid.uuid4().hex[:4]
    building = ChunkStore(settings, client=live.client, slot=slot)
    report = ingest(paths, Index(settings, store=building, embedder=embedder), progress)
    carried = _carry_over_sites(live, building)
    report.sources += carried.sources
    report.chunks += carried.chunks
    if not report.ok or not report.chunks:
        building.drop_slot(slot)
        reasons = "; ".join(f"{r.path}: {r.reason}" for r in report.rejected) or "no chunks were indexed"
        raise IngestError(f"re-index abandoned, the live index is unchanged: {reasons}")
    building.renew_generation()
    previous = building.publish()
    dropped = sorted(s for s in building.slots() if s not in (slot, previous))
    for old in dropped:
        building.drop_slot(old)
    return ReindexReport(slot=slot, previous_slot=previous, dropped_slots=dropped,
                         seconds=round(time.perf_counter() - started, 2), ingest=report)


__all__ = ["ReindexReport", "reindex"]
