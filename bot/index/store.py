"""The Chroma side of the index: one collection of chunks, one of their sentences.

Embedded (`PersistentClient` under the data dir) by default, a Chroma server when
`BOT_CHROMA_URL` is set. Collection names carry the embedding model and chunker version, so a
change of either never mixes vectors. We embed; Chroma only stores and searches.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import numpy as np

from bot.config import Settings
from bot.errors import IndexNotReady
from bot.index.embeddings import MODEL_SLUG
from bot.ingest.chunker import CHUNKER_VERSION

_BATCH = 1000


@dataclass
class StoredChunk:
    id: str
    text: str
    metadata: dict[str, Any]
    distance: float | None = None


@dataclass
class StoredSentence:
    chunk_id: str
    position: int
    text: str
    embedding: np.ndarray


FILTER_KEYS = ("region", "applies", "type", "clinical")


def sentence_filters(chunk_metadata: dict[str, Any]) -> dict[str, Any]:
    """The chunk metadata copied onto each of its sentences, so sentence search can be filtered."""
    return {key: chunk_metadata[key] for key in FILTER_KEYS if key in chunk_metadata}


def make_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        try:
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises bare ValueError/ConnectionError variants
            raise IndexNotReady(f"cannot reach the Chroma server at {settings.chroma_url}: {exc}") from exc
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.data_dir / "chroma"), settings=chroma_settings)


def _batches(items: Sequence[Any]) -> Iterable[slice]:
    for start in range(0, len(items), _BATCH):
        yield slice(start, start + _BATCH)


def _upsert(
    collection: Any, ids: list[str], texts: list[str], embeddings: np.ndarray, metadatas: list[dict[str, Any]]
) -> None:
    for part in _batches(ids):
        collection.upsert(ids=ids[part], documents=texts[part], embeddings=embeddings[part], metadatas=metadatas[part])


class ChunkStore:
    """The chunks and sentences collections of one *slot*. The live slot is named by a pointer
    collection's metadata: a re-index fills a new slot beside the live one and then moves the
    pointer, so questions asked meanwhile are answered from the old slot, and every process sees
    the move on its next question (`follow_live`)."""

    def __init__(self, settings: Settings, client: Any | None = None, slot: str | None = None) -> None:
        self.client = client if client is not None else make_client(settings)
        self.base = f"{settings.collection_prefix}-{MODEL_SLUG}-{CHUNKER_VERSION}"
        self._pointer = self.client.get_or_create_collection(f"{self.base}-live", embedding_function=None)
        self._open(self.live_slot() if slot is None else slot)

    def _open(self, slot: str) -> None:
        self.slot = slot
        self.name = f"{self.base}-{slot}" if slot else self.base  # "" is the slot of indexes made before slots
        options = {"configuration": {"hnsw": {"space": "cosine"}}, "embedding_function": None}
        self.chunks = self.client.get_or_create_collection(f"{self.name}-chunks", **options)
        self.sentences = self.client.get_or_create_collection(f"{self.name}-sentences", **options)

    def live_slot(self) -> str:
        return str((self.client.get_collection(self._pointer.name).metadata or {}).get("slot", ""))

    def follow_live(self) -> bool:
        """Switch to the live slot if another process moved the pointer; True if it did."""
        live = self.live_slot()
        if live == self.slot:
            return False
        self._open(live)
        return True

    def publish(self) -> str:
        """Make this slot the live one; the slot it replaces."""
        previous = self.live_slot()
        self._pointer.modify(metadata={"slot": self.slot, "published": uuid.uuid4().hex})
        return previous

    def slots(self) -> set[str]:
        """Every slot with collections in the store."""
        found = set()
        for collection in self.client.list_collections():
            name = getattr(collection, "name", collection)
            if name.startswith(self.base) and name.endswith("-chunks"):
                found.add(name[len(self.base) : -len("-chunks")].lstrip("-"))
        return found

    def drop_slot(self, slot: str) -> None:
        if slot == self.slot or slot == self.live_slot():
            raise ValueError(f"slot {slot!r} is in use")
        name = f"{self.base}-{slot}" if slot else self.base
        for suffix in ("-chunks", "-sentences"):
            try:
                self.client.delete_collection(f"{name}{suffix}")
            except Exception:  # already gone (another process dropped it): nothing to do
                pass

    def generation(self) -> str:
        """A marker that every ingest which changes the index renews; other processes watch it."""
        metadata = self.client.get_collection(self.chunks.name).metadata or {}
        return str(metadata.get("generation", ""))

    def renew_generation(self) -> None:
        self.chunks.modify(metadata={"generation": uuid.uuid4().hex})

    def heartbeat(self) -> None:
        self.client.heartbeat()

    def count(self) -> int:
        return int(self.chunks.count())

    def all_chunks(self, with_text: bool = False) -> list[StoredChunk]:
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        total = self.count()
        found: list[StoredChunk] = []
        for offset in range(0, total, _BATCH):
            got = self.chunks.get(include=include, limit=_BATCH, offset=offset)
            documents = got.get("documents") or [""] * len(got["ids"])
            found.extend(
                StoredChunk(id=i, text=d or "", metadata=dict(m or {}))
                for i, d, m in zip(got["ids"], documents, got["metadatas"])
            )
        return found

    def get_chunks(self, ids: Sequence[str]) -> list[StoredChunk]:
        if not ids:
            return []
        got = self.chunks.get(ids=list(ids), include=["metadatas", "documents"])
        by_id = {
            i: StoredChunk(id=i, text=d or "", metadata=dict(m or {}))
            for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])
        }
        return [by_id[i] for i in ids if i in by_id]

    def add_chunks(
        self, ids: list[str], texts: list[str], embeddings: np.ndarray, metadatas: list[dict[str, Any]]
    ) -> None:
        _upsert(self.chunks, ids, texts, embeddings, metadatas)

    def add_sentences(
        self, ids: list[str], texts: list[str], embeddings: np.ndarray, metadatas: list[dict[str, Any]]
    ) -> None:
        _upsert(self.sentences, ids, texts, embeddings, metadatas)

    def update_metadata(self, ids: list[str], metadatas: list[dict[str, Any]]) -> None:
        """New metadata for existing chunks; their sentences take the new filter fields too."""
        for part in _batches(ids):
            self.chunks.update(ids=ids[part], metadatas=metadatas[part])
        filters_of = {cid: sentence_filters(meta) for cid, meta in zip(ids, metadatas)}
        for part in _batches(ids):
            got = self.sentences.get(where={"chunk_id": {"$in": ids[part]}}, include=["metadatas"])
            if got["ids"]:
                self.sentences.update(
                    ids=got["ids"],
                    metadatas=[{**m, **filters_of[m["chunk_id"]]} for m in got["metadatas"]],
                )

    def delete_chunks(self, ids: list[str]) -> None:
        for part in _batches(ids):
            self.sentences.delete(where={"chunk_id": {"$in": ids[part]}})
            self.chunks.delete(ids=ids[part])

    def dense_search(
        self, embedding: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[StoredChunk]:
        if self.count() == 0:
            return []
        got = self.chunks.query(
            query_embeddings=[embedding.tolist()],
            n_results=n,
            where=where or None,
            include=["metadatas", "documents", "distances"],
        )
        return [
            StoredChunk(id=i, text=d or "", metadata=dict(m or {}), distance=float(dist))
            for i, d, m, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])
        ]

    def dense_sentence_search(
        self, embedding: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """Chunks ranked by their best-matching sentence: (chunk id, cosine similarity)."""
        if self.sentences.count() == 0:
            return []
        got = self.sentences.query(
            query_embeddings=[embedding.tolist()], n_results=n, where=where or None, include=["metadatas", "distances"]
        )
        best: dict[str, float] = {}
        for meta, distance in zip(got["metadatas"][0], got["distances"][0], strict=True):
            best.setdefault(meta["chunk_id"], 1.0 - float(distance))
        return list(best.items())

    def sentences_of(self, chunk_ids: Sequence[str]) -> dict[str, list[StoredSentence]]:
        """The stored sentences (with embeddings) of these chunks, in passage order."""
        if not chunk_ids:
            return {}
        got = self.sentences.get(
            where={"chunk_id": {"$in": list(chunk_ids)}}, include=["metadatas", "documents", "embeddings"]
        )
        grouped: dict[str, list[StoredSentence]] = {cid: [] for cid in chunk_ids}
        for text, meta, vector in zip(got["documents"], got["metadatas"], got["embeddings"], strict=True):
            grouped.setdefault(meta["chunk_id"], []).append(
                StoredSentence(
                    chunk_id=meta["chunk_id"],
                    position=int(meta["position"]),
                    text=text,
                    embedding=np.asarray(vector, dtype=np.float32),
                )
            )
        for sentences in grouped.values():
            sentences.sort(key=lambda s: s.position)
        return grouped
