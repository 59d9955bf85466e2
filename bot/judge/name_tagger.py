"""A learned second opinion on names: which words of a message are a person's name.

The scrubber's cues, spaCy's recogniser and its rarity rules find most names; this classifier
looks at every word they leave and adds the ones its training says are names: a lower-case
"temitope is 28+4 weeks", a name that is also an English word, a name spaCy calls a place. It
reads what spaCy said of the word (when spaCy ran), how rare the word is, its shape, its
neighbours and their shapes. A logistic regression over hashed features, trained on the dev split
of the identifier bank (`eval/pii/bank.jsonl`) by `bot triage build`; its threshold is chosen
there by cross-validation, trading an identifier left against a kept detail lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction import FeatureHasher

from bot.hashed_logistic import fit_logistic, load_weights, probabilities, save_weights

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

    from bot.judge.bank import PiiItem
    from bot.judge.identifiers import IdentifierScrubber

TAGGER_STEM = "name-tagger"
_HASHER = FeatureHasher(n_features=2**18, alternate_sign=False)
_WORD = re.compile(r"^[^\W\d_][\w'’-]*$")
_BREAKS = {".", "!", "?", ":", ";", "\n", "(", "-", "/", "•", "*", '"', "'"}


def _shape(word: str) -> str:
    if not _WORD.match(word):
        return "punct"
    if word.isupper():
        return "XX"
    if word[:1].isupper():
        return "Xx"
    return "xx" if word.islower() else "mix"


def _neighbour(doc: "Doc", i: int) -> str:
    return doc[i].text if 0 <= i < len(doc) else "<edge>"


def word_features(token: "Token", recognised: bool, zipf: Callable[[str], float], not_a_name: Callable[[str], bool]) -> dict[str, float]:
    """What the tagger knows of one word: spaCy's view of it (when spaCy ran), its rarity and shape, its neighbours."""
    doc, i, word = token.doc, token.i, token.text
    previous, following = _neighbour(doc, i - 1), _neighbour(doc, i + 1)
    rarity = str(int(min(zipf(word.lower()), 7.0) * 2))
    entity = token.ent_type_ or "O"
    return {
        "bias": 1.0, f"recognised={recognised}": 1.0, f"entity={entity}": 1.0, f"iob={token.ent_iob_}{entity}": 1.0,
        f"rarity={rarity}": 1.0, f"shape={_shape(word)}": 1.0, f"rarity_shape={rarity}{_shape(word)}": 1.0,
        f"entity_rarity={entity}{rarity}": 1.0, f"opens={previous in _BREAKS or previous == '<edge>'}": 1.0,
        f"previous={previous.lower()}": 1.0, f"next={following.lower()}": 1.0,
        f"previous2={_neighbour(doc, i - 2).lower()}": 1.0, f"next2={_neighbour(doc, i + 2).lower()}": 1.0,
        f"previous_shape={_shape(previous)}": 1.0, f"next_shape={_shape(following)}": 1.0,
        f"suffix={word[-3:].lower()}": 1.0, f"non_ascii={any(ord(c) > 127 for c in word)}": 1.0,
        f"listed_not_a_name={not_a_name(word)}": 1.0, f"next_is_number={following[:1].isdigit()}": 1.0,
        f"after_placeholder={previous.startswith('[')}": 1.0,
    }


def candidate_words(doc: "Doc") -> list["Token"]:
    """Words that could be a name: letters only, not a placeholder a pattern left."""
    words = []
    for token in doc:
        if not _WORD.match(token.text):
            continue
        if token.i and doc[token.i - 1].text == "[" and token.i + 1 < len(doc) and doc[token.i + 1].text == "]":
            continue
        words.append(token)
    return words


def featurize(rows: list[dict[str, float]]) -> sparse.csr_matrix:
    return _HASHER.transform(rows).tocsr()


