"""A real `chroma run` server on loopback gives the same index and answers as embedded Chroma."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import IndexNotReady
from bot.index import Index
from bot.ingest.run import ingest
from bot.models import Question
from bot.pipeline import Pipeline
from conftest import KNOWLEDGE, make_settings

FILES = [
    KNOWLEDGE / "uk-nrm-duty-to-notify-helpline.md",
    KNOWLEDGE / "us-national-human-trafficking-hotline.md",
    KNOWLEDGE / "ilo-indicators-forced-labour.md",
]
QUESTIONS = [
    "What is the UK modern slavery helpline number?",
    "Can a patient text the US hotline?",
    "What are the indicators of forced labour?",
    "Does an adult have to consent to an NRM referral?",
]


@pytest.mark.server
def test_embedded_and_server_chroma_agree(chroma_server: str, tmp_path: Path) -> None:
    embedded = Index(make_settings(tmp_path / "embedded"))
    served = Index(make_settings(tmp_path / "served", chroma_url=chroma_server))
    assert ingest(FILES, embedded).model_dump() == ingest(FILES, served).model_dump()
    assert embedded.metadata == served.metadata

    again = ingest(FILES, served)
    assert (again.added, again.updated, again.removed) == (0, 0, 0), "re-ingest into the server is a no-op too"

    for question in QUESTIONS:
        a = Pipeline(embedded.settings, embedded).answer(Question(question=question))
        b = Pipeline(served.settings, served).answer(Question(question=question))
        assert [e.chunk_id for e in a.evidence] == [e.chunk_id for e in b.evidence], question
        assert a.text == b.text and a.citations == b.citations


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    from conftest import free_port

    with pytest.raises(IndexNotReady, match="cannot reach the Chroma server at http://127.0.0.1"):
        Index(make_settings(tmp_path, chroma_url=f"http://127.0.0.1:{free_port()}"))
