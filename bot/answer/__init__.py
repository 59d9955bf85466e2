"""Answerers: the offline extractive one (and, later, an LLM one) behind one interface."""

from bot.answer.extractive import NOT_COVERED_TEXT
from bot.judge.replies import (
    HIDDEN_CONFIG_TEXT, LOCAL_EMERGENCY_LINE, NO_REGION_NOTE, OUT_OF_SCOPE_TEXT, PII_REMINDER, REFUSAL_TEXT, SECURITY_LINE,
    VERDICT_TEXT,
)

# Text the product itself writes (declines, escalation lines without a number): not quoted
# evidence, so not expected to carry citations. The eval harness leaves these out of its
# uncited-sentence count.
FIXED_TEXTS: tuple[str, ...] = (
    NOT_COVERED_TEXT, OUT_OF_SCOPE_TEXT, REFUSAL_TEXT, VERDICT_TEXT, HIDDEN_CONFIG_TEXT, PII_REMINDER,
    SECURITY_LINE, LOCAL_EMERGENCY_LINE, NO_REGION_NOTE,
)

__all__ = ["FIXED_TEXTS", "NOT_COVERED_TEXT"]
