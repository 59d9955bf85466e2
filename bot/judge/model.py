"""The trained triage classifier as data: a softmax over the intents, blended with the labels of
the nearest dev messages in embedding space, its thresholds, and where it came from (the bank's
hash, the settings chosen on dev, the figures measured).

Stored as `triage-model.npz` (sparse weights, no pickle: loading it runs no code) and
`triage-model.json` beside it; `bot triage build` writes both, and the server loads them at start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from bot.errors import ConfigError
from bot.judge.features import FeatureWeights, feature_blocks

MODEL_DIR = Path(__file__).parent / "data"
MODEL_STEM = "triage-model"


NEIGHBOURS = 15


def neighbour_space(question_vectors: np.ndarray, context_vectors: np.ndarray, weights: FeatureWeights) -> np.ndarray:
    """Where a message sits for the neighbour vote: its question and context embeddings, unit length."""
    joined = np.hstack([question_vectors, weights.context * np.asarray(context_vectors)]).astype(np.float32)
    return joined / np.maximum(np.linalg.norm(joined, axis=1, keepdims=True), 1e-9)


def neighbour_vote(points: np.ndarray, memory: np.ndarray, labels: np.ndarray, classes: int) -> np.ndarray:
    """Class shares among each point's nearest remembered messages, each weighted by 1 / cosine distance."""
    similarity = points @ memory.T
    k = min(NEIGHBOURS, memory.shape[0])
    nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    votes = np.zeros((points.shape[0], classes))
    for row, columns in enumerate(nearest):
        weight = 1.0 / np.maximum(1.0 - similarity[row, columns], 1e-6)
        votes[row] = np.bincount(labels[columns], weights=weight, minlength=classes)
    return votes / votes.sum(axis=1, keepdims=True)


@dataclass
class TriageModel:
    classes: list[str]
    coef: sparse.csr_matrix  # classes × features
    intercept: np.ndarray
    weights: FeatureWeights
    thresholds: dict[str, float]
    memory: np.ndarray  # the dev messages' neighbour-space points
    memory_labels: np.ndarray
    blend: float  # the neighbour vote's share of the probabilities
    meta: dict[str, Any] = field(default_factory=dict)
    _block_coef: list[np.ndarray] = field(default_factory=list, init=False, repr=False)

    def _coef_by_block(self, blocks: list[np.ndarray | sparse.csr_matrix]) -> list[np.ndarray]:
        """The weights as dense features × classes slices, one per block (about 3 MB): scoring one
        message is then a product per block, with no joined sparse matrix to build or transpose."""
        if not self._block_coef:
            dense = np.ascontiguousarray(self.coef.toarray().T, dtype=np.float32)
            edges = np.cumsum([0] + [b.shape[1] for b in blocks])
            self._block_coef = [dense[start:end] for start, end in zip(edges[:-1], edges[1:])]
        return self._block_coef

    def linear_probabilities(self, blocks: list[np.ndarray | sparse.csr_matrix]) -> np.ndarray:
        """Softmax of the regression over the blocks of `feature_blocks`."""
        logits = sum(np.asarray(b @ w) for b, w in zip(blocks, self._coef_by_block(blocks))) + self.intercept
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def probabilities(
        self, questions: list[str], question_vectors: np.ndarray, contexts: list[str], context_vectors: np.ndarray
    ) -> np.ndarray:
        """Rows of class probabilities, in `classes` order."""
        linear = self.linear_probabilities(feature_blocks(questions, question_vectors, contexts, context_vectors, self.weights))
        if not self.blend:
            return linear
        points = neighbour_space(question_vectors, context_vectors, self.weights)
        return (1 - self.blend) * linear + self.blend * neighbour_vote(points, self.memory, self.memory_labels, len(self.classes))

    def save(self, directory: Path = MODEL_DIR) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        coef = self.coef.tocsr().astype(np.float32)
        np.savez_compressed(
            directory / f"{MODEL_STEM}.npz", data=coef.data, indices=coef.indices, indptr=coef.indptr,
            shape=np.array(coef.shape), intercept=self.intercept.astype(np.float64),
            memory=self.memory.astype(np.float16), memory_labels=self.memory_labels.astype(np.int8),
        )
        description = {
            "classes": self.classes, "weights": vars(self.weights), "thresholds": self.thresholds, "blend": self.blend, **self.meta,
        }
        (directory / f"{MODEL_STEM}.json").write_text(json.dumps(description, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path = MODEL_DIR) -> "TriageModel":
        npz_path, json_path = directory / f"{MODEL_STEM}.npz", directory / f"{MODEL_STEM}.json"
        if not npz_path.exists() or not json_path.exists():
            raise ConfigError(f"no triage model in {directory}: build it with `bot triage build`")
        description = json.loads(json_path.read_text(encoding="utf-8"))
        with np.load(npz_path, allow_pickle=False) as arrays:
            coef = sparse.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(arrays["shape"]))
            intercept = arrays["intercept"]
            memory = arrays["memory"].astype(np.float32)
            memory_labels = arrays["memory_labels"].astype(np.int64)
        meta = {k: v for k, v in description.items() if k not in ("classes", "weights", "thresholds", "blend")}
        return cls(
            classes=description["classes"], coef=coef, intercept=intercept, weights=FeatureWeights(**description["weights"]),
            thresholds=description["thresholds"], memory=memory, memory_labels=memory_labels, blend=description["blend"], meta=meta,
        )
