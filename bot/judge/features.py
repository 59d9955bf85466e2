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


def featurize(
    questions: list[str], question_vectors: np.ndarray, contexts: list[str], context_vectors: np.ndarray, weights: FeatureWeights
) -> sparse.csr_matrix:
    """One row per message: [question: embedding | word n-grams | char n-grams | cues | context: embedding | cues]."""
    blocks = [
        sparse.csr_matrix(np.asarray(question_vectors, dtype=np.float32) * weights.embedding),
        _WORDS.transform(questions).astype(np.float32) * weights.ngrams,
        _CHARS.transform(questions).astype(np.float32) * weights.ngrams,
        sparse.csr_matrix(cue_matrix(questions) * weights.cues),
        sparse.csr_matrix(np.asarray(context_vectors, dtype=np.float32) * weights.context),
        sparse.csr_matrix(cue_matrix(contexts) * weights.cues * weights.context),
    ]
    return sparse.hstack(blocks, format="csr")
