"""`bot ranker build`: train the sentence ranker on the golden set's dev split, reproducibly.

For every dev case that is answered from the library and names its expected facts, the question
is scrubbed, retrieved and its candidate sentences gathered exactly as `Pipeline.answer` does; a
sentence is a positive when it states one of the case's facts. Five-fold cross-validation over the
cases reports how many of the expected facts the five best sentences state, by the first score
and by the ranker; the model is then fitted on every dev case. The test split is not read.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from bot.answer.extractive import ExtractiveAnswerer, scored
from bot.answer.ranker import RANKER_DIR, Progress, SentenceRanker, fit, ranked_features, top_k_coverage
from bot.evaluation.golden import load_golden
from bot.judge.bank import file_hash
from bot.models import region_named_in
from bot.pipeline import Pipeline
from bot.retrieve import standalone_query

SEED = 20261202
FOLDS = 5


def _case_rows(pipeline: Pipeline, golden: Path) -> tuple[list[list[dict[str, float]]], list[np.ndarray], list[list[list[bool]]], list[np.ndarray]]:
    answerer = ExtractiveAnswerer(pipeline.settings, pipeline.index.store)  # the first score only
    features, labels, groups_met, first_scores = [], [], [], []
    for case in load_golden(golden):
        if case.split != "dev" or case.category != "in_scope" or not case.must_include:
            continue
        asked = pipeline.judge.scrub(case.question).text
        query = standalone_query(asked, pipeline.scrubbed_history(case.history))
        region = case.region or pipeline.settings.region or region_named_in(case.question) or None
        retrieval = pipeline.retriever.retrieve(query, region=region)
        candidates = answerer._candidates(query, np.atleast_2d(retrieval.part_vectors), retrieval.evidence)
        if not candidates:
            continue
        met = [[any(re.search(a, c.sentence.text, re.IGNORECASE) for a in group) for group in case.must_include] for c in candidates]
        features.append(ranked_features([scored(query, c) for c in candidates]))
        labels.append(np.array([any(m) for m in met]))
        groups_met.append(met)
        first_scores.append(np.array([c.score for c in candidates]))
    return features, labels, groups_met, first_scores


def build_ranker(pipeline: Pipeline, golden: Path, progress: Progress = print, out: Path = RANKER_DIR) -> SentenceRanker:
    from sklearn.model_selection import KFold

    features, labels, groups_met, first_scores = _case_rows(pipeline, golden)
    progress(f"sentence ranker: {len(features)} dev cases, {sum(len(f) for f in features)} candidate sentences, "
             f"{int(sum(l.sum() for l in labels))} stating an expected fact")
    learned: list[np.ndarray] = [np.zeros(0)] * len(features)
    for train, held in KFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(np.arange(len(features))):
        coef, intercept = fit([r for i in train for r in features[i]], np.concatenate([labels[i] for i in train]), SEED)
        fold = SentenceRanker(coef=coef, intercept=intercept)
        for i in held:
            learned[i] = fold.probabilities(features[i])
    figures = {f"top_{k}": {"first_score": top_k_coverage(groups_met, first_scores, k), "ranker": top_k_coverage(groups_met, learned, k)} for k in (3, 5)}
    progress(f"  expected facts in the best sentences, out of fold: {figures}")
    coef, intercept = fit([r for f in features for r in f], np.concatenate(labels), SEED)
    ranker = SentenceRanker(coef=coef, intercept=intercept, meta={
        "golden": str(golden), "golden_sha256": file_hash(golden), "trained_on": "dev", "dev_cases": len(features),
        "seed": SEED, "dev_out_of_fold": figures,
    })
    ranker.save(out)
    return ranker

