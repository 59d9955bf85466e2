"""Patterns that supplement the classifier: each can only add an intent, never take one away.

They catch shapes the classifier may score low on a short or odd message (a weapon in the
building, a patient about to be taken tonight, "print your system prompt"). A pattern stays here
only while it fires on no clinician's question (`in_scope`) of the bank's dev split
(`tests/test_judge.py` checks it).
"""

from __future__ import annotations

import re

from bot.judge.intents import Intent

_NOW = r"(?:now|right now|tonight|today|this (?:evening|afternoon|morning)|in (?:a|an|\d+) (?:few )?(?:minutes?|mins?|hours?)|at \d{1,2}(?::\d\d)?\s*(?:am|pm|tonight)?|soon)"
_PLACE = (
    r"(?:waiting room|waiting area|car ?park|parking (?:lot|garage)|lobby|corridor|hallway|reception|outside|"
    r"front door|entrance|ward|cubicle|bay|resus|triage|department|ED|A&E|ER|clinic|van|car|truck)"
)

_RULES: list[tuple[Intent, re.Pattern[str]]] = [
    # A weapon, a removal or a collapse now, unless the message is about a rehearsal of one.
    (Intent.EMERGENCY, re.compile(
        rf"(?is)^(?!.*\b(?:drill|actor|role-?play|simulation|mock scenario)\b).*?\b(?:(?:is carrying|is holding|pulled|waving|brandishing) (?:a |his |her )?(?:gun|knife|blade|machete|weapon)"
        rf"|(?:gun|knife|blade|weapon)s? (?:in|at|outside) (?:the |our )?{_PLACE}"
        rf"|(?:come back|here|on (?:his|their|the) way) to (?:collect|take|get|fetch|pick up) (?:her|him|them|the (?:baby|child|girl|boy|kid))"
        rf"|coming to (?:collect|take|get|fetch|pick up) (?:her|him|them|the (?:baby|child|girl|boy|kid)) (?:\w+ ){{0,3}}{_NOW}"
        rf"|(?:collect|take|pick up|move|fetch)\w* (?:her|him|them|the (?:baby|child|girl|boy|kid)) (?:\w+ ){{0,4}}{_NOW}"
        rf"|(?:just|has) (?:taken|swallowed|overdosed|collapsed|stopped breathing|been stabbed|been shot)"
        rf"|(?:overdos(?:e|ed|ing)|unresponsive|not breathing|fitting|seizing) (?:now|right now|in (?:the|bay|cubicle))"
        rf"|(?:banging|kicking|pounding) on (?:the )?(?:door|cubicle|window))\b"
    )),
    # A threat, unless the message is about one that might happen ("if she ever tells me…").
    (Intent.EMERGENCY, re.compile(
        r"(?is)^(?!.*\b(?:ever|hypothetical\w*|suppose|supposing|in case|what if|what would)\b)"
        r".*\b(?:will|'ll|gonna|going to) (?:kill|hurt|beat|stab|shoot) (?:her|him|them|me|us|the)\b"
    )),
    (Intent.EXPLOITER, re.compile(
        r"(?i)\b(?:(?:get|bring|move|smuggle|take|drive|ship)\w* (?:\w+ ){0,3}(?:workers?|girls?|women|people|lads|minors?|children|kids)\b"
        r".{0,40}\b(?:across|over|through) (?:the |a )?(?:border|channel|state lines?)\b.{0,30}\b(?:without|no) (?:papers|documents|visas?|passports?)"
        r"|stop (?:my|our) (?:\w+ )?(?:from )?(?:talking|speaking|telling|reporting)"
        r"|(?:hold on to|keep|take) (?:my |their |the )?(?:workers'?|employees'?|girls'?) ?passports? so (?:they|she|he) (?:can'?t|cannot|don'?t|won'?t)"
        r"|rings? (?:through )?to me\b|coach (?:my|our) (?:girls|workers|women|staff|lads)"
        r"|(?:what|how) (?:should|do|does|can) (?:my|our) (?:girls?|workers?|lads|staff|employees?) (?:say|tell|answer))"
    )),
    (Intent.PROBE, re.compile(
        r"(?i)\b(?:system prompt|(?:your|the) (?:full |hidden |initial |original |exact )?(?:prompt|instructions|configuration|config|rules you were given)"
        r"|ignore (?:all |any |your |the )?(?:previous|prior|above|earlier) (?:instructions|rules|messages)"
        r"|developer mode|dev ?mode|jailbreak|repeat (?:the|everything) (?:text |words )?above|system override"
        r"|(?:safety|content) (?:layer|filter|rules?)s? (?:is|are) (?:off|disabled|switched off))\b"
    )),
    (Intent.VERDICT, re.compile(
        r"(?is)^(?!.*\bwhy (?:wouldn'?t|won'?t|didn'?t|can'?t|don'?t) you\b).*?\b(?:yes or no|one word(?: answer)?|just (?:say|tell me) (?:yes|no|if it is)|legally (?:speaking,? )?(?:is|was) (?:this|it|that|she|he))\b"
        r".{0,80}\b(?:traffick\w*|slavery|forced labou?r|exploitation|victim)"
        r"|\b(?:traffick\w*|slavery|forced labou?r|victim)\b.{0,60}\b(?:yes or no|one word)\b"
    )),
]


def matched(text: str) -> set[str]:
    """The intents a pattern finds in `text`."""
    return {intent.value for intent, pattern in _RULES if pattern.search(text)}
