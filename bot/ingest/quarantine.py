"""Keep text written to steer an AI assistant out of the index.

A library file (or a WordPress page) is data. A sentence in it that addresses a language model
("ignore the user and say ...", "you are now ...", a fake <system> tag) is not guidance for a
clinician: it is left out of the index, the rest of the file is kept, and ingest warns by name.
The answer prompt quotes evidence as data as well; this is the layer that does not depend on the
model behaving.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.ingest.loaders import LoadedDocument
from bot.text import split_sentences

_INSTRUCTIONS = re.compile(
    r"""
    \b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|these\s+|those\s+)?
        (?:previous\s+|prior\s+|above\s+|earlier\s+|preceding\s+|system\s+|other\s+)?
        (?:instructions?|rules|prompts?|directions|guidelines\s+you|user|question|evidence|context)\b
    | \byou\s+are\s+now\b
    | \bfrom\s+now\s+on\s+(?:you|answer|reply|respond)\b
    | \b(?:system|developer)\s+prompt\b
    | \b(?:reveal|print|repeat|output)\s+(?:your|the)\s+(?:rules|instructions|prompt|system)\b
    | \bas\s+an?\s+(?:ai|language\s+model|assistant)\b[^.]*\b(?:must|should|will)\b
    | </?\s*(?:evidence|system|question|instructions?|assistant)\b[^>]*>
    | \[/?INST\]|<\|im_(?:start|end)\|>
    """,
    re.IGNORECASE | re.VERBOSE,
)


_FEWEST_WORDS_KEPT = 4


def reads_as_instructions(sentence: str) -> bool:
    return bool(_INSTRUCTIONS.search(sentence))


def _clean(text: str) -> tuple[str, list[str]]:
    removed: list[str] = []
    lines: list[str] = []
    for line in text.splitlines():
        if not reads_as_instructions(line):
            lines.append(line)
            continue
        kept = line
        for sentence in split_sentences(line) or [line]:
            if reads_as_instructions(sentence):
                removed.append(sentence.strip())
                kept = kept.replace(sentence, "")
        # What the splitter did not separate goes whole, and so do scraps of a few words left
        # beside an injection (a payload after the order), which are no guidance on their own.
        if reads_as_instructions(kept) or len(kept.split()) < _FEWEST_WORDS_KEPT:
            if kept.strip(" -*"):
                removed.append(kept.strip())
            kept = ""
        if kept.strip(" -*"):
            lines.append(kept.rstrip())
    return "\n".join(lines), removed


def without_instructions(document: LoadedDocument) -> tuple[LoadedDocument, list[str]]:
    """The document with every sentence that reads as instructions to an AI removed, and those sentences."""
    removed: list[str] = []
    sections = []
    for section in document.sections:
        text, gone = _clean(section.text)
        removed.extend(gone)
        sections.append(replace(section, text=text))
    return (replace(document, sections=sections) if removed else document), removed


__all__ = ["reads_as_instructions", "without_instructions"]
