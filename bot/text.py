"""Sentence splitting and word tokens, shared by ingest, BM25 and the answerers.

Sentences are returned verbatim (only bullet markers and surrounding space are trimmed), so an
answer sentence can always be found again inside the passage it was taken from.
"""

from __future__ import annotations

import re

from bm25s.stopwords import STOPWORDS_EN_PLUS

_ABBREVIATIONS = {
    "e.g", "i.e", "etc", "vs", "dr", "mr", "mrs", "ms", "prof", "no", "nos", "vol", "art", "arts",
    "para", "paras", "ch", "fig", "st", "inc", "ltd", "co", "approx", "ed", "eds", "p", "pp", "cf",
    "u.s", "u.k", "u.n", "s", "ss", "sec", "al", "jr", "sr",
}
_BULLET = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,2}[.)])\s+")
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]*[A-Z0-9])")
_WORD = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?")
_STOPWORDS = frozenset(STOPWORDS_EN_PLUS)


def _ends_with_abbreviation(fragment: str) -> bool:
    last = fragment.rstrip().rsplit(None, 1)[-1].lower().rstrip(".") if fragment.strip() else ""
    return last.strip("(\"'") in _ABBREVIATIONS or bool(re.fullmatch(r"[a-z]", last))


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage, each a verbatim substring of it."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if line.startswith(("#", "|")) or not line:
            continue
        start = 0
        for match in _BOUNDARY.finditer(line):
            candidate = line[start : match.start()]
            if _ends_with_abbreviation(candidate):
                continue
            sentences.append(candidate.strip())
            start = match.end()
        sentences.append(line[start:].strip())
    return [s for s in sentences if s]


def is_answer_sentence(sentence: str) -> bool:
    """A sentence that can stand alone in an answer: long enough, and not a lead-in to a list."""
    words = sentence.split()
    return len(words) >= 5 and not sentence.rstrip().endswith(":")


def _stem(word: str) -> str:
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def tokens(text: str) -> list[str]:
    """Lower-cased, lightly stemmed content words, for BM25 and lexical overlap."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
