"""Safety before retrieval: patient identifiers out, emergencies escalated, harmful requests refused.

Everything here is deterministic and offline. The escalation block is built from
`knowledge/referrals.yaml`, and each of its numbers is shown as the library sentence that states
it, cited like any other evidence, so no number reaches a clinician without its source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.models import Evidence
from bot.referrals import Contact, Referrals
from bot.text import split_sentences, tokens

PII_REMINDER = (
    "Patient identifiers were removed from your question before it was searched or logged; "
    "please do not enter names, dates of birth, contact details or record numbers."
)
REFUSAL_TEXT = (
    "I cannot help with that. This assistant supports health professionals in recognising, "
    "caring for and referring people who may be trafficked or exploited."
)
VERDICT_TEXT = (
    "This assistant does not decide whether a situation is legally trafficking; that is for the "
    "authorities and courts. Ask about the signs, how to talk with the patient, or where to refer, "
    "and it will answer from cited guidance."
)
HIDDEN_CONFIG_TEXT = "This assistant does not share its instructions or configuration."
OUT_OF_SCOPE_TEXT = (
    "That question is outside what this assistant covers: recognising, talking with, caring for, "
    "referring and documenting patients who may be trafficked or exploited."
)
NO_REGION_NOTE = (
    "No region was given, so this answer draws on international guidance only; use your local "
    "emergency number and trafficking hotline, and set your region for local guidance."
)
SECURITY_LINE = "If anyone is at risk now, alert your hospital or clinic security team as well."
LOCAL_EMERGENCY_LINE = "In immediate danger, call your local emergency number."

_PII_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")),
    ("date of birth", re.compile(
        r"\b(?:DOB|d\.o\.b\.?|date of birth|born(?: on)?)\s*:?\s*(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}\s+[A-Z][a-z]+\s+\d{4}|[A-Z][a-z]+\s+\d{1,2},?\s+\d{4})",
        re.IGNORECASE,
    )),
    ("date", re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.](?:19|20)\d{2}\b")),
    ("record number", re.compile(
        r"\b(?:NHS(?: number| no\.?)?|MRN|medical record(?: number)?|record (?:number|no\.?)|hospital number|SSN|social security(?: number)?)\s*:?\s*#?\s*[A-Z0-9][A-Z0-9 -]{3,14}[0-9]\b",
        re.IGNORECASE,
    )),
    ("nhs number", re.compile(r"(?<![\d-])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d-])")),
    ("phone", re.compile(r"(?<![\w])\+?\d[\d ()-]{7,}\d\b")),
    ("address", re.compile(
        r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Way|Court|Place|Crescent|Terrace|Boulevard|Blvd)\b\.?"
    )),
    ("postcode", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")),
    ("name", re.compile(
        r"\b(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?|(?:named|called|name is|patient)\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)"
    )),
]

_EMERGENCY = re.compile(
    r"\b(?:(?:will|'ll|going to|gonna|threaten\w* to|threatened to|would|'d)\s+(?:\w+\s+){0,3}"
    r"(?:hurt|kill|beat|stab|shoot|harm|finish (?:him|her|them) off|drag|come back)\w*"
    r"|threatened (?:the|a|our|my) (?:nurse|doctor|staff|triage|receptionist|midwife)\w*"
    r"|(?:banging|kicking) on (?:the )?(?:door|cubicle|window)"
    r"|(?:coming|come back|came back|here) to (?:collect|take|get) (?:her|him|them)"
    r"|(?:waiting|parked|sitting|standing)\s+(?:\w+\s+){0,2}(?:in|outside|at) (?:the |a )?(?:waiting room|car park|parking lot|lobby|corridor|car|van|reception|clinic|hospital|ward|building)"
    r"|(?:is|are) (?:in|outside) (?:the )?(?:waiting room|lobby|corridor|car park|parking lot)"
    r"|(?:taking|take) (?:her|him|them) (?:\w+\s+){0,4}(?:tonight|right now|now\b|today)"
    r"|(?:immediate|imminent) danger|in danger (?:right )?now|been stabbed|been shot|overdos\w*|suicid\w*)",
    re.IGNORECASE,
)
_FACILITATION = re.compile(
    r"\b(?:(?:across|over) (?:the |a )?(?:border|state lines?)\b.{0,40}\b(?:without|no) (?:papers|documents|visas?|anyone noticing|being (?:seen|noticed|caught))"
    r"|(?:get|bring|move|smuggle|transport)\w* (?:\w+ ){0,3}(?:workers?|girls?|women|people|minors?|children|kids)\b.{0,40}\b(?:without (?:papers|documents|anyone)|across)"
    r"|stop (?:my|the|our|them|these|those) (?:\w+ )?(?:from )?(?:talking|speaking|telling|reporting)"
    r"|(?:hold on to|keep|take) (?:my |their |the )?(?:workers'?|employees'?|girls'?)? ?passports? so (?:they|she|he) (?:can't|cannot|don't)"
    r"|coach (?:my |the )?(?:girls|workers|women)|act normal at the (?:clinic|hospital|doctor)"
    r"|won'?t make (?:them|her|him) ask questions|rings? (?:through )?to me|evade (?:detection|police|inspect\w*|immigration)"
    r"|avoid (?:detection|being detected|the police|inspections?))",
    re.IGNORECASE,
)
_HIDDEN_CONFIG = re.compile(
    r"\b(?:system prompt|your (?:full |hidden )?(?:prompt|instructions|configuration|rules)|hidden configuration|print your prompt|devmode|system override)\b",
    re.IGNORECASE,
)
_VERDICT = re.compile(
    r"\b(?:is (?:this|it|she|he) (?:a case of |a victim of )?trafficking,? yes or no|just tell me[:,]? is (?:this|it) trafficking"
    r"|confirm(?:ing)? (?:that )?(?:this|the) (?:patient|person|case) (?:meets|is) (?:the legal definition|trafficked|a victim))",
    re.IGNORECASE,
)
# Words that put a question inside the remit even when the library has no good answer to it:
# such a question is "not covered", never "outside what this assistant covers".
_DOMAIN = re.compile(
    r"\b(?:traffick\w*|exploit\w*|slaver\w*|forced|coerc\w*|servitude|bond\w*|debts?|owe[sd]?|smuggl\w*|pimp\w*|"
    r"prostitut\w*|sex\w*|survivor\w*|victim\w*|abus\w*|groom\w*|controll\w*|passports?|papers|documents?|"
    r"recruit\w*|referr\w*|refer|hotline|helpline|safeguard\w*|red flags?|indicators?|disclos\w*|consent|"
    r"confidential\w*|work\w*|jobs?|employ\w*|boss|paid|pay|wages?|earnings|money|agent|charg\w*|gangs?|drugs?|"
    r"parcels|cannabis|records?|notes|child\w*|teen\w*|minors?|\d+-year-old|girls?|boys?|frightened|afraid|scared|"
    r"threat\w*|judg\w*|hurt|injur\w*)\b",
    re.IGNORECASE,
)


@dataclass
class Scrubbed:
    text: str
    kinds: list[str] = field(default_factory=list)


def scrub(text: str, keep: set[str]) -> Scrubbed:
    """Replace patient identifiers with [kind]; numbers in `keep` (the referral numbers) stay."""
    kept_digits = {re.sub(r"\D", "", k) for k in keep}
    kinds: list[str] = []

    def replace(kind: str) -> object:
        def swap(match: re.Match[str]) -> str:
            if re.sub(r"\D", "", match.group(0)) in kept_digits and kind in ("phone", "nhs number"):
                return match.group(0)
            kinds.append(kind)
            return f"[{kind}]"

        return swap

    for kind, pattern in _PII_PATTERNS:
        text = pattern.sub(replace(kind), text)  # type: ignore[arg-type]
    return Scrubbed(text=text, kinds=sorted(set(kinds)))


def is_emergency(text: str) -> bool:
    return bool(_EMERGENCY.search(text))


def refusal(text: str) -> str | None:
    """The fixed reply for a request the assistant must not serve, or None."""
    if _FACILITATION.search(text):
        return REFUSAL_TEXT
    if _HIDDEN_CONFIG.search(text):
        return HIDDEN_CONFIG_TEXT
    if _VERDICT.search(text):
        return VERDICT_TEXT
    return None


def about_the_remit(text: str) -> bool:
    return bool(_DOMAIN.search(text))


def referral_numbers(referrals: Referrals) -> set[str]:
    return {n for entry in referrals.regions.values() for c in entry.contacts() for n in c.numbers()}


def stating_sentence(contact: Contact, passages: list[Evidence]) -> tuple[str, Evidence] | None:
    """The sentence of the cited file's passages that states this contact: its number, else its note."""
    wanted = contact.numbers()
    best: tuple[float, str, Evidence] | None = None
    note_words = set(tokens(contact.note or contact.name))
    for passage in passages:
        for sentence in split_sentences(passage.text):
            if wanted and wanted[0] in sentence:
                return sentence, passage
            if not wanted and note_words:
                overlap = len(note_words & set(tokens(sentence))) / len(note_words)
                if best is None or overlap > best[0]:
                    best = (overlap, sentence, passage)
    return (best[1], best[2]) if best and best[0] >= 0.5 else None
