"""Every shipped library file loads with complete, well-formed and unique metadata."""

from __future__ import annotations

from collections import Counter
from datetime import date
from urllib.parse import urlparse

import pytest

from bot.ingest.loaders import load_document
from bot.ingest.quarantine import without_instructions
from bot.models import REGIONS
from conftest import KNOWLEDGE

FILES = sorted(p for p in KNOWLEDGE.glob("*.md") if p.name != "README.md")


def test_the_library_covers_the_sources_list() -> None:
    assert len(FILES) >= 44, "S1 to S40 and the origin library's publications, one file each"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_library_file_is_complete(path) -> None:
    source = load_document(path).source  # the loader rejects missing or invalid required metadata
    assert source.id == path.stem, "the file name is the source id"
    assert isinstance(source.reviewed, date), "every summary records when its facts were last checked"
    url = urlparse(str(source.url))
    assert url.scheme in ("https", "http") and "." in (url.hostname or ""), "a URL a clinician can open"
    assert source.region in REGIONS
    assert source.tags, "tags let the library be filtered"
    assert source.applies, "every file says whether its guidance is universal or bound to its jurisdiction"
    if source.type in ("law", "hotline") and source.region != "international":
        assert source.applicability == "jurisdiction", "a country's law or hotline is bound to its jurisdiction"
    if source.type == "background":
        assert not source.clinical, "background reading is never presented as clinical guidance"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_library_file_is_a_summary_worth_citing(path) -> None:
    document = load_document(path)
    words = sum(len(s.text.split()) for s in document.sections)
    assert words >= 150, f"{words} words"
    body = "\n".join(s.text for s in document.sections)
    assert "[M]" not in body and "[V2]" not in body and "TODO" not in body, "review marks stay out of the text"
    assert without_instructions(document)[1] == [], "no sentence of real guidance is mistaken for an injection"


def test_ids_and_titles_are_unique() -> None:
    sources = [load_document(p).source for p in FILES]
    for field in ("id", "title"):
        counts = Counter(getattr(s, field).strip().lower() for s in sources)
        assert [v for v, n in counts.items() if n > 1] == [], f"duplicate {field}"
