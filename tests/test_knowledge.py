"""Every shipped library file loads with complete metadata."""

from __future__ import annotations

import pytest

from bot.ingest.loaders import load_document
from conftest import KNOWLEDGE

FILES = sorted(KNOWLEDGE.glob("*.md"))


def test_the_library_is_not_empty() -> None:
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_library_file_is_complete(path) -> None:
    document = load_document(path)
    source = document.source
    assert source.id == path.stem, "the file name is the source id"
    assert source.reviewed is not None, "every summary records when its facts were last checked"
    assert str(source.url).startswith("https://") or str(source.url).startswith("http://")
    assert sum(len(s.text.split()) for s in document.sections) >= 300, "a summary worth citing"
