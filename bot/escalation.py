"""The escalation block an emergency answer opens with, and its merge into the cited answer.

Each referral line is the library sentence that states the number, cited to its passage; the
lines that are ours (hospital security, "call your local emergency number") carry no number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answer.extractive import cite
from bot.index import Index
from bot.models import Citation, Evidence
from bot.judge.replies import LOCAL_EMERGENCY_LINE, SECURITY_LINE
from bot.referrals import Contact, Referrals
from bot.retrieve import Retriever
from bot.text import split_sentences, tokens

_MARKER = re.compile(r"\[(\d+)\]")


@dataclass
class Block:
    lines: list[tuple[str, Evidence | None]]  # (sentence, its passage) or (fixed line, None)


def stating_sentence(contact: Contact, passages: list[Evidence]) -> tuple[str, Evidence] | None:
    """The sentence of the cited file's passages that states this contact: its number, else its note."""
    wanted = contact.numbers()
    best: tuple[float, str, Evidence] | None = None
    note_words = set(tokens(contact.note or contact.name))
    stating: list[tuple[str, Evidence]] = []
    for passage in passages:
        for sentence in split_sentences(passage.text):
            if wanted and wanted[0] in sentence:
                stating.append((sentence, passage))
            if not wanted and note_words:
                overlap = len(note_words & set(tokens(sentence))) / len(note_words)
                if best is None or overlap > best[0]:
                    best = (overlap, sentence, passage)
    if stating:
        # The sentence that tells the clinician to call the number ("call 911"), else the first that states it.
        calls = re.compile(rf"(?i)\b(?:call|ring|dial|phone)\b[^.]{{0,20}}{re.escape(wanted[0])}")
        return next((hit for hit in stating if calls.search(hit[0])), stating[0])
    return (best[1], best[2]) if best and best[0] >= 0.5 else None


def _passages(index: Index, source_id: str) -> list[Evidence]:
    ids = sorted(cid for cid, meta in index.metadata.items() if meta.get("source_id") == source_id)
    return [Retriever.evidence_of(0, c.text, c.metadata, c.id, 0.0) for c in index.store.get_chunks(ids)]


def build_block(referrals: Referrals, index: Index, region: str | None) -> Block:
    resolved = referrals.for_region(region)
    passages: dict[str, list[Evidence]] = {}  # one fetch per cited file, however many lines cite it

    def stated(contacts: list[Contact]) -> list[tuple[str, Evidence | None]]:
        found: list[tuple[str, Evidence | None]] = []
        for contact in contacts:
            if contact.source_id not in passages:
                passages[contact.source_id] = _passages(index, contact.source_id)
            hit = stating_sentence(contact, passages[contact.source_id])
            if hit:
                found.append(hit)
        return found

    lines = stated([resolved.emergency] if resolved.emergency else []) or [(LOCAL_EMERGENCY_LINE, None)]
    lines.append((SECURITY_LINE, None))
    lines += stated(resolved.hotlines) + stated(resolved.child_protection)
    return Block(lines=lines)


def prepend(block: Block, text: str, citations: list[Citation], evidence: list[Evidence]) -> tuple[str, list[Citation], list[Evidence]]:
    """The block first, then the answer, with evidence renumbered so every [n] still holds."""
    merged: list[Evidence] = []
    number_of: dict[str, int] = {}
    retrieved_rank = {e.chunk_id: e.rank for e in evidence}  # a block passage the search also found keeps its rank
    for passage in [p for _, p in block.lines if p is not None] + sorted(evidence, key=lambda e: e.n):
        if passage.chunk_id not in number_of:
            number_of[passage.chunk_id] = len(merged) + 1
            merged.append(
                passage.model_copy(update={"n": len(merged) + 1, "rank": retrieved_rank.get(passage.chunk_id, passage.rank)})
            )
    old_to_new = {e.n: number_of[e.chunk_id] for e in evidence}

    block_citations: dict[int, Citation] = {}
    rendered: list[str] = []
    for sentence, passage in block.lines:
        if passage is None:
            rendered.append(sentence)
            continue
        n = number_of[passage.chunk_id]
        rendered.append(cite(sentence, n))
        block_citations.setdefault(
            n,
            Citation(
                n=n, source_id=passage.source_id, title=passage.title, publisher=passage.publisher,
                year=passage.year, url=passage.url, locator=passage.locator, quote=sentence,
            ),
        )
    body = _MARKER.sub(lambda m: f"[{old_to_new.get(int(m.group(1)), int(m.group(1)))}]", text)
    answer_citations = dict(block_citations)
    for c in citations:
        answer_citations.setdefault(old_to_new[c.n], c.model_copy(update={"n": old_to_new[c.n]}))
    joined = "\n".join(rendered) + (f"\n\n{body}" if body else "")
    return joined, sorted(answer_citations.values(), key=lambda c: c.n), merged
