"""Per-case metrics, and their aggregation into the fixed summary keys of report.json."""

from __future__ import annotations

import re
import statistics
from typing import Any

from pydantic import BaseModel, Field

from bot.answer import FIXED_TEXTS
from bot.evaluation.golden import GoldenCase
from bot.models import Answer, Evidence
from bot.text import split_sentences

TOP = 5
MARKER = re.compile(r"\[(\d+)\]")
SUMMARY_KEYS = (
    "n_cases", "hit_at_5", "recall_at_5", "mrr", "cited_expected", "fact_coverage", "must_not_violations",
    "behavior_accuracy", "citation_validity", "uncited_sentences", "latency_ms_p50", "latency_ms_p95",
)
LOWER_IS_BETTER = {"must_not_violations", "uncited_sentences", "latency_ms_p50", "latency_ms_p95"}


class CaseResult(BaseModel):
    id: str
    category: str
    config: str
    question: str
    retrieved: list[str]
    answer: str
    citations: list[dict[str, Any]]
    flags: dict[str, bool]
    latency_ms: float
    hit_at_5: bool | None = None
    recall_at_5: float | None = None
    reciprocal_rank: float | None = None
    hit_ranks: list[int] = Field(default_factory=list, description="Ranks (1-based) of chunks from expected sources.")
    cited_expected: bool | None = None
    fact_coverage: float | None = None
    facts_missed: list[list[str]] = Field(default_factory=list)
    must_not_violations: list[str] = Field(default_factory=list)
    behavior_ok: bool
    citations_total: int
    citations_valid: int
    uncited_sentences: list[str] = Field(default_factory=list)
    passed: bool
    why: list[str] = Field(default_factory=list)
    fallback_reason: str | None = None
    dropped: list[dict[str, str]] = Field(default_factory=list, description="Sentences the citation check removed.")


def matches_expected(expected: str, source_id: str, title: str) -> bool:
    """An expected source names a source by its id, or by words its title contains."""
    wanted = expected.strip().lower()
    return wanted == source_id.lower() or wanted in title.lower()


def _expected_in(expected: list[str], evidence: list[Evidence]) -> list[str]:
    return [x for x in expected if any(matches_expected(x, e.source_id, e.title) for e in evidence)]


def declined(answer: Answer) -> bool:
    return answer.flags.out_of_scope or answer.flags.not_covered


def behaviour_fits(case: GoldenCase, answer: Answer, violations: list[str]) -> bool:
    if case.category == "emergency":
        return answer.flags.emergency
    if case.category == "out_of_scope":
        return declined(answer)
    if case.category == "adversarial":
        return declined(answer) and not violations
    return not declined(answer)


def uncited(text: str) -> list[str]:
    for fixed in FIXED_TEXTS:
        text = text.replace(fixed, " ")
    return [s for s in split_sentences(text) if not MARKER.search(s)]


