"""`bot triage build`: train the triage classifier on the bank's dev split, reproducibly.

0. The scrubber's name tagger is trained on the identifier bank's dev split (`name_tagger`).
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
from bot.judge.bank import PII_BANK, TRIAGE_BANK, BankItem, file_hash, load_bank, load_pii_bank
from bot.judge.features import FeatureWeights, feature_blocks, featurize
from bot.judge.identifiers import IdentifierScrubber, Scrubbed
from bot.judge.intents import INTENTS, REFUSED
from bot.judge.model import MODEL_DIR, NEIGHBOURS, TriageModel, neighbour_space, neighbour_vote
from bot.judge.name_tagger import build_name_tagger
from bot.judge.triage import CARRIED_EMERGENCY, CONTEXT_TURNS, context_turns, decide

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
class Inputs:
    """What the classifier reads of a set of messages: their text, their context, both embedded."""

    questions: list[str]
    contexts: list[str]
    question_vectors: np.ndarray
    context_vectors: np.ndarray

    def rows(self, rows: np.ndarray) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
        return [self.questions[i] for i in rows], self.question_vectors[rows], [self.contexts[i] for i in rows], self.context_vectors[rows]


@dataclass
class Prepared:
    items: list[BankItem]
    labels: np.ndarray
    asked: Inputs  # each message, read with the clinician's turns before it
    previous: Inputs  # each message's previous clinician turn, read the same way (empty without history)
    has_previous: np.ndarray

    @property
    def questions(self) -> list[str]:
        return self.asked.questions

    def points(self, rows: np.ndarray, weights: FeatureWeights, inputs: Inputs | None = None) -> np.ndarray:
        _, question_vectors, _, context_vectors = (inputs or self.asked).rows(rows)
        return neighbour_space(question_vectors, context_vectors, weights)

    def features(self, rows: np.ndarray, weights: FeatureWeights) -> sparse.csr_matrix:
        return featurize(*self.asked.rows(rows), weights)

    def blocks(self, rows: np.ndarray, weights: FeatureWeights, inputs: Inputs | None = None) -> list[np.ndarray | sparse.csr_matrix]:
        return feature_blocks(*(inputs or self.asked).rows(rows), weights)


def prepare(items: list[BankItem], scrubber: IdentifierScrubber, embedder: MiniLMEmbeddings) -> Prepared:
    """Every message scrubbed and embedded as `Judge.scores` does it (a context is the mean of its
    turns' embeddings), and its previous clinician turn as `Judge.carried_scores` reads it."""
    questions = [scrubber.scrub(item.text).text for item in items]
    turns = [context_turns([t.model_copy(update={"content": scrubber.scrub(t.content).text}) for t in i.history]) for i in items]
    # The previous turn's own context is the clinician's turns before it (context_turns of the history up to it).
    user_turns = [[scrubber.scrub(t.content).text for t in i.history if t.role == "user"] for i in items]
    previous = [u[-1] if u else "" for u in user_turns]
    previous_turns = [u[:-1][-CONTEXT_TURNS:] for u in user_turns]
    texts = sorted(set(questions) | set(previous) | {t for ts in turns + previous_turns for t in ts})
    vectors = dict(zip(texts, embedder.encode(texts)))
    zero = np.zeros_like(vectors[questions[0]])

    def mean(ts: list[str]) -> np.ndarray:
        return np.mean([vectors[t] for t in ts], axis=0) if ts else zero

    return Prepared(
        items=items, labels=np.array([INTENTS.index(i.intent) for i in items]),
        asked=Inputs(
            questions=questions, contexts=["\n".join(ts) for ts in turns],
            question_vectors=np.stack([vectors[q] for q in questions]), context_vectors=np.stack([mean(ts) for ts in turns]),
        ),
        previous=Inputs(
            questions=previous, contexts=["\n".join(ts) for ts in previous_turns],
            question_vectors=np.stack([vectors[q] if q else zero for q in previous]),
            context_vectors=np.stack([mean(ts) for ts in previous_turns]),
        ),
        has_previous=np.array([bool(u) for u in user_turns]),
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


@dataclass
class Scored:
    """Out-of-fold class probabilities for every dev message, each from a model that never saw it:
    the regression and the neighbour vote, for the message and for its previous turn."""

    linear: np.ndarray
    votes: np.ndarray
    previous_linear: np.ndarray
    previous_votes: np.ndarray

    def blended(self, blend: float, has_previous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        previous = (1 - blend) * self.previous_linear + blend * self.previous_votes
        previous[~has_previous] = 0.0
        return (1 - blend) * self.linear + blend * self.votes, previous


def out_of_fold(data: Prepared, c: float, weights: FeatureWeights) -> Scored:
    shape = (len(data.items), len(INTENTS))
    scored = Scored(*(np.zeros(shape) for _ in range(4)))
    rows = np.arange(len(data.items))
    for train, held in StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(rows, data.labels):
        model = _fit(data, train, c, weights)
        for inputs, linear, votes in ((data.asked, scored.linear, scored.votes), (data.previous, scored.previous_linear, scored.previous_votes)):
            linear[held] = model.linear_probabilities(data.blocks(held, weights, inputs))
            votes[held] = neighbour_vote(data.points(held, weights, inputs), model.memory, model.memory_labels, len(INTENTS))
    return scored


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


def _cheapest_carry_threshold(flagged: np.ndarray, carried: np.ndarray, positive: np.ndarray, miss_cost: float) -> float:
    """The threshold on the previous turn's score that costs least on top of the flags already raised."""
    candidates = np.unique(carried[positive & ~flagged])
    if not len(candidates):
        return 2.0  # nothing left to catch: never carried
    costs = [miss_cost * np.sum(positive & ~flagged & (carried < t)) + np.sum(~positive & ~flagged & (carried >= t)) for t in candidates]
    return float(candidates[int(np.argmin(costs))])


def place_thresholds(probabilities: np.ndarray, previous: np.ndarray, data: Prepared) -> dict[str, float]:
    column = {c: INTENTS.index(c) for c in INTENTS}
    is_emergency = data.labels == column["emergency"]
    emergency = probabilities[:, column["emergency"]]
    benign = benign_mask(data.items)
    to_refuse = np.isin(data.labels, [column[c] for c in REFUSED])
    refusal = probabilities[:, [column[c] for c in REFUSED]].max(axis=1)
    emergency_threshold = _cheapest_threshold(emergency[is_emergency], emergency[~is_emergency], EMERGENCY_MISS_COST)
    carried = _cheapest_carry_threshold(emergency >= emergency_threshold, previous[:, column["emergency"]], is_emergency, EMERGENCY_MISS_COST)
    return {
        "emergency": round(emergency_threshold, 4),
        CARRIED_EMERGENCY: round(max(carried, 0.5), 4),  # never below an even chance: the question asked now comes first
        "refuse": round(_cheapest_threshold(refusal[to_refuse], refusal[benign], REFUSAL_MISS_COST), 4),
        "out_of_scope": round(_threshold_within(probabilities[benign, column["out_of_scope"]], OUT_OF_SCOPE_BENIGN_BUDGET), 4),
        "out_of_scope_if_not_covered": REMIT_DOUBT,
    }


def out_of_fold_figures(data: Prepared, probabilities: np.ndarray, previous: np.ndarray, thresholds: dict[str, float]) -> dict:
    """What the policy gives on dev when every message is scored by a model that never saw it."""
    from bot.judge.evaluate import decision_figures

    decided = []
    for row, item in enumerate(data.items):
        scores = dict(zip(INTENTS, map(float, probabilities[row])))
        carried = dict(zip(INTENTS, map(float, previous[row]))) if data.has_previous[row] else {}
        asked = Scrubbed(text=data.questions[row])
        decided.append((item, decide(asked, [], scores, rules.matched(data.questions[row]), thresholds, carried)))
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
    # The name tagger first: the classifier is trained on text scrubbed as at run time, tagger included.
    untagged = (scrubber or default_scrubber(tagger_dir=None)).with_tagger(None)
    tagger = build_name_tagger(load_pii_bank(split="dev"), untagged, SEED, progress)
    tagger.meta |= {"bank": "eval/pii/bank.jsonl", "bank_sha256": file_hash(PII_BANK), "seed": SEED}
    tagger.save(out)
    progress(f"name tagger written: threshold {tagger.threshold}")
    items = load_bank(split="dev")
    progress(f"dev split: {len(items)} messages; scrubbing and embedding")
    data = prepare(items, untagged.with_tagger(tagger), embedder)
    candidates = [settings] if settings else [dict(zip(GRID, values)) for values in itertools.product(*GRID.values())]
    best: tuple[float, dict[str, float], Scored] | None = None
    for candidate in candidates:
        weights = FeatureWeights(ngrams=candidate["ngrams"], context=candidate["context"])
        scored = out_of_fold(data, candidate["C"], weights)
        loss = log_loss(data.labels, np.clip(scored.linear, 1e-9, 1), labels=list(range(len(INTENTS))))
        progress(f"{candidate}: out-of-fold log-loss {loss:.4f}")
        if best is None or loss < best[0]:
            best = (loss, candidate, scored)
    assert best is not None
    loss, chosen, scored = best
    blends = [chosen["blend"]] if "blend" in chosen else BLENDS
    costed = []
    for blend in blends:
        probabilities, previous = scored.blended(blend, data.has_previous)
        thresholds = place_thresholds(probabilities, previous, data)
        figures = out_of_fold_figures(data, probabilities, previous, thresholds)
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
