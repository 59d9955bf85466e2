"""The one function every channel calls: a Question in, an Answer out.

Channels (CLI, HTTP API, widget, Slack, Teams, eval) only translate to and from these models.
"""

from __future__ import annotations

import time
from functools import lru_cache

from bot.answer.extractive import ExtractiveAnswerer
from bot.config import Settings, get_settings
from bot.errors import IndexNotReady
from bot.index import Index
from bot.models import Answer, Flags, Question, Timings, Turn
from bot.retrieve import Retriever, standalone_query


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


class Pipeline:
    def __init__(self, settings: Settings | None = None, index: Index | None = None) -> None:
        self.settings = settings or get_settings()
        self.index = index if index is not None else Index(self.settings)
        self.retriever = Retriever(self.index, self.settings)
        self.answerer = ExtractiveAnswerer(self.settings, self.index.store)

    def warm_up(self) -> None:
        """Pay the model-loading cost now rather than on the first question."""
        self.index.embedder.warm_up()

    def ensure_ready(self) -> None:
        self.index.refresh_if_changed()
        if not self.index.metadata:
            raise IndexNotReady(
                "The index is empty: build it with `bot ingest` (or `make run`), "
                "which reads the library in BOT_KNOWLEDGE_DIR."
            )

    def answer(self, question: Question) -> Answer:
        started = time.perf_counter()
        self.ensure_ready()
        region = question.region or (self.settings.region or None)
        query = standalone_query(question.question, question.history)
        retrieval = self.retriever.retrieve(query, filters=question.filters, region=region)
        retrieve_ms = _ms(started)

        answer_started = time.perf_counter()
        drafted = self.answerer.draft(query, retrieval.part_vectors, retrieval.evidence)
        answer_ms = _ms(answer_started)
        return Answer(
            text=drafted.text,
            citations=drafted.citations,
            flags=Flags(not_covered=drafted.not_covered),
            evidence=drafted.evidence,
            timings=Timings(retrieve_ms=retrieve_ms, answer_ms=answer_ms, total_ms=_ms(started)),
            region=region,
            answerer=self.answerer.name,
            confidence=round(drafted.best_similarity, 4),
        )


@lru_cache
def get_pipeline() -> Pipeline:
    return Pipeline(get_settings())


def answer(question: str, region: str | None = None, history: list[Turn] | None = None) -> Answer:
    """Answer one question with the default pipeline (configured from BOT_* settings)."""
    return get_pipeline().answer(Question(question=question, region=region, history=history or []))
