"""`bot ingest --wordpress` against a loopback server speaking the WordPress REST wire format."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import IngestError
from bot.index import Index
from bot.ingest.wordpress import ingest_wordpress
from bot.models import Question
from bot.pipeline import Pipeline
from conftest import bot_env, free_port, run_bot
from test_loaders import write_pdf
from wordpress_server import Item, Site, WordPressServer

CATEGORIES = {3: "Publications", 4: "Guidance", 5: "Standards & Codes of Conduct", 6: "News & Analysis"}
TAGS = {10: "Europe", 11: "Global", 12: "Asia"} | {100 + i: f"Topic {i}" for i in range(12)}
PDF_PAGE_TWO = (
    "Health workers who suspect forced labour should ask who holds the patient's passport "
    "and whether the patient owes a recruitment debt to the employer."
)


def build_site(tmp_path: Path) -> Site:
    pdf = write_pdf(tmp_path / "report.pdf", ["Cover page of the scoping review report.", PDF_PAGE_TWO])
    return Site(
        categories=CATEGORIES,
        tags=TAGS,
        files={"/wp-content/uploads/2023/05/review.pdf": pdf.read_bytes()},
        posts=[
            Item(
                id=9131,
                slug="health-systems-review",
                title="Addressing human trafficking through health systems: a scoping review",
                content_html=(
                    "<p>The review maps how health systems can identify and support trafficked people.</p>"
                    "<p>Addressing human trafficking through health systems \u2013 World Health Organization, "
                    'May 2023 <a href="/wp-content/uploads/2023/05/review.pdf">DOWNLOAD</a></p>'
                ),
                categories=[3, 4],
                tags=[10, *range(100, 112)],  # more than WordPress embeds: the rest must be fetched
            ),
            Item(
                id=6946,
                slug="real-care-is-rare",
                title="Real Care is Rare: An On-the-Ground Perspective on Blood Diamonds",
                content_html=(
                    "<h2>Summary</h2><p>A civil-society report on abuses against artisanal diamond miners.</p>"
                    '<p>Real Care is Rare \u2013 Kimberley Process Civil Society Coalition, 2015 '
                    '<a href="/wp-content/uploads/missing.pdf">DOWNLOAD</a></p>'
                ),
                date="2015-11-02T09:00:00",
                modified="2015-11-02T09:00:00",
                categories=[3, 6],
                tags=[11],
            ),
            Item(
                id=7001,
                slug="ethical-recruitment",
                title="An Ethical Framework for Cross-Border Labor Recruitment",
                content_html="<p>Standards of ethical practice for labour recruiters, against recruitment debt.</p>",
                date="2012-02-20T09:00:00",
                modified="2012-02-20T09:00:00",
                categories=[5],
                tags=[12],
            ),
        ],
        pages=[Item(id=2, slug="about", title="About the resource centre", content_html="<p>About this library of resources for business.</p>")],
    )


@pytest.fixture
def wordpress(tmp_path: Path) -> Iterator[WordPressServer]:
    with WordPressServer(build_site(tmp_path)) as server:
        yield server


def sources_by_id(index: Index) -> dict[str, dict]:
    return index.sources()


def test_posts_are_indexed_with_mapped_metadata_and_linked_pdf_pages(
    wordpress: WordPressServer, fresh_settings: Settings
) -> None:
    index = Index(fresh_settings)
    report = ingest_wordpress(wordpress.base_url, index, per_page=2)

    assert report.ok and report.sources == 3
    assert ["/wp-json/wp/v2/posts?per_page=2&page=1&_embed=1", "/wp-json/wp/v2/posts?per_page=2&page=2&_embed=1"] == [
        r for r in wordpress.site.requests if r.startswith("/wp-json/wp/v2/posts")
    ], "paged through X-WP-TotalPages"
    (warning,) = report.warnings
    assert warning.path.endswith("/real-care-is-rare/") and "answered 404" in warning.reason

    sources = sources_by_id(index)
    review = sources["wp-127-0-0-1-9131"]
    assert review["title"] == "Addressing human trafficking through health systems: a scoping review"
    assert review["publisher"] == "World Health Organization"
    assert (review["type"], review["region"], review["year"]) == ("guidance", "Europe", 2023)
    assert review["url"] == f"{wordpress.base_url}/health-systems-review/"
    diamonds = sources["wp-127-0-0-1-6946"]
    assert (diamonds["type"], diamonds["region"], diamonds["year"]) == ("publication", "international", 2015)
    assert diamonds["publisher"] == "Kimberley Process Civil Society Coalition"
    assert sources["wp-127-0-0-1-7001"]["type"] == "standard"
    assert sources["wp-127-0-0-1-7001"]["publisher"] == "Test Resource Centre", "no credit line: the site's name"

    review_chunks = [m for m in index.metadata.values() if m["source_id"] == "wp-127-0-0-1-9131"]
    assert {m.get("page") for m in review_chunks} >= {1, 2}
    tags = set(review_chunks[0]["tags"].split(","))
    assert {"europe", "topic-0", "topic-11", "publications", "guidance"} <= tags
    assert any("/wp-json/wp/v2/tags?include=" in r for r in wordpress.site.requests), "terms beyond the embedded 10"
    assert not any(m["clinical"] for m in index.metadata.values()), "an imported library is background by default"

    answer = Pipeline(fresh_settings, index).answer(
        Question(question="Should health workers ask who holds the patient's passport and about recruitment debt?", region="UK")
    )
    pdf_citations = [c for c in answer.citations if c.locator.startswith("p. 2")]
    assert pdf_citations and pdf_citations[0].url == f"{wordpress.base_url}/health-systems-review/"


def test_second_run_fetches_nothing_again_and_changes_nothing(wordpress: WordPressServer, fresh_settings: Settings) -> None:
    index = Index(fresh_settings)
    first = ingest_wordpress(wordpress.base_url, index)
    wordpress.site.requests.clear()

    second = ingest_wordpress(wordpress.base_url, index)

    assert (second.added, second.updated, second.removed) == (0, 0, 0)
    assert (second.sources, second.chunks, second.unchanged) == (first.sources, first.chunks, first.chunks)
    assert not any(r.startswith("/wp-content/") for r in wordpress.site.requests), "unchanged posts are not refetched"


def test_modified_and_deleted_posts(wordpress: WordPressServer, fresh_settings: Settings) -> None:
    index = Index(fresh_settings)
    ingest_wordpress(wordpress.base_url, index)
    before = {cid for cid, m in index.metadata.items() if m["source_id"] == "wp-127-0-0-1-9131"}

    site = wordpress.site
    recruitment = next(p for p in site.posts if p.id == 7001)
    recruitment.content_html = "<p>Revised standards: recruiters must never charge workers recruitment fees.</p>"
    recruitment.modified = "2024-01-10T12:00:00"
    site.posts = [p for p in site.posts if p.id != 6946]

    report = ingest_wordpress(wordpress.base_url, index)

    assert report.removed >= 2 and report.added == 1
    sources = index.sources()
    assert "wp-127-0-0-1-6946" not in sources
    assert {cid for cid, m in index.metadata.items() if m["source_id"] == "wp-127-0-0-1-9131"} == before
    texts = [c.text for c in index.store.get_chunks([c for c, m in index.metadata.items() if m["source_id"] == "wp-127-0-0-1-7001"])]
    assert texts == ["Revised standards: recruiters must never charge workers recruitment fees."]


def test_pages_only_when_asked(wordpress: WordPressServer, fresh_settings: Settings) -> None:
    index = Index(fresh_settings)
    ingest_wordpress(wordpress.base_url, index)
    assert "wp-127-0-0-1-page-2" not in index.sources()
    ingest_wordpress(wordpress.base_url, index, include_pages=True)
    assert index.sources()["wp-127-0-0-1-page-2"]["title"] == "About the resource centre"


def test_unreachable_site_is_a_clear_error_and_loses_nothing(wordpress: WordPressServer, fresh_settings: Settings) -> None:
    index = Index(fresh_settings)
    ingest_wordpress(wordpress.base_url, index)
    before = dict(index.metadata)
    with pytest.raises(IngestError, match="cannot reach the WordPress REST API"):
        ingest_wordpress(f"http://127.0.0.1:{free_port()}", index)
    with pytest.raises(IngestError, match="not a WordPress site address"):
        ingest_wordpress("ftp://example.org", index)
    assert Index(fresh_settings).metadata == before


def test_cli_ingests_a_wordpress_site_end_to_end(wordpress: WordPressServer, tmp_path: Path) -> None:
    env = bot_env(tmp_path / "data")
    done = run_bot("ingest", "--wordpress", wordpress.base_url, "--wp-pages", "--json", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["sources"] == 4 and report["rejected"] == [] and len(report["warnings"]) == 1
    clash = run_bot("ingest", "somewhere/", "--wordpress", wordpress.base_url, env=env)
    assert clash.returncode == 2 and "either PATHs or --wordpress" in clash.stderr
