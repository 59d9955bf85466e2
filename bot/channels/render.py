"""What every chat platform shows the same way: source labels, text cut to a platform's limit,
and the welcome that states the scope, the privacy rule and the emergency numbers."""

from __future__ import annotations

from bot.models import Citation
from bot.referrals import Referrals

SCOPE = (
    "I answer questions from frontline clinicians about recognising and responding to human "
    "trafficking and exploitation, from published guidance, and I cite every source."
)
PRIVACY = "Do not type patient names, dates of birth, addresses or record numbers."
JUDGEMENT = "I support, not replace, your clinical judgement and local safeguarding procedures."


def source_label(citation: Citation) -> str:
    where = ", ".join(str(part) for part in (citation.publisher, citation.year, citation.locator) if part)
    return f"[{citation.n}] {citation.title}" + (f" — {where}" if where else "")


def pieces(text: str, limit: int) -> list[str]:
    """The text in paragraphs joined up to `limit` characters each (a long paragraph is cut at a space)."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        while len(paragraph) > limit:
            cut = paragraph.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            out.append(paragraph[:cut])
            paragraph = paragraph[cut:].lstrip()
        if out and len(out[-1]) + 2 + len(paragraph) <= limit:
            out[-1] = f"{out[-1]}\n\n{paragraph}"
        elif paragraph:
            out.append(paragraph)
    return out


def emergency_line(referrals: Referrals, region: str | None) -> str:
    contacts = referrals.for_region(region) if region else None
    parts = []
    if contacts and contacts.emergency and contacts.emergency.call:
        parts.append(f"In an emergency, call {contacts.emergency.call}.")
    else:
        parts.append("In an emergency, call your local emergency number.")
    for hotline in (contacts.hotlines if contacts else [])[:1]:
        if hotline.call:
            parts.append(f"{hotline.name}: {hotline.call}.")
    return " ".join(parts)


def welcome(referrals: Referrals, region: str | None) -> str:
    return "\n\n".join([SCOPE, JUDGEMENT, PRIVACY, emergency_line(referrals, region)])
