"""The index: Chroma (dense) and BM25 (lexical) over the same chunks, kept in step."""

from __future__ import annotations

import threading
from typing import Any

from bot.config import Settings
from bot.index.bm25 import BM25Index, fingerprint
from bot.index.embeddings import MiniLMEmbeddings
from bot.index.store import ChunkStore, StoredChunk


def search_text(text: str, metadata: dict[str, Any]) -> str:
    """What is embedded and BM25-indexed for a chunk: its place in the publication, then its text."""
    context = " > ".join(p for p in (metadata.get("title", ""), metadata.get("heading_path", "")) if p)
    return f"{context}\n{text}" if context else text


class Index:
    def __init__(
        self,
        settings: Settings,
        store: ChunkStore | None = None,
        embedder: MiniLMEmbeddings | None = None,
    ) -> None:
        self.settings = settings
        self.store = store if store is not None else ChunkStore(settings)
        self.embedder = embedder if embedder is not None else MiniLMEmbeddings()
        self.metadata: dict[str, dict[str, Any]] = {}
        self.bm25 = BM25Index([], None)
        self.generation = ""
        self._lock = threading.Lock()
        self.refresh()

    @property
    def _bm25_dir(self) -> Any:
        return self.settings.data_dir / "bm25" / self.store.name

    def refresh_if_changed(self) -> None:
        """Catch up with an ingest or a re-index made by another process (a CLI run, another worker)."""
        if self.store.live_slot() != self.store.slot or self.store.generation() != self.generation:
            with self._lock:
                if self.store.follow_live() or self.store.generation() != self.generation:
                    self.refresh()

    def refresh(self) -> None:
        """Re-read chunk metadata from Chroma and bring the BM25 side up to date with it."""
        self.generation = self.store.generation()
        stored = self.store.all_chunks()
        self.metadata = {chunk.id: chunk.metadata for chunk in stored}
        wanted = fingerprint(list(self.metadata))
        if self.bm25.fingerprint == wanted:
            return
        loaded = BM25Index.load(self._bm25_dir, wanted)
        if loaded is None:
            with_text: list[StoredChunk] = self.store.all_chunks(with_text=True)
            loaded = BM25Index.build(
                [c.id for c in with_text], [search_text(c.text, c.metadata) for c in with_text]
            )
            loaded.save(self._bm25_dir)
        self.bm25 = loaded

    def sources(self) -> dict[str, dict[str, Any]]:
        """One entry per indexed publication, with its metadata and chunk count."""
        found: dict[str, dict[str, Any]] = {}
        for meta in self.metadata.values():
            entry = found.setdefault(
                meta["source_id"],
                {key: meta.get(key) for key in ("source_id", "title", "publisher", "authors", "year", "url", "type",
                                                "region", "clinical", "tags", "reviewed", "path")} | {"chunks": 0},
            )
            entry["chunks"] += 1
        return dict(sorted(found.items()))


__all__ = ["Index", "search_text", "MiniLMEmbeddings", "ChunkStore"]
