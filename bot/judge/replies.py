"""The fixed texts the product itself writes: declines, reminders and the escalation lines
that carry no number. None of them is evidence, so none carries a citation."""

from __future__ import annotations

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
