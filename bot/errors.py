"""The errors a user may see, each with a message that says what to do.

    BotError
    ├── IngestError        a file or path that cannot be ingested
    ├── IndexNotReady      no index built yet, or the Chroma server cannot be reached
    └── ConfigError        a setting that cannot work
"""

from __future__ import annotations


class BotError(Exception):
    """Base class: its message is shown to the user as it is."""


class IngestError(BotError):
    """A file or path that cannot be ingested; the message names it and why."""


class IndexNotReady(BotError):
    """The index is empty or unreachable; the message says how to build or reach it."""


class ConfigError(BotError):
    """A setting that cannot work."""
