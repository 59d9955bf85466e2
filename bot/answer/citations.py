"""The citation check every model-written answer passes before a user sees it.

Each sentence must cite evidence numbers that exist, and each cited passage must support the
sentence (embedding similarity to the passage's best sentence plus word overlap). Unsupported
citations are dropped, sentences left with none are removed, the best supporting sentence becomes
the citation's quote, and citations are renumbered by first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from bot.answer.extractive import LEXICAL_WEIGHT, cite, renumber
from bot.index.embeddings import MiniLMEmbeddings
from bot.index.store import ChunkStore
from bot.models import Citation, Evidence
from bot.text import split_sentences, tokens

_MARKERS = re.compile(r"\s*((?:\[\d+\])+)")
_NUMBER = re.compile(r"\[(\d+)\]")


@dataclass
class Removed:
    sentence: str
    reason: str


@dataclass
class Checked:
    text: str
    citations: list[Citation]
    evidence: list[Evidence]
    removed: list[Removed] = field(default_factory=list)


def _parts(sentence: str) -> tuple[str, list[int]]:
    numbers = [int(n) for n in _NUMBER.findall(sentence)]
    return _MARKERS.sub("", sentence).strip(), numbers


class CitationChecker:
    def __init__(self, store: ChunkStore, embedder: MiniLMEmbeddings, threshold: float) -> None:
        self.store = store
        self.embedder = embedder
        self.threshold = threshold

    def check(self, text: str, evidence: list[Evidence]) -> Checked:
        by_n = {e.n: e for e in evidence}
        stored = self.store.sentences_of([e.chunk_id for e in evidence])
        paragraphs = [[_parts(s) for s in split_sentences(p)] for p in text.split("\n\n") if p.strip()]
        plain = [body for paragraph in paragraphs for body, _ in paragraph]
        vectors = iter(self.embedder.encode(plain)) if plain else iter(())
        removed: list[Removed] = []
        kept: list[list[tuple[str, str, float, str]]] = []  # (sentence, chunk id, support, quote)
        for paragraph in paragraphs:
            survivors = []
            for body, numbers in paragraph:
                vector = next(vectors)
                if not numbers:
                    removed.append(Removed(body, "no citation"))
                    continue
                supported = []
                for n in dict.fromkeys(numbers):
                    if n not in by_n:
                        removed.append(Removed(body, f"[{n}] is not in the evidence"))
                        continue
                    support, quote = self._support(body, vector, stored.get(by_n[n].chunk_id, []))
                    if support >= self.threshold:
                        supported.append((support, by_n[n].chunk_id, quote))
                if not supported:
                    if all(n in by_n for n in numbers):
                        removed.append(Removed(body, f"not supported by {''.join(f'[{n}]' for n in numbers)}"))
                    continue
                for support, chunk_id, quote in supported:
                    survivors.append((body, chunk_id, support, quote))
            if survivors:
                kept.append(survivors)
        return self._assemble(kept, evidence, removed)

    def _support(self, sentence: str, vector: np.ndarray, passage_sentences: list) -> tuple[float, str]:
        words = set(tokens(sentence))
        best, quote = 0.0, ""
        for candidate in passage_sentences:
            overlap = len(words & set(tokens(candidate.text))) / max(len(words), 1)
            score = float(np.dot(vector, candidate.embedding)) + LEXICAL_WEIGHT * overlap
            if score > best:
                best, quote = score, candidate.text
        return best, quote

    @staticmethod
    def _assemble(kept: list[list[tuple[str, str, float, str]]], evidence: list[Evidence], removed: list[Removed]) -> Checked:
        used = list(dict.fromkeys(chunk_id for paragraph in kept for _, chunk_id, _, _ in paragraph))
        numbered, number_of = renumber(evidence, used)
        best_quote: dict[str, tuple[float, str]] = {}
        lines = []
        for paragraph in kept:
            sentences: dict[str, list[int]] = {}
            for body, chunk_id, support, quote in paragraph:
                sentences.setdefault(body, []).append(number_of[chunk_id])
                if support > best_quote.get(chunk_id, (-1.0, ""))[0]:
                    best_quote[chunk_id] = (support, quote)
            lines.append(" ".join(cite(body, list(dict.fromkeys(numbers))) for body, numbers in sentences.items()))
        by_n = {e.n: e for e in numbered}
        citations = [
            Citation(
                n=number_of[cid], source_id=by_n[number_of[cid]].source_id, title=by_n[number_of[cid]].title,
                publisher=by_n[number_of[cid]].publisher, year=by_n[number_of[cid]].year, url=by_n[number_of[cid]].url,
                locator=by_n[number_of[cid]].locator, quote=best_quote[cid][1],
            )
            for cid in used
        ]
        return Checked(text="\n\n".join(lines), citations=citations, evidence=numbered, removed=removed)
