"""The offline answerer: the evidence's own sentences that best answer the question, each cited.

Deterministic and needs no key. Sentences are chosen by embedding similarity to the question
(with a small lexical bonus) and maximal marginal relevance for diversity, then kept verbatim.
When even the best sentence is too weak, the answer says the library does not cover the question.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.answer.ranker import Scored, SentenceRanker
from bot.config import Settings
from bot.index.store import ChunkStore, StoredSentence
from bot.models import Citation, Evidence
from bot.text import is_answer_sentence, tokens

NOT_COVERED_TEXT = (
    "The guidance library does not cover this question, so there is no cited answer to give. "
    "Ask your safeguarding lead, or rephrase the question around recognising, talking with, "
    "referring or documenting a patient who may be trafficked."
)
MMR_LAMBDA = 0.7
LEXICAL_WEIGHT = 0.15
SAME_SENTENCE_SIMILARITY = 0.92
_END_PUNCTUATION = ".!?;:"


@dataclass
class Candidate:
    evidence: Evidence
    sentence: StoredSentence
    similarity: float
    score: float  # similarity with a word-overlap bonus: decides "not covered"
    rank_score: float = 0.0  # what orders the answer's sentences: the ranker's, else `score`


@dataclass
class Drafted:
    text: str
    citations: list[Citation]
    evidence: list[Evidence]
    not_covered: bool
    best_similarity: float


def cite(sentence: str, n: int | list[int]) -> str:
    """The sentence with its marker(s) before its final punctuation: 'Call 999 [2].', '(as agreed) [1][3].'"""
    marker = "".join(f"[{x}]" for x in ([n] if isinstance(n, int) else n))
    body = sentence.rstrip()
    end = ""
    while body and body[-1] in _END_PUNCTUATION:
        end = body[-1] + end
        body = body[:-1]
    return f"{body.rstrip()} {marker}{end}"


def renumber(evidence: list[Evidence], used_order: list[str]) -> tuple[list[Evidence], dict[str, int]]:
    """Evidence renumbered so cited passages come first, in order of first use."""
    by_chunk = {e.chunk_id: e for e in evidence}
    order = used_order + [e.chunk_id for e in evidence if e.chunk_id not in used_order]
    numbered = [by_chunk[cid].model_copy(update={"n": i}) for i, cid in enumerate(order, 1)]
    return numbered, {e.chunk_id: e.n for e in numbered}


def _states_any(sentence: str, numbers: frozenset[str]) -> bool:
    digits = re.sub(r"\D", "", sentence)
    return any(n in digits for n in numbers)


def scored(question: str, candidate: Candidate) -> Scored:
    return Scored(
        question=question, sentence=candidate.sentence.text, similarity=candidate.similarity, first_score=candidate.score,
        passage_number=candidate.evidence.n, position=candidate.sentence.position,
    )


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self, settings: Settings, store: ChunkStore, ranker: SentenceRanker | None = None,
        foreign_numbers: Callable[[str | None], frozenset[str]] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.ranker = ranker
        # Universal guidance from another country can quote that country's hotline: such a sentence
        # is never given to a clinician elsewhere as a number to call.
        self.foreign_numbers = foreign_numbers or (lambda region: frozenset())

    def _candidates(
        self, question: str, query_vectors: np.ndarray, evidence: list[Evidence], withheld: frozenset[str] = frozenset()
    ) -> list[Candidate]:
        stored = self.store.sentences_of([e.chunk_id for e in evidence])
        question_words = set(tokens(question))
        found: list[Candidate] = []
        for item in evidence:
            for sentence in stored.get(item.chunk_id, []):
                if not is_answer_sentence(sentence.text):
                    continue
                if withheld and _states_any(sentence.text, withheld):
                    continue
                similarity = float(np.max(query_vectors @ sentence.embedding))
                overlap = len(question_words & set(tokens(sentence.text))) / max(len(question_words), 1)
                score = similarity + LEXICAL_WEIGHT * overlap
                found.append(Candidate(item, sentence, similarity, score, rank_score=score))
        if self.ranker is not None:
            ranked = self.ranker.scores([scored(question, c) for c in found])
            for candidate, rank_score in zip(found, ranked):
                candidate.rank_score = float(rank_score)
        return found

    def _select(self, candidates: list[Candidate]) -> list[Candidate]:
        pool = [c for c in candidates if c.similarity >= self.settings.min_sentence_relevance]
        chosen: list[Candidate] = []
        while pool and len(chosen) < self.settings.max_answer_sentences:
            def mmr(c: Candidate) -> float:
                redundancy = max((float(np.dot(c.sentence.embedding, s.sentence.embedding)) for s in chosen), default=0.0)
                return MMR_LAMBDA * c.rank_score - (1 - MMR_LAMBDA) * redundancy

            best = max(pool, key=lambda c: (mmr(c), -c.evidence.n, -c.sentence.position))
            pool.remove(best)
            if any(
                float(np.dot(best.sentence.embedding, s.sentence.embedding)) >= SAME_SENTENCE_SIMILARITY
                for s in chosen
            ):
                continue
            chosen.append(best)
        return chosen

    def draft(
        self, question: str, query_vectors: np.ndarray, evidence: list[Evidence], region: str | None = None
    ) -> Drafted:
        """`query_vectors`: one row per part of the question; a sentence counts by its best part.
        `region`: sentences stating another jurisdiction's referral numbers are left out."""
        candidates = self._candidates(question, np.atleast_2d(query_vectors), evidence, self.foreign_numbers(region))
        best = max((c.score for c in candidates), default=0.0)
        chosen = self._select(candidates) if best >= self.settings.min_relevance else []
        if not chosen:
            return Drafted(NOT_COVERED_TEXT, [], evidence, not_covered=True, best_similarity=best)

        # Passages in order of their best sentence; a passage's sentences in reading order.
        best_in: dict[str, float] = {}
        for c in chosen:
            best_in[c.evidence.chunk_id] = max(best_in.get(c.evidence.chunk_id, c.rank_score), c.rank_score)
        chosen.sort(key=lambda c: (-best_in[c.evidence.chunk_id], c.evidence.n, c.sentence.position))
        used_order = list(dict.fromkeys(c.evidence.chunk_id for c in chosen))
        numbered, number_of = renumber(evidence, used_order)

        paragraphs = [
            " ".join(cite(c.sentence.text, number_of[chunk_id]) for c in chosen if c.evidence.chunk_id == chunk_id)
            for chunk_id in used_order
        ]

        best_quote: dict[str, Candidate] = {}
        for c in chosen:
            if c.evidence.chunk_id not in best_quote or c.rank_score > best_quote[c.evidence.chunk_id].rank_score:
                best_quote[c.evidence.chunk_id] = c
        by_n = {e.n: e for e in numbered}
        citations = [
            Citation(
                n=n,
                source_id=by_n[n].source_id,
                title=by_n[n].title,
                publisher=by_n[n].publisher,
                year=by_n[n].year,
                url=by_n[n].url,
                locator=by_n[n].locator,
                quote=best_quote[chunk_id].sentence.text,
            )
            for chunk_id, n in ((cid, number_of[cid]) for cid in used_order)
        ]
        text = "\n\n".join(paragraphs)
        return Drafted(text, citations, numbered, not_covered=False, best_similarity=best)