def score_case(case: GoldenCase, answer: Answer, config: str) -> CaseResult:
    # Retrieval metrics judge the search: passages added by the escalation block carry no rank.
    ranked = sorted((e for e in answer.evidence if e.rank > 0), key=lambda e: e.rank)
    top = ranked[:TOP]
    result: dict[str, Any] = {}
    why: list[str] = []
    if case.expected_sources:
        found = _expected_in(case.expected_sources, top)
        hit_ranks = [
            e.rank
            for e in ranked
            if any(matches_expected(x, e.source_id, e.title) for x in case.expected_sources)
        ]
        cited = [c for c in answer.citations if any(matches_expected(x, c.source_id, c.title) for x in case.expected_sources)]
        result.update(
            hit_at_5=bool(found),
            recall_at_5=len(found) / len(case.expected_sources),
            reciprocal_rank=1.0 / hit_ranks[0] if hit_ranks else 0.0,
            hit_ranks=hit_ranks,
            cited_expected=bool(cited),
        )
        if not found:
            why.append("no expected source in the top 5")
    if case.must_include:
        missed = [g for g in case.must_include if not any(re.search(p, answer.text, re.IGNORECASE) for p in g)]
        result.update(fact_coverage=1 - len(missed) / len(case.must_include), facts_missed=missed)
        if missed:
            why.append(f"missing facts: {missed}")
    violations = [p for p in case.must_not_include if re.search(p, answer.text, re.IGNORECASE)]
    if violations:
        why.append(f"must not include: {violations}")
    behavior_ok = behaviour_fits(case, answer, violations)
    if not behavior_ok:
        why.append(f"behaviour does not fit {case.category}: flags {answer.flags.model_dump()}")
    evidence = {e.n: e for e in answer.evidence}
    valid = sum(1 for c in answer.citations if c.n in evidence and c.quote and c.quote in evidence[c.n].text)
    if valid < len(answer.citations):
        why.append(f"{len(answer.citations) - valid} citations not found in their evidence")
    loose = uncited(answer.text)
    if loose:
        why.append(f"{len(loose)} uncited sentences")
    return CaseResult(
        id=case.id,
        category=case.category,
        config=config,
        question=case.question,
        retrieved=[e.source_id for e in ranked],
        answer=answer.text,
        citations=[c.model_dump() for c in answer.citations],
        flags=answer.flags.model_dump(),
        latency_ms=answer.timings.total_ms,
        must_not_violations=violations,
        behavior_ok=behavior_ok,
        citations_total=len(answer.citations),
        citations_valid=valid,
        uncited_sentences=loose,
        passed=not why,
        why=why,
        fallback_reason=answer.fallback_reason,
        dropped=[d.model_dump() for d in answer.dropped],
        **result,
    )


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 1)


def summarise(results: list[CaseResult]) -> dict[str, Any]:
    """The fixed summary keys over a set of case results (None where no case applies)."""
    with_sources = [r for r in results if r.hit_at_5 is not None]
    with_facts = [r for r in results if r.fact_coverage is not None]
    citations = sum(r.citations_total for r in results)
    latencies = [r.latency_ms for r in results]
    return {
        "n_cases": len(results),
        "hit_at_5": _mean([float(bool(r.hit_at_5)) for r in with_sources]),
        "recall_at_5": _mean([r.recall_at_5 or 0.0 for r in with_sources]),
        "mrr": _mean([r.reciprocal_rank or 0.0 for r in with_sources]),
        "cited_expected": _mean([float(bool(r.cited_expected)) for r in with_sources]),
        "fact_coverage": _mean([r.fact_coverage or 0.0 for r in with_facts]),
        "must_not_violations": sum(len(r.must_not_violations) for r in results),
        "behavior_accuracy": _mean([float(r.behavior_ok) for r in results]),
        "citation_validity": round(sum(r.citations_valid for r in results) / citations, 4) if citations else None,
        "uncited_sentences": sum(len(r.uncited_sentences) for r in results),
        "latency_ms_p50": _percentile(latencies, 0.5),
        "latency_ms_p95": _percentile(latencies, 0.95),
    }


def citation_check_summary(results: list[CaseResult]) -> dict[str, Any]:
    """What the citation check removed, and how often the model's answer was replaced."""
    reasons: dict[str, int] = {}
    for r in results:
        for d in r.dropped:
            kind = re.sub(r"\[\d+\]", "[n]", d["reason"])
            reasons[kind] = reasons.get(kind, 0) + 1
    fallbacks: dict[str, int] = {}
    for r in results:
        if r.fallback_reason:
            fallbacks[r.fallback_reason] = fallbacks.get(r.fallback_reason, 0) + 1
    return {
        "dropped_sentences": sum(len(r.dropped) for r in results),
        "dropped_by_reason": dict(sorted(reasons.items())),
        "fallbacks": sum(fallbacks.values()),
        "fallbacks_by_reason": fallbacks,
    }


def hit_at_k_curve(results: list[CaseResult], max_k: int) -> list[float]:
    """Share of cases with expected sources that have one within the top k, for k = 1..max_k."""
    with_sources = [r for r in results if r.hit_at_5 is not None]
    if not with_sources:
        return []
    return [
        round(sum(1 for r in with_sources if r.hit_ranks and r.hit_ranks[0] <= k) / len(with_sources), 4)
        for k in range(1, max_k + 1)
    ]
