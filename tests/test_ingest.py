"""Ingest is incremental, idempotent, exact on change, and loses nothing on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.config import Settings
from bot.index import Index
from bot.ingest.run import ingest
from conftest import bot_env, run_bot
from library_files import DOCUMENTS, INTERPRETERS, write_markdown


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "library"
    folder.mkdir()
    write_markdown(folder, "interpreters", INTERPRETERS)
    write_markdown(folder, "documents", DOCUMENTS)
    return folder


def chunk_ids(index: Index, source_id: str) -> set[str]:
    return {cid for cid, meta in index.metadata.items() if meta["source_id"] == source_id}


def test_second_run_over_unchanged_files_changes_nothing(library: Path, fresh_settings: Settings) -> None:
    index = Index(fresh_settings)
    first = ingest([library], index)
    assert first.ok and first.sources == 2 and first.added == first.chunks > 0
    before = dict(index.metadata)

    second = ingest([library], index)

    assert (second.added, second.updated, second.removed) == (0, 0, 0)
    assert second.unchanged == first.chunks
    assert index.metadata == before
    assert index.store.count() == first.chunks


def test_a_changed_file_replaces_exactly_its_own_chunks(library: Path, fresh_settings: Settings) -> None:
    index = Index(fresh_settings)
    ingest([library], index)
    documents_before = chunk_ids(index, "documents")
    interpreters_before = chunk_ids(index, "interpreters")

    changed = INTERPRETERS.replace(
        "Telephone interpreting services can be reached from any consulting room in the hospital.",
        "Video interpreting is available in the emergency department at all hours.",
    )
    write_markdown(library, "interpreters", changed)
    report = ingest([library], index)

    assert (report.added, report.removed, report.updated) == (1, 1, 0)
    assert chunk_ids(index, "documents") == documents_before
    after = chunk_ids(index, "interpreters")
    assert len(after - interpreters_before) == 1 and len(interpreters_before - after) == 1
    texts = [c.text for c in index.store.get_chunks(sorted(after))]
    assert any("Video interpreting" in t for t in texts)
    assert not any("Telephone interpreting services" in t for t in texts)
    stale = index.store.sentences_of(sorted(interpreters_before - after))
    assert all(not sentences for sentences in stale.values()), "the old chunk's sentences must go too"


def test_metadata_change_updates_chunks_in_place(library: Path, fresh_settings: Settings) -> None:
    index = Index(fresh_settings)
    ingest([library], index)
    ids = chunk_ids(index, "documents")
    write_markdown(library, "documents", DOCUMENTS, year=2025, region="UK-England")

    report = ingest([library], index)

    assert report.updated == len(ids) and report.added == report.removed == 0
    assert chunk_ids(index, "documents") == ids
    assert {index.metadata[c]["year"] for c in ids} == {2025}
    sentences = index.store.sentences_of(sorted(ids))
    assert {s.chunk_id for group in sentences.values() for s in group} == ids
    region_hits = index.store.dense_sentence_search(
        index.embedder.encode(["passport"])[0], 5, {"region": {"$in": ["UK-England"]}}
    )
    assert region_hits and {cid for cid, _ in region_hits} <= ids


def test_a_deleted_file_loses_its_chunks(library: Path, fresh_settings: Settings) -> None:
    index = Index(fresh_settings)
    ingest([library], index)
    gone = chunk_ids(index, "documents")
    (library / "documents.md").unlink()

    report = ingest([library], index)

    assert report.removed == len(gone) and report.sources == 1
    assert chunk_ids(index, "documents") == set()
    assert chunk_ids(index, "interpreters")


def test_bad_files_are_rejected_by_name_and_nothing_indexed_is_lost(library: Path, fresh_settings: Settings) -> None:
    index = Index(fresh_settings)
    ingest([library], index)
    before = dict(index.metadata)

    # The previously good file loses its year; a new file has no front matter; a third reuses an id.
    (library / "documents.md").write_text(
        (library / "documents.md").read_text().replace("year: 2024\n", ""), encoding="utf-8"
    )
    (library / "notes.md").write_text("# Notes\nNo front matter here.\n", encoding="utf-8")
    write_markdown(library, "copy-of-interpreters", INTERPRETERS, title="Copy")
    text = (library / "copy-of-interpreters.md").read_text().replace("id: copy-of-interpreters", "id: interpreters")
    (library / "copy-of-interpreters.md").write_text(text, encoding="utf-8")

    report = ingest([library], index)

    reasons = {Path(r.path).name: r.reason for r in report.rejected}
    assert "missing required metadata" in reasons["documents.md"] and "year" in reasons["documents.md"]
    assert "front matter" in reasons["notes.md"]
    assert "duplicate id 'interpreters'" in reasons["copy-of-interpreters.md"]
    assert "also used by" in reasons["interpreters.md"], "neither duplicate wins by name order"
    assert index.metadata == before, "a rejected file keeps the chunks it had"


def test_invalid_metadata_values_are_named(library: Path, fresh_settings: Settings) -> None:
    write_markdown(library, "bad-values", DOCUMENTS, region="Narnia", type="opinion", url="not a url")
    report = ingest([library / "bad-values.md"], Index(fresh_settings))
    (rejected,) = report.rejected
    assert "invalid metadata in bad-values.md" in rejected.reason
    for field in ("region", "type", "url"):
        assert field in rejected.reason
    assert "unknown region 'Narnia'" in rejected.reason


def test_cli_json_report_and_exit_status(library: Path, tmp_path: Path) -> None:
    env = bot_env(tmp_path / "data")
    good = run_bot("ingest", str(library), "--json", env=env)
    assert good.returncode == 0, good.stderr
    report = json.loads(good.stdout)
    assert set(report) == {"sources", "chunks", "added", "updated", "removed", "unchanged", "rejected", "warnings"}
    assert report["sources"] == 2 and report["added"] == report["chunks"]

    (library / "broken.md").write_text("---\nid: broken\ntitle: [unclosed\n---\ntext\n", encoding="utf-8")
    bad = run_bot("ingest", str(library), "--json", env=env)
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    assert report["unchanged"] == report["chunks"] and report["added"] == 0
    assert report["rejected"][0]["path"].endswith("broken.md")
    assert "not valid YAML" in report["rejected"][0]["reason"]

    missing = run_bot("ingest", str(tmp_path / "nowhere"), env=env)
    assert missing.returncode == 1 and "no such file or folder" in missing.stderr

    listed = run_bot("sources", "--json", env=env)
    assert {s["source_id"]: s["chunks"] for s in json.loads(listed.stdout)} == {
        "documents": 1,
        "interpreters": 2,
    }


def test_a_running_pipeline_sees_an_ingest_made_by_another_process(library: Path, fresh_settings: Settings) -> None:
    from bot.models import Question
    from bot.pipeline import Pipeline
    from library_files import write_markdown

    serving = Pipeline(fresh_settings)  # as `bot serve` holds it
    ingest([library], Index(fresh_settings))  # as a separate `bot ingest` run does
    assert serving.answer(Question(question="Who should interpret for the patient?", region="UK")).citations

    write_markdown(
        library, "helpline", "# Helpline\n\n## Numbers\nThe test helpline for professionals answers on 0100 000 0000 at all hours.\n"
    )
    ingest([library], Index(fresh_settings))
    answer = serving.answer(Question(question="What number does the test helpline for professionals answer on?", region="UK"))
    assert "0100 000 0000" in answer.text
    assert "helpline" in serving.index.sources(), "metadata and BM25 caught up, not only Chroma"
    assert any(cid.startswith("helpline:") for cid in serving.index.bm25.ids)
