"""Cited guidance for frontline health professionals on recognising and responding to human trafficking."""

from bot.config import Settings
from bot.pipeline import answer

__all__ = ["Settings", "answer"]
