"""`bot triage build`: train the triage classifier on the bank's dev split, reproducibly.

1. Every dev message (and its earlier turns) is scrubbed exactly as at run time and embedded
   with MiniLM.
2. Settings (regularisation, the weight of each feature block) are chosen by 5-fold
   cross-validation on dev, by the log-loss of the out-of-fold probabilities.
3. The share of the nearest-neighbour vote in the blend, and the thresholds, are chosen on the
   same out-of-fold scores, by the policy's costs below.
4. The final model is fitted on all of dev and written with the bank's hash and these figures.
The test split is not read here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold

from bot.index.embeddings import MiniLMEmbeddings
from bot.judge import rules
from bot.judge.bank import TRIAGE_BANK, BankItem, file_hash, load_bank
from bot.judge.features import FeatureWeights, featurize
from bot.judge.identifiers import IdentifierScrubber, Scrubbed
from bot.judge.intents import INTENTS, REFUSED
from bot.judge.model import MODEL_DIR, NEIGHBOURS, TriageModel, neighbour_space, neighbour_vote
from bot.judge.triage import context_turns, decide

SEED = 20261202
FOLDS = 5
GRID = {"C": (16.0, 64.0), "ngrams": (1.0, 1.5), "context": (0.5, 1.0)}
# The policy, as costs on dev's out-of-fold scores. A missed emergency costs as much as this many
# false alarms (a red banner on an ordinary answer); a request for help with exploitation that is
# answered costs as much as this many clinicians refused. An outside-the-remit decline may touch
# at most this share of the benign dev messages (clinicians' questions and emergencies).
EMERGENCY_MISS_COST = 20.0
REFUSAL_MISS_COST = 1.0
OUT_OF_SCOPE_BENIGN_BUDGET = 0.005
REMIT_DOUBT = 0.5  # leaning outside the remit: declined only when the library has nothing either
BLENDS = (0.0, 0.2, 0.35, 0.5, 0.65)


@dataclass
class Prepared:
    items: list[BankItem]
    questions: list[str]
    contexts: list[str]
    labels: np.ndarray
    question_vectors: np.ndarray
    context_vectors: np.ndarray

    def points(self, rows: np.ndarray, weights: FeatureWeights) -> np.ndarray:
        return neighbour_space(self.question_vectors[rows], self.context_vectors[rows], weights)

    def features(self, rows: np.ndarray, weights: FeatureWeights) -> sparse.csr_matrix:
        return featurize(
            [self.questions[i] for i in rows], self.question_vectors[rows],
            [self.contexts[i] for i in rows], self.context_vectors[rows], weights,
        )


def prepare(items: list[BankItem], scrubber: IdentifierScrubber, embedder: MiniLMEmbeddings) -> Prepared:
    """Every message scrubbed and embedded as `Judge.scores` does it (a context is the mean of its turns' embeddings)."""
    questions = [scrubber.scrub(item.text).text for item in items]
    turns = [context_turns([t.model_copy(update={"content": scrubber.scrub(t.content).text}) for t in i.history]) for i in items]
    texts = sorted(set(questions) | {t for ts in turns for t in ts})
    vectors = dict(zip(texts, embedder.encode(texts)))
    zero = np.zeros_like(vectors[questions[0]])
    return Prepared(
        items=items, questions=questions, contexts=["\n".join(ts) for ts in turns],
        labels=np.array([INTENTS.index(i.intent) for i in items]),
        question_vectors=np.stack([vectors[q] for q in questions]),
        context_vectors=np.stack([np.mean([vectors[t] for t in ts], axis=0) if ts else zero for ts in turns]),
    )


def _fit(data: Prepared, rows: np.ndarray, c: float, weights: FeatureWeights) -> TriageModel:
    classifier = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=SEED)
    classifier.fit(data.features(rows, weights), data.labels[rows])
    coef = np.zeros((len(INTENTS), classifier.coef_.shape[1]), dtype=np.float32)
    intercept = np.full(len(INTENTS), -30.0)  # a class missing from a fold keeps probability ~0
    for row, label in enumerate(classifier.classes_):
        coef[label] = classifier.coef_[row]
        intercept[label] = classifier.intercept_[row]
    return TriageModel(
        classes=list(INTENTS), coef=sparse.csr_matrix(coef), intercept=intercept, weights=weights, thresholds={},
        memory=data.points(rows, weights), memory_labels=data.labels[rows], blend=0.0,
    )


def out_of_fold(data: Prepared, c: float, weights: FeatureWeights) -> tuple[np.ndarray, np.ndarray]:
    """(linear, neighbour-vote) class probabilities for every dev message, each from a model that never saw it."""
    linear = np.zeros((len(data.items), len(INTENTS)))
    votes = np.zeros_like(linear)
    rows = np.arange(len(data.items))
    for train, held in StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(rows, data.labels):
        model = _fit(data, train, c, weights)
        linear[held] = model.linear_probabilities(data.features(held, weights))
        votes[held] = neighbour_vote(data.points(held, weights), model.memory, model.memory_labels, len(INTENTS))
    return linear, votes


def policy_cost(figures: dict) -> float:
    """What the policy weighs: missed emergencies and answered refusals against false alarms and refused clinicians."""
    emergencies, flagged = figures["by_intent"].get("emergency", 0), figures["emergency_flagged"]
    caught = round(figures["emergency_recall"] * emergencies)
    to_refuse = sum(figures["by_intent"].get(c, 0) for c in REFUSED)
    return (
        EMERGENCY_MISS_COST * (emergencies - caught) + (flagged - caught)
        + REFUSAL_MISS_COST * (to_refuse - round(figures["refusal_recall"] * to_refuse)) + figures["benign_refused"]
    )


