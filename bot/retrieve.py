"""Hybrid retrieval: dense and BM25 candidates fused by reciprocal rank, filtered, de-duplicated.

`Retriever` is what the pipeline uses; `GuidanceRetriever` exposes the same search as a LangChain
`BaseRetriever` for anything built on LangChain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from bot.config import Settings
from bot.index import Index
from bot.models import Evidence, Filters, Turn, applicable_regions
from bot.text import split_sentences, tokens

NEAR_DUPLICATE_JACCARD = 0.8
_FOLLOW_UP_START = re.compile(r"^(and|also|but|so|what about|how about|what if|then|same)\b", re.IGNORECASE)
_ANAPHORA = re.compile(r"\b(it|this|that|these|those|they|them|their|she|he|her|him|his|one)\b", re.IGNORECASE)


@dataclass
class Retrieval:
    query: str
    query_vector: np.ndarray
    evidence: list[Evidence]
    # One row per part of the question (the whole, then each of its sentences if several).
    part_vectors: np.ndarray | None = None


def standalone_query(question: str, history: list[Turn]) -> str:
    """The question made searchable on its own: a follow-up borrows the previous user turn."""
    previous = [turn.content for turn in history if turn.role == "user"]
    if not previous:
        return question
    follow_up = (
        _FOLLOW_UP_START.search(question.strip())
        or _ANAPHORA.search(question)
        or len(tokens(question)) < 4
    )
    return f"{previous[-1]}\n{question}" if follow_up else question


def question_parts(query: str) -> list[str]:
    """The whole question, then each of its sentences when it has several: a long, many-part
    question matches no single passage well, while each of its parts may."""
    sentences = split_sentences(query)
    if len(sentences) < 2:
        return [query]
    return [query] + [s for s in sentences if len(tokens(s)) >= 3]  # "What is the first step?" alone matches anything


def _conditions(filters: Filters | None, region: str | None) -> list[tuple[str, list[Any]]]:
    """(metadata key, allowed values) pairs that every retrieved chunk must meet; the region
    condition is also met by universal guidance (`_UNIVERSAL`) unless the caller chose the regions."""
    conditions: list[tuple[str, list[Any]]] = []
    # Jurisdiction-bound sources (laws, duties, hotlines, code sets) only from the clinician's own
    # jurisdiction and its parents and children, international ones when none is known: never one
    # country's numbers to another's clinician. Universal practice guidance (how to interview, red
    # flags, screening tools) applies wherever it was published.
    chosen = set(filters.region) if filters and filters.region else None
    if region:
        regions = set(applicable_regions(region)) & chosen if chosen else set(applicable_regions(region))
    else:
        regions = chosen or {"international"}
    conditions.append(("region", sorted(regions)))
    if filters and filters.type:
        conditions.append(("type", list(filters.type)))
    if filters and filters.clinical is not None:
        conditions.append(("clinical", [filters.clinical]))
    return conditions


_UNIVERSAL = ("applies", "universal")


def _universal_too(filters: Filters | None) -> bool:
    return not (filters and filters.region)


def _meets(meta: dict[str, Any], conditions: list[tuple[str, list[Any]]], universal_too: bool) -> bool:
    return all(
        meta.get(key) in values or (key == "region" and universal_too and meta.get(_UNIVERSAL[0]) == _UNIVERSAL[1])
        for key, values in conditions
    )


def _chroma_where(conditions: list[tuple[str, list[Any]]], universal_too: bool) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = []
    for key, values in conditions:  # the region condition is always there
        clause: dict[str, Any] = {key: {"$in": values}}
        if key == "region" and universal_too:
            clause = {"$or": [clause, {_UNIVERSAL[0]: {"$eq": _UNIVERSAL[1]}}]}
        clauses.append(clause)
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


class Retriever:
    def __init__(self, index: Index, settings: Settings | None = None) -> None:
        self.index = index
        self.settings = settings or index.settings

    def retrieve(
        self,
        query: str,
        k: int | None = None,
        filters: Filters | None = None,
        region: str | None = None,
    ) -> Retrieval:
        k = k or self.settings.top_k
        n = max(self.settings.candidates, k)
        parts = question_parts(query)
        vectors = self.index.embedder.encode(parts)
        vector = vectors[0]
        conditions = _conditions(filters, region)
        universal_too = _universal_too(filters)
        if any(not values for _, values in conditions):  # filters nothing can meet (region UK, filter US)
            return Retrieval(query=query, query_vector=vectors[0], evidence=[], part_vectors=vectors)
        where = _chroma_where(conditions, universal_too)
        mode = self.settings.retrieval_mode
        rankings: list[list[str]] = []
        dense = []
        if mode in ("hybrid", "dense"):
            dense = self.index.store.dense_search(vector, n, where)
            rankings.append([c.id for c in dense])
            for v in vectors:
                rankings.append([cid for cid, _ in self.index.store.dense_sentence_search(v, n * 3, where)])
        if mode in ("hybrid", "bm25"):
            metadata = self.index.metadata

            def allowed(chunk_id: str) -> bool:
                return _meets(metadata.get(chunk_id, {}), conditions, universal_too)

            rankings.append([cid for cid, _ in self.index.bm25.search(query, n, allowed)])

        fused: dict[str, float] = {}
        for ranking in rankings:
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (self.settings.rrf_k + rank + 1)
        texts = {c.id: c for c in dense}
        missing = [cid for cid in fused if cid not in texts]
        texts.update({c.id: c for c in self.index.store.get_chunks(missing)})
        if region and self.settings.region_boost:
            # International and universal guidance always count; the clinician's own jurisdiction's comes first.
            own = set(applicable_regions(region)) - {"international"}
            for chunk_id, chunk in texts.items():
                if chunk_id in fused and chunk.metadata.get("region") in own:
                    fused[chunk_id] *= 1 + self.settings.region_boost
        order = sorted(fused, key=lambda cid: (-fused[cid], cid))

        kept: list[str] = []
        kept_tokens: list[set[str]] = []
        for chunk_id in order:
            if chunk_id not in texts:
                continue  # removed since the BM25 side was built
            words = set(tokens(texts[chunk_id].text))
            if any(_jaccard(words, other) >= NEAR_DUPLICATE_JACCARD for other in kept_tokens):
                continue
            kept.append(chunk_id)
            kept_tokens.append(words)
            if len(kept) == k:
                break
        evidence = [self.evidence_of(n, texts[cid].text, texts[cid].metadata, cid, fused[cid]) for n, cid in enumerate(kept, 1)]
        return Retrieval(query=query, query_vector=vector, evidence=evidence, part_vectors=vectors)

    @staticmethod
    def evidence_of(n: int, text: str, meta: dict[str, Any], chunk_id: str, score: float) -> Evidence:
        page = meta.get("page")
        locator = " | ".join(
            part for part in (f"p. {page}" if page is not None else "", meta.get("heading_path", "")) if part
        )
        return Evidence(
            n=n,
            rank=n,
            source_id=meta.get("source_id", ""),
            chunk_id=chunk_id,
            score=round(score, 6),
            text=text,
            title=meta.get("title", ""),
            publisher=meta.get("publisher", ""),
            year=meta.get("year"),
            url=meta.get("url", ""),
            region=meta.get("region", ""),
            type=meta.get("type", ""),
            clinical=bool(meta.get("clinical", True)),
            locator=locator,
            page=page,
        )


class GuidanceRetriever(BaseRetriever):
    """The hybrid search as a LangChain retriever.

    Example:
        retriever = GuidanceRetriever(retriever=Retriever(index), k=3, region="UK")
        docs = retriever.invoke("how do I refer an adult to the NRM?")
        docs[0].metadata["source_id"], docs[0].metadata["locator"]
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    k: int = 5
    region: str | None = None
    filters: Filters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        result = self.retriever.retrieve(
            query,
            k=kwargs.get("k", self.k),
            filters=kwargs.get("filters", self.filters),
            region=kwargs.get("region", self.region),
        )
        return [
            Document(
                id=e.chunk_id,
                page_content=e.text,
                metadata=e.model_dump(exclude={"text"}),
            )
            for e in result.evidence
        ]


__all__ = ["GuidanceRetriever", "Retrieval", "Retriever", "standalone_query"]
