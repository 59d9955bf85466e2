"""Bring in an organisation's WordPress resource library through the WordPress REST API.

Posts (and, optionally, pages) come from `/wp-json/wp/v2/posts` page by page, with `_embed` so
categories and tags arrive as names. Categories map to a source `type`, tags to `tags` and
`region`; the post link is the `url`, the publication date the `year`. A linked PDF (a
"DOWNLOAD" link, or any link to a .pdf) is fetched and indexed with its page numbers. A post
whose `modified` stamp is unchanged since the last run is not fetched again.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlparse

import httpx
from bs4 import BeautifulSoup

from bot.errors import IngestError
from bot.ingest.loaders import LoadedDocument, Section, html_sections, pdf_sections, source_from_metadata
from bot.index import Index
from bot.ingest.run import Collected, Ingestor, IngestReport, Progress, Rejected

PER_PAGE = 100  # the REST API's maximum
MAX_PDF_BYTES = 50 * 1024 * 1024

# The category labels resource libraries such as RESPECT use, mapped to our source types; the
# first mapped category of a post (in this order of preference) decides its type.
CATEGORY_TYPES: dict[str, str] = {
    "guidance": "guidance",
    "standards & codes of conduct": "standard",
    "standards and codes of conduct": "standard",
    "online tools": "tool",
    "tools": "tool",
    "laws": "law",
    "legislation": "law",
    "hotlines": "hotline",
    "research": "evidence",
    "evidence": "evidence",
    "publications": "publication",
    "reports": "publication",
    "news & analysis": "background",
    "news and analysis": "background",
    "covid-19 resources": "guidance",
}
TAG_REGIONS: dict[str, str] = {
    "global": "international",
    "international": "international",
    "worldwide": "international",
    "europe": "Europe",
    "eu": "EU",
    "european union": "EU",
    "uk": "UK",
    "united kingdom": "UK",
    "england": "UK-England",
    "wales": "UK-Wales",
    "scotland": "UK-Scotland",
    "northern ireland": "UK-NI",
    "us": "US",
    "usa": "US",
    "united states": "US",
    "north america": "international",
    "canada": "CA",
    "ontario": "CA-ON",
}
_DOWNLOAD_LINE = re.compile(r"^(?P<title>.+?)\s+[\u2013\u2014-]\s+(?P<publisher>[^,\u2013\u2014]+?),\s*(?:[A-Z][a-z]+\s+)?\d{4}\b")


@dataclass
class Term:
    name: str
    taxonomy: str


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _text(rendered: Any) -> str:
    value = rendered.get("rendered", "") if isinstance(rendered, dict) else str(rendered or "")
    return " ".join(html.unescape(BeautifulSoup(value, "html.parser").get_text(" ")).split())


class WordPressSite:
    """A WordPress site's REST API, read-only."""

    def __init__(self, base_url: str, client: httpx.Client, per_page: int = PER_PAGE) -> None:
        parsed = urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise IngestError(f"not a WordPress site address: {base_url!r} (use https://example.org)")
        self.base = base_url.rstrip("/")
        self.client = client
        self.per_page = per_page
        self.terms: dict[tuple[str, int], Term] = {}

    def _get(self, route: str, params: dict[str, Any] | None = None) -> httpx.Response:
        url = f"{self.base}/wp-json{route}"
        try:
            response = self.client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise IngestError(f"cannot reach the WordPress REST API at {url}: {exc}") from exc
        if response.status_code != 200:
            raise IngestError(f"the WordPress REST API answered {response.status_code} for {response.url}")
        return response

    def name(self) -> str:
        try:
            return str(self._get("/").json().get("name") or urlparse(self.base).hostname)
        except (IngestError, ValueError):
            return str(urlparse(self.base).hostname)

    def items(self, kind: str, progress: Progress) -> list[dict[str, Any]]:
        """Every published item of `kind` (posts or pages), following X-WP-TotalPages."""
        found: list[dict[str, Any]] = []
        page, total_pages = 1, 1
        while page <= total_pages:
            response = self._get(f"/wp/v2/{kind}", {"per_page": self.per_page, "page": page, "_embed": "1"})
            try:
                batch = response.json()
                total_pages = int(response.headers.get("X-WP-TotalPages", "1"))
            except ValueError as exc:
                raise IngestError(f"the WordPress REST API sent something that is not JSON for {kind}") from exc
            if not isinstance(batch, list):
                raise IngestError(f"the WordPress REST API sent no list of {kind} on page {page}")
            found.extend(batch)
            progress(f"wp {kind}", len(found), int(response.headers.get("X-WP-Total", len(found))))
            page += 1
        return found

    def remember_embedded_terms(self, item: dict[str, Any]) -> None:
        for group in item.get("_embedded", {}).get("wp:term", []):
            for term in group:
                if isinstance(term, dict) and "id" in term:
                    taxonomy = term.get("taxonomy", "")
                    self.terms[(taxonomy, term["id"])] = Term(html.unescape(term.get("name", "")), taxonomy)

    def resolve(self, taxonomy: str, route: str, ids: list[int]) -> list[Term]:
        """Names for term ids; those not embedded (WordPress embeds at most 10) are fetched."""
        missing = [i for i in ids if (taxonomy, i) not in self.terms]
        if missing:
            for term in self._get(f"/wp/v2/{route}", {"include": ",".join(map(str, missing)), "per_page": PER_PAGE}).json():
                self.terms[(taxonomy, term["id"])] = Term(html.unescape(term.get("name", "")), taxonomy)
        return [self.terms[(taxonomy, i)] for i in ids if (taxonomy, i) in self.terms]


