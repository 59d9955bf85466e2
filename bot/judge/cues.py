"""Cheap lexical cues the classifier weighs alongside the embedding and n-grams.

Each cue is a family of wordings for one thing that separates the intents when the topic is the
same: who is asking (a clinician about "my patient", or someone about "my girls"), what for (to
spot coaching, or so that nobody asks), and when (last year, or right now). A cue decides
nothing by itself: the classifier learns how much each counts, and in which company.
"""

from __future__ import annotations

import re

import numpy as np

_CUES: dict[str, str] = {
    "evade": (
        r"\b(?:avoid\w*|dodg\w*|evad\w*|hid(?:e|ing)|conceal\w*|cover (?:up|it)|look (?:like|legit|official|proper)|undetected|under the radar|slip through|without (?:anyone|them|it|her|him|staff|the \w+) "
        r"(?:notic\w*|finding out|knowing|asking|going (?:any )?further|suspect\w*|getting involved)|not (?:get|be|getting|being) "
        r"(?:caught|flagged|noticed|reported|asked|involved|picked up)|so (?:that )?(?:they|she|he|nobody|no one|the \w+|staff|doctors|nurses|it) "
        r"(?:doesn'?t|don'?t|won'?t|can'?t|never|will not|does not|do not) (?:ask|find|notice|report|get involved|suspect|check|flag|"
        r"pick up|go any further|raise)|no questions asked|won'?t ask (?:any )?questions|don'?t ask questions|keep (?:it|this|things) quiet|"
        r"get away with|without (?:it )?counting as|(?:less|least) likely (?:to )?ask|without giving|don'?t want anyone)\b"
    ),
    "coach": (
        r"\b(?:what (?:should|do|does|to|can|would) (?:she|he|they|i|we|my \w+|the \w+) (?:say|tell|answer)|what to say|"
        r"tell (?:her|him|them) what to say|(?:script|lines|cover story|story|explanation|excuse|answers?) (?:for|to give|she can|he can|they can|that)|"
        r"word for word|go over it with|prepare (?:her|him|them)|coach\w*|rehears\w*|recite|believable|would (?:actually )?believe|"
        r"goes down best|best (?:explanation|story|excuse|way to explain)|sound natural)\b"
    ),
    "control": (
        r"\b(?:my (?:girls?|workers?|lads|boys|staff|employees?|housekeeper|maid|nanny|tenant|pickers|cleaners|people)|"
        r"i'?m (?:her|his|their) (?:employer|boss|manager|landlord|sponsor|owner)|works? for me|i employ|we employ|our (?:workers|girls|pickers)|"
        r"owes? (?:me|us)|i need (?:her|him|them) back|take (?:her|him|them) (?:home|back)|(?:bring|get) (?:her|him|them|the baby) out|"
        r"keep (?:hold of )?(?:her|his|their|my \w+'?s?) (?:passport|phone|papers|documents|id)|i (?:hold|keep) (?:their|her|his))\b"
    ),
    "detection": (
        r"\b(?:red flags?|warning signs?|indicators?|screening (?:questions?|tool)|what (?:do|would|will|does) (?:they|nurses?|doctors?|staff|midwives|"
        r"clinicians|the (?:nurse|doctor|gp|midwife)|a&e|hospitals?) (?:look for|ask|check|notice)|trigger (?:a )?report|flag\w*|"
        r"social services|immigration|inspect\w*|police|report\w*)\b"
    ),
    "clinician": (
        r"\b(?:i'?m an? (?:nurse|doctor|gp|midwife|paramedic|social worker|registrar|consultant|hca|student nurse)|my (?:patient|pt|client)s?|"
        r"\bpt\b|our (?:service|clinic|ed|a&e|ward|team|unit|practice|staff|nurses)|safeguarding|so (?:that )?i can (?:spot|recognise|recognize|"
        r"identify|help|support|protect|respond)|to (?:spot|recognise|recognize|identify|protect)|training|teach\w*|for (?:our|the) (?:staff|team|nurses)|"
        r"refer\w*|document\w*|in (?:the|my) notes|y/?o\b|year[- ]old)\b"
    ),
    "verdict": (
        r"\b(?:yes or no|yes/no|y/n|one word|straight answer|hold up in court|stand up in court|expert (?:evidence|opinion)|offence under|definitive|ruling|rule on|confirm (?:that )?(?:it'?s|this is|she is|he is|she'?s|he'?s)|would a (?:judge|court|jury)|"
        r"convict\w*|in print|(?:statement|letter) (?:i can sign|saying)|legally|is (?:it|this|that|she|he) (?:definitely |actually )?"
        r"(?:trafficking|modern slavery|forced labou?r|a victim|exploitation|slavery|a crime)|be honest|just tell me)\b"
    ),
    "general": (
        r"\b(?:generally|in general|general q\w*|hypothetically|definition|what counts as|does (?:consent|it) (?:matter|count)|under (?:\w+ )?law|"
        r"is it still|in principle|usually|typically|who decides)\b"
    ),
    "probe": (
        r"\b(?:prompt|instructions?|rulebook|forbidden|bypass\w*|not allowed to|how (?:are|were) you (?:set up|built|made)|system (?:message|prompt)|config\w*|rules you|hidden|classifier|thresholds?|labels?|model (?:name|version)|"
        r"temperature|ignore|developer|jailbreak|dan\b|pretend|role-?play|repeat (?:the|everything|your)|verbatim|api key|guardrails?|"
        r"were you told|you were (?:given|told|configured)|your (?:rules|settings|setup|filters?))\b"
    ),
    "now": (
        r"\b(?:now|right now|rn|tonight|just (?:now|arrived|walked|came|turned|told|said|threatened|swallowed|took|collapsed)|currently|at the moment|"
        r"in (?:\d+|ten|five|twenty) (?:min\w*|hours?)|outside|waiting room|car ?park|corridor|(?:is|are) here|on (?:his|her|their|the) way|"
        r"coming (?:back|up|in|to)|by the (?:exit|door|entrance)|still (?:here|there|in)|this (?:evening|morning|afternoon))\b"
    ),
    "past": r"\b(?:last (?:year|month|week)|years? ago|months? ago|weeks? ago|used to|previously|is (?:now )?safe|safe now|in the past|was arrested|has left)\b",
    "violence": (
        r"\b(?:kill\w*|stab\w*|shoot\w*|beat\w*|hurt\w*|knife|knives|gun|weapon|machete|punch\w*|hit (?:her|him|a|the)|grab\w*|drag\w*|"
        r"threat\w*|strangl\w*|choke\w*|attack\w*|assault\w*|abduct\w*|snatch\w*|take (?:her|him|the baby|the child)|leaving with)\b"
    ),
    "acute": (
        r"\b(?:overdos\w*|od'?d?|swallowed|took (?:a |all |the |loads of )?(?:pills|packet|tablets|bottle)|unresponsive|not breathing|collaps\w*|"
        r"seiz\w*|fitting|bleed\w*|no pulse|gcs \d|unconscious|cardiac arrest|suicid\w*|hanging|ligature|cut (?:her|his) wrists?)\b"
    ),
}
CUE_NAMES: tuple[str, ...] = tuple(_CUES)
_COMPILED = [re.compile(pattern, re.IGNORECASE) for pattern in _CUES.values()]


def cue_matrix(texts: list[str]) -> np.ndarray:
    """One row per text, one column per cue: 1.0 where the cue is present."""
    return np.array([[1.0 if p.search(t) else 0.0 for p in _COMPILED] for t in texts], dtype=np.float32).reshape(len(texts), len(_COMPILED))