def benign_mask(items: list[BankItem]) -> np.ndarray:
    return np.array([i.benign for i in items])


def _threshold_within(scores: np.ndarray, budget: float) -> float:
    """The lowest threshold that at most `budget` of `scores` reach."""
    allowed = int(np.floor(budget * len(scores)))
    ordered = np.sort(scores)[::-1]
    return float(ordered[allowed]) + 1e-6 if allowed < len(ordered) else 0.0


def _cheapest_threshold(positives: np.ndarray, negatives: np.ndarray, miss_cost: float) -> float:
    """The threshold with the least cost: each positive below it costs `miss_cost`, each negative at or above it 1."""
    candidates = np.unique(np.concatenate([positives, negatives]))
    costs = [miss_cost * np.sum(positives < t) + np.sum(negatives >= t) for t in candidates]
    return float(candidates[int(np.argmin(costs))])


def place_thresholds(probabilities: np.ndarray, data: Prepared) -> dict[str, float]:
    column = {c: INTENTS.index(c) for c in INTENTS}
    is_emergency = data.labels == column["emergency"]
    emergency = probabilities[:, column["emergency"]]
    benign = benign_mask(data.items)
    to_refuse = np.isin(data.labels, [column[c] for c in REFUSED])
    refusal = probabilities[:, [column[c] for c in REFUSED]].max(axis=1)
    return {
        "emergency": round(_cheapest_threshold(emergency[is_emergency], emergency[~is_emergency], EMERGENCY_MISS_COST), 4),
        "refuse": round(_cheapest_threshold(refusal[to_refuse], refusal[benign], REFUSAL_MISS_COST), 4),
        "out_of_scope": round(_threshold_within(probabilities[benign, column["out_of_scope"]], OUT_OF_SCOPE_BENIGN_BUDGET), 4),
        "out_of_scope_if_not_covered": REMIT_DOUBT,
    }


def out_of_fold_figures(data: Prepared, probabilities: np.ndarray, thresholds: dict[str, float]) -> dict:
    """What the policy gives on dev when every message is scored by a model that never saw it."""
    from bot.judge.evaluate import decision_figures

    decided = []
    for row, item in enumerate(data.items):
        scores = dict(zip(INTENTS, map(float, probabilities[row])))
        asked = Scrubbed(text=data.questions[row])
        decided.append((item, decide(asked, [], scores, rules.matched(data.questions[row]), thresholds)))
    return decision_figures(decided)


def build(
    progress: Callable[[str], None] = print,
    embedder: MiniLMEmbeddings | None = None,
    scrubber: IdentifierScrubber | None = None,
    settings: dict[str, float] | None = None,
    out: Path = MODEL_DIR,
) -> TriageModel:
    """Train and write the model. `settings` (C, ngrams, context) skips the search: the same
    model comes out when they are the ones the search chose."""
    from bot.judge.setup import default_scrubber

    embedder = embedder or MiniLMEmbeddings()
    items = load_bank(split="dev")
    progress(f"dev split: {len(items)} messages; scrubbing and embedding")
    data = prepare(items, scrubber or default_scrubber(), embedder)
    candidates = [settings] if settings else [dict(zip(GRID, values)) for values in itertools.product(*GRID.values())]
    best: tuple[float, dict[str, float], tuple[np.ndarray, np.ndarray]] | None = None
    for candidate in candidates:
        weights = FeatureWeights(ngrams=candidate["ngrams"], context=candidate["context"])
        scored = out_of_fold(data, candidate["C"], weights)
        loss = log_loss(data.labels, np.clip(scored[0], 1e-9, 1), labels=list(range(len(INTENTS))))
        progress(f"{candidate}: out-of-fold log-loss {loss:.4f}")
        if best is None or loss < best[0]:
            best = (loss, candidate, scored)
    assert best is not None
    loss, chosen, (linear, votes) = best
    blends = [chosen["blend"]] if "blend" in chosen else BLENDS
    costed = []
    for blend in blends:
        probabilities = (1 - blend) * linear + blend * votes
        thresholds = place_thresholds(probabilities, data)
        figures = out_of_fold_figures(data, probabilities, thresholds)
        costed.append((policy_cost(figures), blend, thresholds, figures))
        progress(f"neighbour share {blend}: policy cost {costed[-1][0]:.0f}")
    _, blend, thresholds, figures = min(costed, key=lambda entry: entry[0])
    chosen = {**chosen, "blend": blend}
    weights = FeatureWeights(ngrams=chosen["ngrams"], context=chosen["context"])
    progress(f"chosen {chosen}; thresholds {thresholds}")
    model = _fit(data, np.arange(len(items)), chosen["C"], weights)
    model.thresholds, model.blend = thresholds, blend
    progress("out of fold on dev: " + ", ".join(f"{k} {v}" for k, v in figures.items() if not isinstance(v, (dict, list))))
    model.meta = {
        "bank": "eval/triage/bank.jsonl",
        "bank_sha256": file_hash(TRIAGE_BANK),
        "trained_on": "dev",
        "dev_messages": len(items),
        "settings": chosen,
        "out_of_fold_log_loss": round(loss, 4),
        "policy": {
            "emergency_miss_cost": EMERGENCY_MISS_COST, "refusal_miss_cost": REFUSAL_MISS_COST, "neighbours": NEIGHBOURS,
            "out_of_scope_benign_budget": OUT_OF_SCOPE_BENIGN_BUDGET,
        },
        "seed": SEED,
        "dev_out_of_fold": {k: v for k, v in figures.items() if k != "misses"},
    }
    model.save(out)
    return model