def _pdf_link(content_html: str, page_url: str) -> str | None:
    soup = BeautifulSoup(content_html, "html.parser")
    links = [a for a in soup.find_all("a", href=True)]
    for anchor in links:
        if "download" in anchor.get_text(" ", strip=True).lower():
            return urljoin(page_url, anchor["href"])
    for anchor in links:
        if urlparse(anchor["href"]).path.lower().endswith(".pdf"):
            return urljoin(page_url, anchor["href"])
    return None


def _fetch_pdf(client: httpx.Client, url: str) -> list[Section]:
    try:
        response = client.get(url, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise IngestError(f"cannot fetch the linked PDF {url}: {exc}") from exc
    if response.status_code != 200:
        raise IngestError(f"the linked PDF {url} answered {response.status_code}")
    if len(response.content) > MAX_PDF_BYTES:
        raise IngestError(f"the linked PDF {url} is larger than {MAX_PDF_BYTES // (1024 * 1024)} MB")
    if not response.content.startswith(b"%PDF"):
        raise IngestError(f"the linked file {url} is not a PDF")
    return pdf_sections(response.content)


def _publisher(text: str, site_name: str) -> str:
    """'Title – Publisher, Year DOWNLOAD' is how such libraries credit the original publisher."""
    for line in text.splitlines() + [text]:
        match = _DOWNLOAD_LINE.search(line.replace("DOWNLOAD", "").strip())
        if match:
            return match.group("publisher").strip()
    return site_name


class WordPressCollector:
    def __init__(self, site: WordPressSite, existing: dict[str, dict[str, Any]], clinical: bool) -> None:
        self.site = site
        self.clinical = clinical
        # The modified stamp each post had when last indexed, by source id.
        self.indexed: dict[str, str] = {
            meta["source_id"]: str(meta.get("wp_modified", ""))
            for meta in existing.values()
            if meta.get("origin") == site.base
        }

    def source_id(self, kind: str, item: dict[str, Any]) -> str:
        host = _slug(urlparse(self.site.base).hostname or "wordpress")
        return f"wp-{host}-{'page-' if kind == 'pages' else ''}{item['id']}"

    def document(self, kind: str, item: dict[str, Any], site_name: str, report: IngestReport) -> LoadedDocument:
        self.site.remember_embedded_terms(item)
        categories = self.site.resolve("category", "categories", item.get("categories", []))
        tags = self.site.resolve("post_tag", "tags", item.get("tags", []))
        link = item.get("link") or f"{self.site.base}/?p={item['id']}"
        content = item.get("content", {}).get("rendered", "")
        title = _text(item.get("title"))
        types = [CATEGORY_TYPES[c.name.lower()] for c in categories if c.name.lower() in CATEGORY_TYPES]
        regions = [TAG_REGIONS[t.name.lower()] for t in tags if t.name.lower() in TAG_REGIONS]
        meta = {
            "id": self.source_id(kind, item),
            "title": title or f"Untitled {kind[:-1]} {item['id']}",
            "publisher": _publisher(BeautifulSoup(content, "html.parser").get_text("\n"), site_name),
            "authors": [a.get("name") for a in item.get("_embedded", {}).get("author", []) if isinstance(a, dict) and a.get("name")],
            "year": int(str(item.get("date", ""))[:4]),
            "url": link,
            "type": min(types, key=list(CATEGORY_TYPES.values()).index) if types else "publication",
            "tags": sorted({_slug(t.name) for t in tags} | {_slug(c.name) for c in categories}),
            "region": regions[0] if regions else "international",
            "clinical": self.clinical,
        }
        source = source_from_metadata(meta, link)
        sections = [s for s in html_sections(content) if s.text.strip()]
        pdf_url = _pdf_link(content, link)
        if pdf_url:
            try:
                sections += _fetch_pdf(self.site.client, pdf_url)
            except IngestError as exc:
                report.warnings.append(Rejected(path=link, reason=f"{exc}; the post's own text was indexed"))
        if not sections:
            raise IngestError("the post has no text and no readable linked PDF")
        return LoadedDocument(
            location=link,
            source=source,
            sections=sections,
            extra={"origin": self.site.base, "wp_id": int(item["id"]), "wp_modified": str(item.get("modified", ""))},
        )

    def collect(self, kinds: list[str], report: IngestReport, progress: Progress) -> Collected:
        site_name = self.site.name()
        documents: list[LoadedDocument] = []
        unchanged: set[str] = set()
        items = [(kind, item) for kind in kinds for item in self.site.items(kind, progress)]
        for done, (kind, item) in enumerate(items, 1):
            progress("reading", done, len(items))
            source_id = self.source_id(kind, item)
            if self.indexed.get(source_id) == str(item.get("modified", "")) and str(item.get("modified", "")):
                unchanged.add(source_id)
                continue
            try:
                documents.append(self.document(kind, item, site_name, report))
            except (IngestError, KeyError, ValueError, TypeError) as exc:
                reason = str(exc) if isinstance(exc, IngestError) else f"malformed {kind[:-1]}: {exc!r}"
                report.rejected.append(Rejected(path=str(item.get("link", source_id)), reason=reason))
        return Collected(
            documents=documents,
            owns=lambda meta: meta.get("origin") == self.site.base,
            unchanged=unchanged,
            keep={r.path for r in report.rejected},
        )


def ingest_wordpress(
    base_url: str,
    index: Index,
    include_pages: bool = False,
    clinical: bool = False,
    progress: Progress | None = None,
    per_page: int = PER_PAGE,
) -> IngestReport:
    """Index a WordPress site's posts (and pages); incremental by post id and `modified`."""
    report = IngestReport()
    ingestor = Ingestor(index, progress)
    kinds = ["posts", "pages"] if include_pages else ["posts"]
    headers = {"User-Agent": "frontline-guide-ingest/0.1 (+WordPress REST API reader)"}
    with httpx.Client(timeout=index.settings.wordpress_timeout_s, headers=headers, follow_redirects=True) as client:
        site = WordPressSite(base_url, client, per_page)
        existing = ingestor.existing()
        collected = WordPressCollector(site, existing, clinical).collect(kinds, report, ingestor.progress)
    return ingestor.apply(collected, report, existing)
