"""Answerers: the offline extractive one (and, later, an LLM one) behind one interface."""

from bot.answer.extractive import NOT_COVERED_TEXT

# Text the product itself writes (declines, escalation blocks): not quoted evidence, so not
# expected to carry citations. The eval harness leaves these out of its uncited-sentence count.
FIXED_TEXTS: tuple[str, ...] = (NOT_COVERED_TEXT,)

__all__ = ["FIXED_TEXTS", "NOT_COVERED_TEXT"]
