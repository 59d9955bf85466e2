"""The lexical side of the index: bm25s over the same chunks as the Chroma collection.

It is derived data: built from the collection, saved under the data dir with a fingerprint of the
chunk ids it covers, and rebuilt whenever that fingerprint no longer matches the collection.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import bm25s
import numpy as np

from bot.text import tokens


def fingerprint(ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()


class BM25Index:
    def __init__(self, ids: list[str], retriever: bm25s.BM25 | None) -> None:
        self.ids = ids
        self._retriever = retriever
        self.fingerprint = fingerprint(ids)

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> "BM25Index":
        if not ids:
            return cls([], None)
        retriever = bm25s.BM25()
        # bm25s rejects an empty document; a placeholder token keeps positions aligned.
        retriever.index([tokens(text) or ["\x00"] for text in texts], show_progress=False)
        return cls(list(ids), retriever)

    def save(self, directory: Path) -> None:
        staging = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if self._retriever is not None:
            self._retriever.save(str(staging), show_progress=False)
        (staging / "ids.json").write_text(json.dumps({"fingerprint": self.fingerprint, "ids": self.ids}))
        shutil.rmtree(directory, ignore_errors=True)
        staging.rename(directory)

    @classmethod
    def load(cls, directory: Path, expected_fingerprint: str) -> "BM25Index | None":
        """The saved index if it covers exactly the expected chunks, else None."""
        try:
            saved = json.loads((directory / "ids.json").read_text())
        except (OSError, ValueError):
            return None
        if saved.get("fingerprint") != expected_fingerprint:
            return None
        if not saved["ids"]:
            return cls([], None)
        try:
            retriever = bm25s.BM25.load(str(directory), show_progress=False)
        except (OSError, ValueError, KeyError):
            return None
        return cls(saved["ids"], retriever)

    def search(self, query: str, n: int, allowed: Callable[[str], bool] | None = None) -> list[tuple[str, float]]:
        """Top n (chunk id, score) with a positive score, among the chunks `allowed` accepts."""
        query_tokens = tokens(query)
        if self._retriever is None or not query_tokens:
            return []
        scores = np.asarray(self._retriever.get_scores(query_tokens), dtype=np.float64)
        if allowed is not None:
            mask = np.fromiter((allowed(i) for i in self.ids), dtype=bool, count=len(self.ids))
            scores = np.where(mask, scores, 0.0)
        order = np.argsort(-scores, kind="stable")[:n]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]
