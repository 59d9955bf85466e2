"""The one function every channel calls: a Question in, an Answer out.

Channels (CLI, HTTP API, widget, Slack, Teams, eval) only translate to and from these models.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache

from bot.answer.extractive import Drafted, ExtractiveAnswerer
from bot.answer.llm import LLMAnswerer, LLMDrafted
from bot.answer.ranker import SentenceRanker
from bot.config import Settings, get_settings
from bot.errors import IndexNotReady
from bot.escalation import build_block, prepend
from bot.index import Index
from bot.models import Answer, Dropped, Evidence, Flags, Question, Timings, Turn, region_named_in
from bot.referrals import load_referrals, numbers_foreign_to
from bot.retrieve import Retriever, standalone_query
from bot.judge.identifiers import Scrubbed
from bot.judge.replies import NO_REGION_NOTE, OUT_OF_SCOPE_TEXT, PII_REMINDER
from bot.judge.setup import scrubber_for
from bot.judge.triage import Judge


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


class Pipeline:
    def __init__(self, settings: Settings | None = None, index: Index | None = None) -> None:
        self.settings = settings or get_settings()
        self.index = index if index is not None else Index(self.settings)
        self.retriever = Retriever(self.index, self.settings)
        self.referrals = load_referrals(self.settings.knowledge_dir / "referrals.yaml")
        self.answerer: ExtractiveAnswerer | LLMAnswerer = (
            LLMAnswerer(self.settings, self.index.store, self.index.embedder)
            if self.settings.uses_llm
            else ExtractiveAnswerer(
                self.settings, self.index.store, SentenceRanker.load() if self.settings.sentence_ranker else None,
                foreign_numbers=lru_cache(maxsize=None)(lambda region: numbers_foreign_to(self.referrals, region)),
            )
        )
        self.judge = Judge(self.index.embedder, scrubber_for(self.referrals))

    def warm_up(self) -> None:
        """Pay the model-loading cost now rather than on the first question."""
        self.index.embedder.warm_up()
        self.judge.scrub("Warm up the recogniser, Anna.")

    def ensure_ready(self) -> None:
        self.index.refresh_if_changed()
        if not self.index.metadata:
            raise IndexNotReady(
                "The index is empty: build it with `bot ingest` (or `make run`), "
                "which reads the library in BOT_KNOWLEDGE_DIR."
            )

    def scrub(self, text: str) -> Scrubbed:
        """`text` with patient identifiers replaced by [kind]; the library's referral numbers stay."""
        return self.judge.scrub(text)

    def scrubbed_history(self, history: list[Turn]) -> list[Turn]:
        return self.judge.scrubbed_history(history)

    def answer(self, question: Question, on_evidence: Callable[[list[Evidence]], None] | None = None) -> Answer:
        """The cited answer. `on_evidence`, if given, receives the evidence as soon as it is
        retrieved, before the answer is written (a streaming channel shows it early)."""
        started = time.perf_counter()
        self.ensure_ready()
        region = question.region or self.settings.region or region_named_in(question.question) or None
        # Identifiers leave the question before it is searched, logged or sent anywhere.
        triage_started = time.perf_counter()
        triage = self.judge.triage(question.question, question.history)
        asked, history = triage.asked, triage.history
        pii_removed = bool(asked.kinds) or any(t.content != o.content for t, o in zip(history, question.history))
        triage_ms = _ms(triage_started)

        if triage.reply:
            return self._refused(triage.reply, triage.emergency, pii_removed, region, started, triage_ms)

        prompts_used: list[str] = []
        rewritten = None
        if history and isinstance(self.answerer, LLMAnswerer):
            rewritten = self.answerer.rewrite(asked.text, history)
            prompts_used += [self.answerer.rewriter.tag] if rewritten else []
        query = rewritten or standalone_query(asked.text, history)
        retrieval = self.retriever.retrieve(query, filters=question.filters, region=region)
        retrieve_ms = _ms(started)
        if on_evidence:
            on_evidence(retrieval.evidence)

        answer_started = time.perf_counter()
        drafted: Drafted = self.answerer.draft(query, retrieval.part_vectors, retrieval.evidence, region)
        model = drafted if isinstance(drafted, LLMDrafted) else None
        text, citations, evidence = drafted.text, drafted.citations, drafted.evidence
        emergency = triage.emergency
        flags = Flags(
            not_covered=drafted.not_covered and not emergency,
            emergency=emergency,
            pii_removed=pii_removed,
            fallback_used=bool(model and model.fallback_reason),
        )
        # Outside the remit only when the classifier leans that way and the library has nothing either:
        # a question the library answers is answered, however it is worded.
        if not emergency and drafted.not_covered and (triage.out_of_scope or triage.remit_doubtful):
            text, citations, evidence = OUT_OF_SCOPE_TEXT, [], []
            flags.not_covered, flags.out_of_scope = False, True
        if emergency:
            body = "" if drafted.not_covered else text
            text, citations, evidence = prepend(build_block(self.referrals, self.index, region), body, citations, evidence)
        if region is None and not (flags.out_of_scope or flags.not_covered):
            text = f"{text}\n\n{NO_REGION_NOTE}"
        if pii_removed:
            text = f"{text}\n\n{PII_REMINDER}"
        answer_ms = _ms(answer_started)
        return Answer(
            text=text,
            citations=citations,
            flags=flags,
            evidence=evidence,
            timings=Timings(triage_ms=triage_ms, retrieve_ms=retrieve_ms, answer_ms=answer_ms, total_ms=_ms(started)),
            region=region,
            answerer="extractive" if flags.fallback_used or not model else self.answerer.name,
            confidence=round(drafted.best_similarity, 4),
            query=query,
            fallback_reason=model.fallback_reason if model else None,
            prompt_version=",".join(([model.prompt_version] if model else []) + prompts_used),
            dropped=[Dropped(sentence=r.sentence, reason=r.reason) for r in (model.removed or [])] if model else [],
        )

    def _refused(
        self, reply: str, emergency: bool, pii_removed: bool, region: str | None, started: float, triage_ms: float
    ) -> Answer:
        """A fixed refusal, no citations, nothing searched; a danger in the same message still
        opens with the escalation block."""
        text, citations, evidence = reply, [], []
        if emergency:
            text, citations, evidence = prepend(build_block(self.referrals, self.index, region), reply, [], [])
        return Answer(
            text=text + (f"\n\n{PII_REMINDER}" if pii_removed else ""),
            citations=citations,
            evidence=evidence,
            flags=Flags(out_of_scope=True, refused=True, emergency=emergency, pii_removed=pii_removed),
            timings=Timings(triage_ms=triage_ms, total_ms=_ms(started)),
            region=region,
            answerer="safety",
        )


@lru_cache
def get_pipeline() -> Pipeline:
    return Pipeline(get_settings())


def answer(question: str, region: str | None = None, history: list[Turn] | None = None) -> Answer:
    """Answer one question with the default pipeline (configured from BOT_* settings)."""
    return get_pipeline().answer(Question(question=question, region=region, history=history or []))
