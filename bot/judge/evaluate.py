"""`bot triage eval`: the figures the judgement layer reaches on a bank split.

Report keys (fixed, other tools read them), per split:
    messages, by_intent                      counts
    emergency_recall, emergency_precision    flags.emergency against the emergency label
    refusal_recall                           exploiter + verdict + probe messages refused
    refusal_recall_by_intent                 the same, per intent
    benign_refused                           clinicians' messages (in scope, or an emergency) refused (a count)
    hard_negatives_refused                   of those, hard negatives (a count)
    out_of_scope_declined                    out-of-scope messages declined by triage alone
    in_scope_declined_out_of_scope           in-scope or emergency messages declined as outside the remit (a count)
    identifiers_left, identifiers, keeps_lost, keeps    the scrubber on the identifier bank
    misses                                   every wrong decision, with its message (for reading; test only)
    triage_measured                          how: dev figures are the build's out-of-fold ones, test is held out
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from bot.judge.bank import PII_BANK, TRIAGE_BANK, BankItem, PiiItem, Split, load_bank, load_pii_bank
from bot.judge.identifiers import IdentifierScrubber
from bot.judge.intents import REFUSED
from bot.judge.triage import Judge, Triage

LOWER_IS_BETTER = {"benign_refused", "hard_negatives_refused", "in_scope_declined_out_of_scope", "identifiers_left", "keeps_lost"}


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def triage_figures(judge: Judge, items: list[BankItem]) -> dict[str, Any]:
    return decision_figures([(item, judge.triage(item.text, item.history)) for item in items])


def decision_figures(decided: list[tuple[BankItem, Triage]]) -> dict[str, Any]:
    items = [item for item, _ in decided]
    flagged = [(i, t) for i, t in decided if t.emergency]
    emergencies = [(i, t) for i, t in decided if i.intent == "emergency"]
    to_refuse = [(i, t) for i, t in decided if i.intent in REFUSED]
    benign = [(i, t) for i, t in decided if i.benign]
    outside = [(i, t) for i, t in decided if i.intent == "out_of_scope"]
    misses = []
    for item, t in decided:
        wrong = (
            (item.intent == "emergency" and not t.emergency)
            or (item.intent in REFUSED and not t.refused)
            or (item.benign and (t.refused or t.out_of_scope))
            or (item.intent == "out_of_scope" and not t.out_of_scope)
        )
        if wrong:
            misses.append({
                "id": item.id, "intent": item.intent, "decided": t.intent, "emergency": t.emergency,
                "text": t.asked.text, "history": [h.content for h in t.history], "scores": t.scores,
                "rules": sorted(t.rules),
            })
    return {
        "messages": len(items),
        "by_intent": dict(sorted(Counter(i.intent for i in items).items())),
        "emergency_recall": _ratio(sum(t.emergency for _, t in emergencies), len(emergencies)),
        "emergency_precision": _ratio(sum(i.intent == "emergency" for i, _ in flagged), len(flagged)),
        "emergency_flagged": len(flagged),
        "refusal_recall": _ratio(sum(bool(t.refused) for _, t in to_refuse), len(to_refuse)),
        "refusal_recall_by_intent": {
            intent: _ratio(sum(bool(t.refused) for i, t in to_refuse if i.intent == intent), sum(i.intent == intent for i, _ in to_refuse))
            for intent in REFUSED
        },
        "benign_refused": sum(bool(t.refused) for _, t in benign),
        "hard_negatives_refused": sum(bool(t.refused) for i, t in benign if i.hard_negative),
        "out_of_scope_declined": _ratio(sum(t.out_of_scope or bool(t.refused) for _, t in outside), len(outside)),
        "in_scope_declined_out_of_scope": sum(t.out_of_scope for _, t in benign),
        "misses": misses,
    }


def identifier_figures(scrubber: IdentifierScrubber, items: list[PiiItem]) -> dict[str, Any]:
    left, total, lost, keeps = [], 0, [], 0
    by_kind: Counter[str] = Counter()
    left_by_kind: Counter[str] = Counter()
    for item in items:
        cleaned = "\n".join([scrubber.scrub(item.text).text, *(scrubber.scrub(t.content).text for t in item.history)])
        for identifier in item.identifiers:
            total += 1
            by_kind[identifier.kind] += 1
            if identifier.text in cleaned:
                left.append({"id": item.id, "kind": identifier.kind, "identifier": identifier.text, "scrubbed": cleaned})
                left_by_kind[identifier.kind] += 1
        for keep in item.keep:
            keeps += 1
            if keep not in cleaned:
                lost.append({"id": item.id, "keep": keep, "scrubbed": cleaned})
    return {
        "identifiers": total,
        "identifiers_left": len(left),
        "identifier_recall_by_kind": {k: _ratio(n - left_by_kind[k], n) for k, n in sorted(by_kind.items())},
        "keeps": keeps,
        "keeps_lost": len(lost),
        "identifiers_left_examples": left,
        "keeps_lost_examples": lost,
    }


def evaluate_other_bank(judge: Judge, bank: Path) -> dict[str, Any]:
    """Triage figures over every message of another bank (a held-out set written in other voices)."""
    figures = triage_figures(judge, load_bank(bank)) | {"triage_measured": f"{bank.name}, never used in training or tuning"}
    return {"model": judge.model.meta | {"thresholds": judge.model.thresholds}, "splits": {"all": figures}}


def evaluate(
    judge: Judge, splits: list[Split], bank: Path = TRIAGE_BANK, pii_bank: Path = PII_BANK
) -> dict[str, Any]:
    report: dict[str, Any] = {"model": judge.model.meta | {"thresholds": judge.model.thresholds}, "splits": {}}
    for split in splits:
        if split == "dev" and "dev_out_of_fold" in judge.model.meta:
            # The model was trained on dev: its honest dev figures are the out-of-fold ones the build measured.
            figures = dict(judge.model.meta["dev_out_of_fold"]) | {"triage_measured": "out of fold (5-fold cross-validation on dev)"}
        else:
            figures = triage_figures(judge, load_bank(bank, split)) | {"triage_measured": f"{split} split, unseen in training"}
        figures.update(identifier_figures(judge.scrubber, load_pii_bank(pii_bank, split)))
        tagger = judge.scrubber.tagger
        if split == "dev" and tagger is not None and "dev_out_of_fold" in tagger.meta:
            # The name tagger was trained on dev: its honest dev figures are its cross-validated ones.
            figures.update(tagger.meta["dev_out_of_fold"][str(tagger.threshold)])
            figures["identifiers_measured"] = "out of fold (5-fold cross-validation of the name tagger on dev)"
        report["splits"][split] = figures
    return report


def gate_failures(figures: dict[str, Any], minimums: dict[str, float], maximums: dict[str, float]) -> list[str]:
    failures = []
    for name, floor in minimums.items():
        value = figures.get(name)
        if value is None or value < floor:
            failures.append(f"{name} = {value}, below the minimum {floor}")
    for name, ceiling in maximums.items():
        value = figures.get(name)
        if value is None or value > ceiling:
            failures.append(f"{name} = {value}, above the maximum {ceiling}")
    return failures
