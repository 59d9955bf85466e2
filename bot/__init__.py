"""Cited guidance for frontline health professionals on recognising and responding to human trafficking."""

import os

# OpenMP's worker threads otherwise spin after each of torch's parallel regions; on a two-core
# server they then compete with the triage and retrieval work that follows an embedding
# (`bot bench`: triage p95 17.6 -> 13.1 ms, question embedding plus triage p95 123 -> 41 ms).
# Set before torch is imported; an operator's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from bot.config import Settings  # noqa: E402
from bot.pipeline import answer  # noqa: E402

__all__ = ["Settings", "answer"]
