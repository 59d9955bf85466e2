"""What the triage classifier sees of a message.

The question itself: its MiniLM embedding (meaning), hashed word and character n-grams (wording,
typos, shorthand) and the cues of `cues` (who asks, what for, when). Its context, the
clinician's earlier turns: their embedding and cues, in a block of their own, so that a request
made earlier in the conversation counts without drowning the question asked now. Hashing needs no
stored vocabulary, so the same features come out at build time and at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from bot.judge.cues import cue_matrix

HASH_BITS = 16
_WORDS = HashingVectorizer(
    analyzer="word", ngram_range=(1, 2), n_features=2**HASH_BITS, alternate_sign=False, norm="l2",
    token_pattern=r"(?u)\b\w+\b", lowercase=True,
)
_CHARS = HashingVectorizer(
    analyzer="char_wb", ngram_range=(2, 5), n_features=2**HASH_BITS, alternate_sign=False, norm="l2", lowercase=True,
)


@dataclass(frozen=True)
class FeatureWeights:
    """How much each block counts; chosen on the bank's dev split (`bot triage build`)."""

    embedding: float = 1.0
    ngrams: float = 1.0
    cues: float = 1.0
    context: float = 0.5


def feature_blocks(
    questions: list[str], question_vectors: np.ndarray, contexts: list[str], context_vectors: np.ndarray, weights: FeatureWeights
) -> list[np.ndarray | sparse.csr_matrix]:
    """The row blocks, weighted, in column order: [question: embedding | word n-grams | char n-grams | cues |
    context: embedding | cues]. Dense blocks stay dense, so a single message is scored without joining them."""
    return [
        np.asarray(question_vectors, dtype=np.float32) * weights.embedding,
        _WORDS.transform(questions).astype(np.float32) * weights.ngrams,
        _CHARS.transform(questions).astype(np.float32) * weights.ngrams,
        cue_matrix(questions) * weights.cues,
        np.asarray(context_vectors, dtype=np.float32) * weights.context,
        cue_matrix(contexts) * weights.cues * weights.context,
    ]


def featurize(
    questions: list[str], question_vectors: np.ndarray, contexts: list[str], context_vectors: np.ndarray, weights: FeatureWeights
) -> sparse.csr_matrix:
    """One row per message, the blocks of `feature_blocks` side by side (what the regression is trained on)."""
    blocks = feature_blocks(questions, question_vectors, contexts, context_vectors, weights)
    return sparse.hstack([sparse.csr_matrix(b) for b in blocks], format="csr")
