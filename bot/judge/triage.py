"""Triage: what kind of message this is, decided before anything is searched.

Identifiers come out first; then the trained classifier scores the question together with the
clinician's earlier turns (a request can arrive through the history), and the supplementary rules
may add an intent. Emergencies are flagged on a low threshold (a false
alarm costs a red banner, a miss can cost a life); a refusal needs its class's threshold; the
classifier's "outside the remit" is only a decline when it is confident, and otherwise a hint for
a question the library does not cover.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bot.index.embeddings import DIMENSIONS, MiniLMEmbeddings
from bot.judge import replies, rules
from bot.judge.identifiers import IdentifierScrubber, Scrubbed
from bot.judge.intents import REFUSED, Intent
from bot.judge.model import TriageModel
from bot.models import Turn

CONTEXT_TURNS = 3  # the clinician's last turns read together with the question
CARRIED_EMERGENCY = "emergency_carried"  # the threshold for danger described in the previous turn
REPLY_OF = {
    Intent.EXPLOITER.value: replies.REFUSAL_TEXT,
    Intent.VERDICT.value: replies.VERDICT_TEXT,
    Intent.PROBE.value: replies.HIDDEN_CONFIG_TEXT,
}


@dataclass
class Triage:
    asked: Scrubbed
    history: list[Turn]
    emergency: bool
    refused: str | None = None  # exploiter, verdict or probe
    out_of_scope: bool = False  # confidently outside the remit
    remit_doubtful: bool = False  # leans outside the remit: decline only if the library has nothing either
    scores: dict[str, float] = field(default_factory=dict)
    carried: dict[str, float] = field(default_factory=dict)  # the clinician's previous turn, scored as a question
    rules: set[str] = field(default_factory=set)

    @property
    def reply(self) -> str | None:
        return REPLY_OF.get(self.refused or "")

    @property
    def intent(self) -> str:
        if self.refused:
            return self.refused
        if self.emergency:
            return Intent.EMERGENCY.value
        return Intent.OUT_OF_SCOPE.value if self.out_of_scope else Intent.IN_SCOPE.value


def context_turns(history: list[Turn]) -> list[str]:
    """The clinician's last turns before the question (assistant turns are ours, not evidence of intent)."""
    return [t.content for t in history if t.role == "user"][-CONTEXT_TURNS:]


def context_text(history: list[Turn]) -> str:
    return "\n".join(context_turns(history))


def context_vector(turns: list[str], embedder: MiniLMEmbeddings) -> np.ndarray:
    """The mean of the turns' embeddings: each earlier turn was embedded when it was asked, so
    this costs no new embedding in a conversation (zeros with no history)."""
    if not turns:
        return np.zeros(DIMENSIONS, dtype=np.float32)
    return embedder.encode(turns).mean(axis=0)


class Judge:
    def __init__(self, embedder: MiniLMEmbeddings, scrubber: IdentifierScrubber, model: TriageModel | None = None) -> None:
        self.embedder = embedder
        self.scrubber = scrubber
        self.model = model or TriageModel.load()

    def scrub(self, text: str) -> Scrubbed:
        return self.scrubber.scrub(text)

    def scrubbed_history(self, history: list[Turn]) -> list[Turn]:
        return [turn.model_copy(update={"content": self.scrub(turn.content).text}) for turn in history]

    def scores(self, question: str, history: list[Turn]) -> dict[str, float]:
        """Each intent's probability for the question in its conversation."""
        turns = context_turns(history)
        vector = self.embedder.encode([question])
        context = context_vector(turns, self.embedder)[None, :]
        probabilities = self.model.probabilities([question], vector, ["\n".join(turns)], context)[0]
        return {c: float(p) for c, p in zip(self.model.classes, probabilities)}

    def carried_scores(self, history: list[Turn]) -> dict[str, float]:
        """The clinician's previous turn scored as the question it was, with the turns before it:
        danger described there still stands when the next message only asks "what now?"."""
        users = [i for i, turn in enumerate(history) if turn.role == "user"]
        if not users:
            return {}
        return self.scores(history[users[-1]].content, history[:users[-1]])

    def triage(self, question: str, history: list[Turn]) -> Triage:
        asked = self.scrub(question)
        turns = self.scrubbed_history(history)
        scores = self.scores(asked.text, turns)
        carried = self.carried_scores(turns) if CARRIED_EMERGENCY in self.model.thresholds else {}
        return decide(asked, turns, scores, rules.matched(asked.text), self.model.thresholds, carried)


def decide(
    asked: Scrubbed, history: list[Turn], scores: dict[str, float], fired: set[str], thresholds: dict[str, float],
    carried: dict[str, float] | None = None,
) -> Triage:
    """The decision from the classifier's scores (the question's, and its previous turn's), the rules that fired and the thresholds."""
    carried = carried or {}
    emergency = (
        scores[Intent.EMERGENCY.value] >= thresholds[Intent.EMERGENCY.value]
        or carried.get(Intent.EMERGENCY.value, 0.0) >= thresholds.get(CARRIED_EMERGENCY, 2.0)
        or Intent.EMERGENCY.value in fired
    )
    refused = None
    if max(scores[c] for c in REFUSED) >= thresholds["refuse"] or fired & set(REFUSED):
        refused = max(REFUSED, key=lambda c: (c in fired, scores[c]))
    undecided = not emergency and not refused
    oos = scores[Intent.OUT_OF_SCOPE.value]
    return Triage(
        asked=asked, history=history, emergency=emergency, refused=refused,
        out_of_scope=undecided and oos >= thresholds[Intent.OUT_OF_SCOPE.value],
        remit_doubtful=undecided and oos >= thresholds["out_of_scope_if_not_covered"],
        scores={k: round(v, 4) for k, v in scores.items()}, carried={k: round(v, 4) for k, v in carried.items()}, rules=fired,
    )
