"""The small logistic regressions we train over hashed features (the scrubber's name tagger, the
answer's sentence ranker): fitting them, scoring with them, and storing their weight vector as
npz (non-zero weights only, no pickle: loading runs no code) beside a json description."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from bot.errors import ConfigError


def fit_logistic(features: sparse.csr_matrix, labels: np.ndarray, seed: int) -> tuple[np.ndarray, float]:
    """(weights, intercept) of a balanced, L2-regularised logistic regression."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced", random_state=seed)
    model.fit(features, labels)
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


def probabilities(features: sparse.csr_matrix, coef: np.ndarray, intercept: float) -> np.ndarray:
    logits = np.asarray(features @ coef + intercept).ravel()
    return 1.0 / (1.0 + np.exp(-logits))


def save_weights(directory: Path, stem: str, coef: np.ndarray, description: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    used = np.flatnonzero(coef)
    np.savez_compressed(directory / f"{stem}.npz", index=used.astype(np.int32), weight=coef[used].astype(np.float32), size=np.array([coef.size]))
    (directory / f"{stem}.json").write_text(json.dumps(description, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_weights(directory: Path, stem: str, missing: str) -> tuple[np.ndarray, dict[str, Any]]:
    """(weights, description); `missing` completes "no … in DIRECTORY" when the files are absent."""
    npz_path, json_path = directory / f"{stem}.npz", directory / f"{stem}.json"
    if not npz_path.exists() or not json_path.exists():
        raise ConfigError(f"no {missing}")
    description = json.loads(json_path.read_text(encoding="utf-8"))
    with np.load(npz_path, allow_pickle=False) as arrays:
        coef = np.zeros(int(arrays["size"][0]), dtype=np.float64)
        coef[arrays["index"]] = arrays["weight"]
    return coef, description