@dataclass
class NameTagger:
    coef: np.ndarray  # one weight per hashed feature
    intercept: float
    threshold: float
    meta: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, rows: list[dict[str, float]]) -> np.ndarray:
        return probabilities(featurize(rows), self.coef, self.intercept) if rows else np.zeros(0)

    def names(self, doc: "Doc", recognised: bool, zipf: Callable[[str], float], not_a_name: Callable[[str], bool]) -> list[tuple[int, int]]:
        """(start, end) of each word the tagger takes for a name."""
        words = candidate_words(doc)
        scores = self.probabilities([word_features(w, recognised, zipf, not_a_name) for w in words])
        return [(w.idx, w.idx + len(w.text)) for w, p in zip(words, scores) if p >= self.threshold]

    def save(self, directory: Path) -> None:
        save_weights(directory, TAGGER_STEM, self.coef, {"intercept": self.intercept, "threshold": self.threshold, **self.meta})

    @classmethod
    def load(cls, directory: Path) -> "NameTagger":
        coef, description = load_weights(directory, TAGGER_STEM, f"name tagger in {directory}: build it with `bot triage build`")
        meta = {k: v for k, v in description.items() if k not in ("intercept", "threshold")}
        return cls(coef=coef, intercept=float(description["intercept"]), threshold=float(description["threshold"]), meta=meta)


# The policy the threshold is chosen by: an identifier left in costs as much as this many kept
# details (a place, a dose, a service's name) lost.
IDENTIFIER_LEFT_COST = 3.0
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99)
FOLDS = 5


def _labelled_words(items: list["PiiItem"], scrubber: "IdentifierScrubber") -> tuple[list[dict[str, float]], np.ndarray, np.ndarray]:
    """Every candidate word of every dev text, with its features, whether it is (part of) an
    annotated name, and the item it came from."""
    rows: list[dict[str, float]] = []
    labels, owners = [], []
    for number, item in enumerate(items):
        names = {w for i in item.identifiers if i.kind == "name" for w in re.findall(r"[^\W\d_][\w'’-]*", i.text)}
        for text in [item.text, *(t.content for t in item.history)]:
            doc, recognised = scrubber.name_inputs(text)
            for word in candidate_words(doc):
                rows.append(word_features(word, recognised, scrubber.zipf, scrubber.not_a_name))
                labels.append(word.text in names)
                owners.append(number)
    return rows, np.array(labels), np.array(owners)


def build_name_tagger(
    items: list["PiiItem"], scrubber: "IdentifierScrubber", seed: int, progress: Callable[[str], None] = print
) -> NameTagger:
    """Train on the identifier bank's dev items; choose the threshold by 5-fold cross-validation
    (each fold's items scrubbed with a tagger that never saw them), by the cost above."""
    from sklearn.model_selection import KFold

    from bot.judge.evaluate import identifier_figures

    rows, labels, owners = _labelled_words(items, scrubber)
    features = featurize(rows)
    progress(f"name tagger: {len(labels)} words of {len(items)} dev items, {int(labels.sum())} of them names")
    totals = {t: [0, 0] for t in (*THRESHOLDS, 2.0)}  # 2.0: the tagger adds nothing
    for train, held in KFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(np.arange(len(items))):
        coef, intercept = fit_logistic(features[np.isin(owners, train)], labels[np.isin(owners, train)], seed)
        for threshold in totals:
            tagged = scrubber.with_tagger(NameTagger(coef=coef, intercept=intercept, threshold=threshold))
            figures = identifier_figures(tagged, [items[i] for i in held])
            totals[threshold][0] += figures["identifiers_left"]
            totals[threshold][1] += figures["keeps_lost"]
    costs = {t: IDENTIFIER_LEFT_COST * left + lost for t, (left, lost) in totals.items()}
    for threshold, (left, lost) in totals.items():
        progress(f"  threshold {threshold}: identifiers left {left}, kept details lost {lost}, cost {costs[threshold]:.0f}")
    chosen = min(costs, key=lambda t: (costs[t], -t))
    coef, intercept = fit_logistic(features, labels, seed)
    return NameTagger(
        coef=coef, intercept=intercept, threshold=chosen,
        meta={
            "trained_on": "dev", "dev_items": len(items), "identifier_left_cost": IDENTIFIER_LEFT_COST,
            "dev_out_of_fold": {str(t): {"identifiers_left": left, "keeps_lost": lost} for t, (left, lost) in totals.items()},
        },
    )
