"""A loopback HTTP server that speaks the WordPress REST API's wire format.

It serves `/wp-json/` (site index), `/wp-json/wp/v2/{posts,pages}` with `page`/`per_page`
paging, `X-WP-Total`/`X-WP-TotalPages` and `Link` headers, `_embed` (author and `wp:term`,
at most 10 terms per taxonomy as WordPress does), `/wp-json/wp/v2/{categories,tags}?include=`,
WordPress's JSON error bodies, and plain files (linked PDFs). Tests change `site` between runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from loopback import LoopbackServer

EMBEDDED_TERMS_LIMIT = 10


@dataclass
class Item:
    id: int
    title: str
    content_html: str
    date: str = "2023-05-08T10:00:00"
    modified: str = "2023-05-08T10:00:00"
    categories: list[int] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)
    slug: str = ""


@dataclass
class Site:
    name: str = "Test Resource Centre"
    posts: list[Item] = field(default_factory=list)
    pages: list[Item] = field(default_factory=list)
    categories: dict[int, str] = field(default_factory=dict)
    tags: dict[int, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)


def _term(base: str, taxonomy: str, term_id: int, name: str) -> dict[str, Any]:
    route = "categories" if taxonomy == "category" else "tags"
    slug = name.lower().replace(" ", "-").replace("&", "")
    return {
        "id": term_id,
        "link": f"{base}/{'category' if taxonomy == 'category' else 'tag'}/{slug}/",
        "name": name.replace("&", "&amp;"),
        "slug": slug,
        "taxonomy": taxonomy,
        "_links": {"self": [{"href": f"{base}/wp-json/wp/v2/{route}/{term_id}"}]},
    }


def _item_json(base: str, kind: str, item: Item, site: Site, embed: bool) -> dict[str, Any]:
    slug = item.slug or f"item-{item.id}"
    link = f"{base}/{slug}/"
    body: dict[str, Any] = {
        "id": item.id,
        "date": item.date,
        "date_gmt": item.date,
        "guid": {"rendered": f"{base}/?p={item.id}"},
        "modified": item.modified,
        "modified_gmt": item.modified,
        "slug": slug,
        "status": "publish",
        "type": "post" if kind == "posts" else "page",
        "link": link,
        "title": {"rendered": item.title.replace("&", "&#038;").replace("\u2019", "&#8217;")},
        "content": {"rendered": item.content_html, "protected": False},
        "excerpt": {"rendered": "<p>Summary&hellip;</p>\n", "protected": False},
        "author": 1,
        "featured_media": 0,
        "comment_status": "closed",
        "ping_status": "closed",
        "template": "",
        "meta": [],
        "_links": {"self": [{"href": f"{base}/wp-json/wp/v2/{kind}/{item.id}"}]},
    }
    if kind == "posts":
        body.update({"sticky": False, "format": "standard", "categories": item.categories, "tags": item.tags})
    if embed:
        embedded: dict[str, Any] = {"author": [{"id": 1, "name": "Resource Centre Team", "slug": "team"}]}
        if kind == "posts":
            embedded["wp:term"] = [
                [_term(base, "category", i, site.categories[i]) for i in item.categories][:EMBEDDED_TERMS_LIMIT],
                [_term(base, "post_tag", i, site.tags[i]) for i in item.tags][:EMBEDDED_TERMS_LIMIT],
            ]
        body["_embedded"] = embedded
    return body


class _Handler(BaseHTTPRequestHandler):
    server: "WordPressServer"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"code": code, "message": message, "data": {"status": status}})

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        site = self.server.site
        url = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        site.requests.append(self.path)
        base = self.server.base_url
        if url.path in site.files:
            data = site.files[url.path]
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif url.path in ("/wp-json", "/wp-json/"):
            self._send(200, {"name": site.name, "description": "", "url": base, "home": base, "namespaces": ["wp/v2"]})
        elif url.path in ("/wp-json/wp/v2/posts", "/wp-json/wp/v2/pages"):
            self._collection(url.path.rsplit("/", 1)[-1], query)
        elif url.path in ("/wp-json/wp/v2/categories", "/wp-json/wp/v2/tags"):
            taxonomy = "category" if url.path.endswith("categories") else "post_tag"
            names = site.categories if taxonomy == "category" else site.tags
            wanted = [int(i) for i in query.get("include", "").split(",") if i] or list(names)
            self._send(200, [_term(base, taxonomy, i, names[i]) for i in wanted if i in names])
        else:
            self._error(404, "rest_no_route", "No route was found matching the URL and request method.")

    def _collection(self, kind: str, query: dict[str, str]) -> None:
        site = self.server.site
        items = site.posts if kind == "posts" else site.pages
        try:
            per_page = int(query.get("per_page", "10"))
            page = int(query.get("page", "1"))
        except ValueError:
            self._error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
            return
        if not 1 <= per_page <= 100:
            self._error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
            return
        total = len(items)
        total_pages = max(1, -(-total // per_page))
        if page > total_pages:
            self._error(
                400, "rest_post_invalid_page_number",
                "The page number requested is larger than the number of pages available.",
            )
            return
        chosen = items[(page - 1) * per_page : page * per_page]
        base = self.server.base_url
        links = []
        if page < total_pages:
            links.append(f'<{base}/wp-json/wp/v2/{kind}?page={page + 1}&per_page={per_page}>; rel="next"')
        if page > 1:
            links.append(f'<{base}/wp-json/wp/v2/{kind}?page={page - 1}&per_page={per_page}>; rel="prev"')
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(total_pages)}
        if links:
            headers["Link"] = ", ".join(links)
        embed = "_embed" in query
        self._send(200, [_item_json(base, kind, item, site, embed) for item in chosen], headers)


class WordPressServer(LoopbackServer):
    def __init__(self, site: Site) -> None:
        super().__init__(_Handler)
        self.site = site
        self.base_url = self.origin
