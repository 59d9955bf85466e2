"""What a message can be, and what the product does with each."""

from __future__ import annotations

from enum import Enum


class Intent(str, Enum):
    IN_SCOPE = "in_scope"          # answered from the library
    EMERGENCY = "emergency"        # danger now: the escalation block comes first, whatever else happens
    EXPLOITER = "exploiter"        # help for an exploiter or evasion of detection: refused
    VERDICT = "verdict"            # a demand for a legal verdict on a case: declined
    PROBE = "probe"                # a probe for instructions or configuration: declined
    OUT_OF_SCOPE = "out_of_scope"  # outside the remit: declined as such


INTENTS: tuple[str, ...] = tuple(i.value for i in Intent)
REFUSED: tuple[str, ...] = (Intent.EXPLOITER.value, Intent.VERDICT.value, Intent.PROBE.value)
