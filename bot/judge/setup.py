"""The scrubber and judge as the product configures them: the library's referral numbers and the
names of the services it refers to are never taken for a patient's identifiers."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import get_settings
from bot.judge.identifiers import IdentifierScrubber
from bot.judge.model import MODEL_DIR
from bot.judge.name_tagger import NameTagger
from bot.referrals import Referrals, load_referrals


def service_words(referrals: Referrals) -> set[str]:
    """Names of the services the library refers to (Unseen, Barnardo's, Polaris, …), word by word."""
    words = set()
    for entry in referrals.regions.values():
        for contact in entry.contacts():
            for name in [contact.name, *contact.aliases]:
                words.update(re.sub(r"['’]s$", "", w) for w in re.findall(r"[A-Z][\w'’&-]+", name))
    return words | {"NHS", "WHO", "IOM", "ILO", "UNODC", "OSCE", "GRETA", "Unseen", "Polaris", "Barnardo", "Childline"}


def scrubber_for(referrals: Referrals, tagger_dir: Path | None = MODEL_DIR) -> IdentifierScrubber:
    """The product's scrubber, with the trained name tagger from `tagger_dir` (None: without it,
    as `bot triage build` uses it to train the tagger)."""
    tagger = NameTagger.load(tagger_dir) if tagger_dir is not None else None
    return IdentifierScrubber(keep=referrals.numbers(), keep_words=service_words(referrals), tagger=tagger)


def default_scrubber(knowledge_dir: Path | None = None, tagger_dir: Path | None = MODEL_DIR) -> IdentifierScrubber:
    directory = knowledge_dir or get_settings().knowledge_dir
    return scrubber_for(load_referrals(directory / "referrals.yaml"), tagger_dir)
