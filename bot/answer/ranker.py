"""A learned order for the evidence's sentences: which of them state what the clinician asked.

The extractive answerer's first score is the sentence's cosine similarity to the question with a
small word-overlap bonus; it rewards a sentence about the publication ("The SAMHSA paper asks what
the key principles are") as much as the one that gives the principles. This logistic regression
re-scores each candidate sentence from that similarity, its rank among the candidates, its
passage's rank and place, its length, whether it holds a number when a number is asked for,
whether it talks about a publication when none was asked about, and its own words. It is trained
by `bot ranker build` on the golden set's dev split: a sentence is a positive when it states one
of the case's expected facts (`must_include`). The first score still decides "not covered".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction import FeatureHasher

from bot.hashed_logistic import fit_logistic, load_weights, probabilities, save_weights

RANKER_DIR = Path(__file__).parent / "data"
RANKER_STEM = "sentence-ranker"
_HASHER = FeatureHasher(n_features=2**16, alternate_sign=False)
_WORDS = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
# What a question asking for a number, a code or a contact tends to say, and how a sentence about
# a publication itself tends to read; both are features the regression weighs, not rules.
_ASKS_FOR_A_NUMBER = re.compile(r"(?i)\b(?:how many|how much|number|phone|call|ring|code|hotline|helpline|contact|figure|percent|statistic|how long|when|year)\b")
_ABOUT_A_PUBLICATION = re.compile(r"(?i)\b(?:paper|publication|report|toolkit|booklet|guide|document|sections?|chapter|published|authors?|issue)\b")


@dataclass(frozen=True)
class Scored:
    """What the ranker reads of one candidate sentence."""

    question: str
    sentence: str
    similarity: float
    first_score: float
    passage_number: int
    position: int


def sentence_features(candidate: Scored, rank: int) -> dict[str, float]:
    """`rank`: the sentence's place among the question's candidates by first score (0 = best)."""
    words = _WORDS.findall(candidate.sentence.lower())
    asked = set(_WORDS.findall(candidate.question.lower()))
    has_digit = bool(_DIGIT.search(candidate.sentence))
    features = {
        "similarity": candidate.similarity, "first_score": candidate.first_score,
        f"rank={min(rank, 9)}": 1.0, f"passage={min(candidate.passage_number, 6)}": 1.0,
        f"position={min(candidate.position, 5)}": 1.0, f"length={min(len(words) // 10, 5)}": 1.0,
        f"digit={has_digit}": 1.0, f"number_asked={bool(_ASKS_FOR_A_NUMBER.search(candidate.question))}_digit={has_digit}": 1.0,
        f"publication_asked={bool(_ABOUT_A_PUBLICATION.search(candidate.question))}_about_one="
        f"{bool(_ABOUT_A_PUBLICATION.search(candidate.sentence))}": 1.0,
        "opens=" + " ".join(words[:2]): 1.0,
        "shared_words": 0.2 * len(set(words) & asked),
    }
    for word in set(words) - asked:
        features["word=" + word] = 0.2
    return features


def ranked_features(candidates: list[Scored]) -> list[dict[str, float]]:
    order = sorted(range(len(candidates)), key=lambda i: -candidates[i].first_score)
    rank_of = {i: r for r, i in enumerate(order)}
    return [sentence_features(c, rank_of[i]) for i, c in enumerate(candidates)]


@dataclass
class SentenceRanker:
    coef: np.ndarray
    intercept: float
    meta: dict[str, Any] = field(default_factory=dict)

    def scores(self, candidates: list[Scored]) -> np.ndarray:
        """Each candidate's probability of stating what was asked."""
        return self.probabilities(ranked_features(candidates))

    def probabilities(self, rows: list[dict[str, float]]) -> np.ndarray:
        return probabilities(_HASHER.transform(rows), self.coef, self.intercept) if rows else np.zeros(0)

    def save(self, directory: Path = RANKER_DIR) -> None:
        save_weights(directory, RANKER_STEM, self.coef, {"intercept": self.intercept, **self.meta})

    @classmethod
    def load(cls, directory: Path = RANKER_DIR) -> "SentenceRanker":
        coef, description = load_weights(directory, RANKER_STEM, f"sentence ranker in {directory}: build it with `bot ranker build`")
        return cls(coef=coef, intercept=float(description.pop("intercept")), meta=description)


def fit(rows: list[dict[str, float]], labels: np.ndarray, seed: int) -> tuple[np.ndarray, float]:
    return fit_logistic(_HASHER.transform(rows), labels, seed)


def top_k_coverage(groups_met: list[list[list[bool]]], scores: list[np.ndarray], k: int) -> float:
    """Mean share of each case's expected facts stated by its k best-scored sentences (an
    approximation of the answer's fact coverage that needs no pipeline run)."""
    shares = []
    for met, score in zip(groups_met, scores):
        if not met:
            continue
        top = np.argsort(-score)[:k]
        shares.append(float(np.mean([any(met[i][g] for i in top) for g in range(len(met[0]))])))
    return round(float(np.mean(shares)), 4) if shares else 0.0


Progress = Callable[[str], None]
