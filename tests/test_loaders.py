"""Every supported format loads with its metadata, and bad files are named with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from bot.config import Settings
from bot.errors import IngestError
from bot.index import Index
from bot.ingest.chunker import Chunker
from bot.ingest.loaders import load_document
from bot.ingest.run import ingest
from bot.models import Question
from bot.pipeline import Pipeline
from library_files import write_sidecar

PAGE_TWO = (
    "Clinicians should record the patient's own words about who holds her passport, "
    "because retained identity documents are a red flag of forced labour."
)


def write_pdf(path: Path, pages: list[str]) -> Path:
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for text in pages:
        y = 800
        for start in range(0, len(text), 80):  # wrap by hand: reportlab draws one line per call
            pdf.drawString(40, y, text[start : start + 80])
            y -= 16
        pdf.showPage()
    pdf.save()
    return path


def test_pdf_pages_reach_the_citations(tmp_path: Path, fresh_settings: Settings) -> None:
    library = tmp_path / "library"
    library.mkdir()
    pdf = write_pdf(
        library / "handbook.pdf",
        [
            "Welcome to the handbook. This page describes the hospital car park and visiting hours.",
            PAGE_TWO,
        ],
    )
    write_sidecar(pdf, "pdf-handbook", title="A PDF handbook")

    index = Index(fresh_settings)
    report = ingest([library], index)
    assert report.ok and report.sources == 1
    assert {meta["page"] for meta in index.metadata.values()} == {1, 2}

    answer = Pipeline(fresh_settings, index).answer(
        Question(question="Who holds the patient's passport? Retained identity documents and forced labour", region="UK")
    )
    assert not answer.flags.not_covered
    cited = {c.n: c for c in answer.citations}
    page_two = [c for c in cited.values() if c.locator.startswith("p. 2")]
    assert page_two, answer.model_dump()
    assert page_two[0].title == "A PDF handbook"


def test_unreadable_pdf_is_rejected_with_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    write_sidecar(broken, "broken-pdf")
    with pytest.raises(IngestError, match="unreadable PDF"):
        load_document(broken)


def test_pdf_without_sidecar_names_the_missing_file(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "lonely.pdf", ["Some text on a page."])
    with pytest.raises(IngestError, match=r"no sidecar lonely\.pdf\.meta\.yaml"):
        load_document(pdf)


def test_html_keeps_the_heading_path(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>x</title><script>alert('no')</script></head><body>"
        "<nav>Home | About</nav>"
        "<h1>Guidance</h1><h2>Interpreters</h2><p>Use a professional interpreter, never the companion.</p>"
        "<h2>Documents</h2><ul><li>Ask who keeps the patient's passport.</li></ul>"
        "</body></html>",
        encoding="utf-8",
    )
    write_sidecar(page, "html-guidance")
    document = load_document(page)
    chunks = Chunker(900, 100).chunks(document)
    paths = {c.text: c.heading_path for c in chunks}
    assert paths == {
        "Use a professional interpreter, never the companion.": ["Guidance", "Interpreters"],
        "Ask who keeps the patient's passport.": ["Guidance", "Documents"],
    }
    assert not any("alert" in c.text or "Home | About" in c.text for c in chunks)


def test_plain_text_with_front_matter_or_sidecar(tmp_path: Path) -> None:
    with_front = tmp_path / "a.txt"
    with_front.write_text(
        "---\nid: text-a\ntitle: Text A\npublisher: P\nyear: 2020\nurl: https://example.org/a\n"
        "type: tool\nregion: us\n---\nPlain text body.\n",
        encoding="utf-8",
    )
    with_sidecar = tmp_path / "b.txt"
    with_sidecar.write_text("Another plain body.\n", encoding="utf-8")
    write_sidecar(with_sidecar, "text-b")

    a, b = load_document(with_front), load_document(with_sidecar)
    assert (a.source.id, a.source.region, a.sections[0].text.strip()) == ("text-a", "US", "Plain text body.")
    assert (b.source.id, b.sections[0].text.strip()) == ("text-b", "Another plain body.")


def test_markdown_heading_path_leaves_out_the_document_title(tmp_path: Path) -> None:
    from library_files import INTERPRETERS, write_markdown

    document = load_document(write_markdown(tmp_path, "interpreters", INTERPRETERS))
    chunks = Chunker(900, 100).chunks(document)
    assert [c.heading_path for c in chunks] == [["Using interpreters safely"], ["Telephone interpreting"]]


def test_unsupported_and_non_utf8_files(tmp_path: Path) -> None:
    docx = tmp_path / "x.docx"
    docx.write_bytes(b"PK\x03\x04")
    with pytest.raises(IngestError, match="unsupported file type .docx"):
        load_document(docx)
    latin = tmp_path / "latin.md"
    latin.write_bytes("---\nid: x\n---\ncaf\xe9".encode("latin-1"))
    with pytest.raises(IngestError, match="not UTF-8"):
        load_document(latin)
