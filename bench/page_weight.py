"""Section 6: what a supporter's browser downloads to show the form, the action kit above it.

The page is fetched through the app; every asset it references (scripts,
stylesheets, images, icons, fonts, frames) is fetched too when it is served by
the app itself, and listed when it is not. Sizes are of the bodies as sent and
as gzip would send them (API Gateway compresses only when told to). The seed
campaign (UA 47.22 as `make run` has it) carries its sample letter in English,
Spanish and French, so each language's page shows it in two: the letter
language's (Spanish) and the page's, where there is one.
"""
import gzip
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

_ASSET_ATTRIBUTES = {"script": "src", "img": "src", "iframe": "src", "source": "src", "link": "href"}
_LINKED_ASSETS = {"stylesheet", "icon", "preload", "modulepreload", "manifest", "apple-touch-icon"}


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = _ASSET_ATTRIBUTES.get(tag)
        if not name or not attrs.get(name):
            return
        if tag == "link" and not _LINKED_ASSETS & set((attrs.get("rel") or "").lower().split()):
            return
        if attrs[name].startswith("data:"):
            return   # inline: already counted in the page's bytes
        self.urls.append(attrs[name])


def assets_of(html: str) -> list:
    parser = _Assets()
    parser.feed(html)
    return parser.urls


BUDGET_BYTES = 30 * 1024   # the whole page in one request (issue 13; tests/supporters/test_pages.py)
LANGUAGES = ("en", "es", "fr", "ar")


def measure_languages(client, path: str) -> dict:
    """:func:`measure` of ``path`` in every supporter language, the heaviest, and the budget."""
    pages = {code: measure(client, f"{path}?lang={code}") for code in LANGUAGES}
    for code, page in pages.items():
        html = client.http.get(f"{path}?lang={code}").body.decode("utf-8")
        page["letters_shown"] = html.count('<div class="letter"')
        page["mailto_links"] = html.count('href="mailto:')
    heaviest = max(pages, key=lambda code: pages[code]["total_bytes"])
    return {"by_language": pages, "heaviest": heaviest, "budget_bytes": BUDGET_BYTES,
            "within_budget": all(page["total_bytes"] <= BUDGET_BYTES and page["requests"] == 1
                                 for page in pages.values())}


def measure(client, path: str) -> dict:
    """Bytes and requests of the page at ``path`` and of the assets it references."""
    page = client.http.get(path)
    html = page.body.decode("utf-8")
    fetched, external = [], []
    for url in assets_of(html):
        absolute = urljoin(path, url)
        if urlsplit(absolute).netloc:
            external.append(url)
            continue
        asset = client.http.get(absolute)
        fetched.append({"url": absolute, "status": asset.status_code, "bytes": len(asset.body),
                        "gzip_bytes": len(gzip.compress(asset.body))})
    return {
        "path": path, "status": page.status_code,
        "html_bytes": len(page.body), "html_gzip_bytes": len(gzip.compress(page.body)),
        "header_bytes": sum(len(k) + len(v) + 4 for k, v in page.headers.items()),
        "assets": fetched, "external_assets": external,
        "requests": 1 + len(fetched) + len(external),
        "total_bytes": len(page.body) + sum(a["bytes"] for a in fetched),
        "total_gzip_bytes": len(gzip.compress(page.body)) + sum(a["gzip_bytes"] for a in fetched),
    }
