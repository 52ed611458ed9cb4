"""Import from the clinic's website: a page, a sitemap (or sitemap index) or an RSS/Atom feed → its pages as files.

Only discovery and fetching live here; `ArticleLibrary.stage(..., source_url=page.url)` keeps each page, so a
page imported again updates its article. Every download goes through `service.articles.fetch` (allowed hosts,
public addresses, redirects, size and time limits). XML is parsed by lxml without entities, DTDs or network
access, and a document that declares entities is refused; feeds are read by feedparser from those bytes.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from urllib.parse import unquote

import feedparser
import httpx
from lxml import etree

from service.articles.fetch import Download, ImportLimits, ImportRefused, check_url, download, new_client

__all__ = ["FetchedPage", "ImportLimits", "ImportPlan", "ImportRefused", "discover", "fetch_page", "import_pages",
           "page_filename"]

MAX_SITEMAP_DEPTH = 3  # an index of indexes of sitemaps; deeper nesting is refused
MAX_SITEMAPS = 50  # sitemap files one import reads at most
HTML_TYPES = {"text/html", "application/xhtml+xml"}
XML_TYPES = {"application/xml", "text/xml", "application/rss+xml", "application/atom+xml", "application/rdf+xml"}
GZIP_TYPES = {"application/gzip", "application/x-gzip"}
GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream", "text/plain"}  # then the body decides
_PAGE_SUFFIX = re.compile(r"\.(html?|xhtml|shtml|php|aspx?|jsp)$", re.IGNORECASE)
_HTML_START = re.compile(rb"\s*(<\?xml[^>]*>\s*)?(<!--(?:(?!-->).)*-->\s*)*<(!doctype\s+html|html)[\s>]", re.I | re.S)
_BLANK = b"\xef\xbb\xbf \t\r\n"  # a byte-order mark and white space before the first tag


@dataclass(frozen=True)
class FetchedPage:
    """One page fetched for import: final URL (after redirects), a file name for it, its body and media type."""

    url: str
    filename: str
    data: bytes
    content_type: str


@dataclass(frozen=True)
class ImportPlan:
    """What a URL staff gave names: its kind ("page", "sitemap", "feed"), the page URLs, and those left out."""

    source: str
    kind: str
    urls: list[str]
    refused: list[tuple[str, str]]


def page_filename(url: str) -> str:
    """A safe file name from the URL's path and query ("/blog/aftercare/" → "blog-aftercare.html")."""
    parsed = httpx.URL(url)
    text = _PAGE_SUFFIX.sub("", unquote(parsed.path).rstrip("/"))
    if parsed.query:
        text += "-" + unquote(parsed.query.decode("ascii", "replace"))
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return (slug[:80].strip("-") or "index") + ".html"


def _looks_like_html(data: bytes) -> bool:
    """The body starts as an HTML page does (after a byte-order mark, an XML declaration or comments)."""
    return _HTML_START.match(data[:2048].removeprefix(b"\xef\xbb\xbf")) is not None


def _absolute(base: str, link: str) -> str:
    """The link resolved against the URL it was found in (left as it is when it is no URL at all)."""
    try:
        return str(httpx.URL(base).join(link.strip()))
    except httpx.InvalidURL:
        return link


def _gunzip(data: bytes, limits: ImportLimits) -> bytes:
    """A gzip file's content, refused when it would unpack past max_bytes (a small file can hold a lot)."""
    unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        content = unpacker.decompress(data, limits.max_bytes + 1)
    except zlib.error as exc:
        raise ImportRefused("not a readable gzip file") from exc
    if len(content) > limits.max_bytes or unpacker.unconsumed_tail:
        raise ImportRefused(f"unpacks to more than the limit of {limits.max_bytes:,} bytes")
    return content


def _xml_root(data: bytes) -> etree._Element:
    """The root element, parsed without entities, DTD loading or network; ImportRefused for bad or risky XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ImportRefused(f"not well-formed XML: {exc}") from exc
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise ImportRefused("the XML declares entities, which an import never reads (XXE, entity expansion)")
    return root


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _classify(doc: Download, limits: ImportLimits) -> tuple[str, bytes, etree._Element | None]:
    """("page" | "sitemap" | "feed", the body (unpacked when gzipped), its XML root when XML)."""
    data, declared = doc.data, doc.content_type
    if declared in GZIP_TYPES or data[:2] == b"\x1f\x8b":
        data, declared = _gunzip(data, limits), "application/xml"
    if declared in HTML_TYPES or (declared in GENERIC_TYPES and _looks_like_html(data)):
        return "page", data, None
    if declared not in XML_TYPES and not (declared in GENERIC_TYPES and data.lstrip(_BLANK)[:1] == b"<"):
        raise ImportRefused(f"not an HTML page, sitemap or feed (content type {declared or 'none'})")
    root = _xml_root(data)
    name = _local(root.tag)
    if name in ("urlset", "sitemapindex"):
        return "sitemap", data, root
    if name in ("rss", "feed", "RDF"):
        return "feed", data, root
    raise ImportRefused(f"XML that is not a sitemap or feed (root element <{name}>)")


def _sitemap_locs(root: etree._Element, base: str) -> list[str]:
    """The <loc> of each <url> of a urlset, or of each <sitemap> of a sitemap index (any namespace)."""
    wanted = "url" if _local(root.tag) == "urlset" else "sitemap"
    return [_absolute(base, loc.text)
            for entry in root if _local(entry.tag) == wanted
            for loc in entry if _local(loc.tag) == "loc" and loc.text and loc.text.strip()]


def _feed_links(data: bytes, doc: Download) -> list[str]:
    """Each entry's link, relative links resolved against the feed's URL (and xml:base)."""
    parsed = feedparser.parse(io.BytesIO(data), response_headers={"content-location": doc.url},
                              resolve_relative_uris=True, sanitize_html=False)  # a stream: feedparser fetches nothing
    if parsed.get("bozo") and not parsed.get("entries"):
        raise ImportRefused("not a readable RSS or Atom feed")
    return [str(entry["link"]) for entry in parsed.get("entries", []) if entry.get("link")]


@dataclass
class _Collector:
    """Page URLs in order, each once, within the allowed hosts and the page limit; the rest with reasons."""

    limits: ImportLimits
    urls: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def add(self, url: str) -> None:
        try:
            clean = str(check_url(url, self.limits)[0])
        except ImportRefused as exc:
            if url not in self.seen:
                self.seen.add(url)
                self.refused.append((url, exc.reason))
            return
        if clean in self.seen:
            return
        self.seen.add(clean)
        if len(self.urls) >= self.limits.max_pages:
            self.refused.append((clean, f"over the limit of {self.limits.max_pages} pages"))
        else:
            self.urls.append(clean)

    @property
    def full(self) -> bool:
        return len(self.urls) >= self.limits.max_pages


def _read_sitemaps(root: etree._Element, doc: Download, limits: ImportLimits, client: httpx.Client,
                   found: _Collector) -> None:
    """Collect the pages of a sitemap, following a sitemap index's sitemaps (breadth first, bounded)."""
    queue, read, seen = [(root, doc.url, 0)], 1, {doc.url}
    while queue:
        current, url, depth = queue.pop(0)
        locs = _sitemap_locs(current, url)
        if _local(current.tag) == "urlset":
            for loc in locs:
                found.add(loc)
            continue
        for loc in locs:
            if loc in seen:
                continue
            seen.add(loc)
            if depth + 1 > MAX_SITEMAP_DEPTH:
                found.refused.append((loc, f"sitemap indexes nested deeper than {MAX_SITEMAP_DEPTH}"))
            elif found.full or read >= MAX_SITEMAPS:
                found.refused.append((loc, "sitemap not read: the page or sitemap limit was reached"))
            else:
                read += 1
                try:
                    child = download(loc, limits, client)
                    kind, _, child_root = _classify(child, limits)
                    if kind != "sitemap" or child_root is None:
                        raise ImportRefused(f"a sitemap index names a {kind}, not a sitemap")
                except ImportRefused as exc:
                    found.refused.append((loc, exc.reason))
                    continue
                queue.append((child_root, child.url, depth + 1))


def _discover(url: str, limits: ImportLimits, client: httpx.Client) -> tuple[ImportPlan, FetchedPage | None]:
    doc = download(url, limits, client)
    kind, data, root = _classify(doc, limits)
    if kind == "page":
        page = FetchedPage(doc.url, page_filename(doc.url), data, doc.content_type or "text/html")
        return ImportPlan(source=url, kind="page", urls=[doc.url], refused=[]), page
    found = _Collector(limits)
    if kind == "sitemap" and root is not None:
        _read_sitemaps(root, doc, limits, client, found)
    else:
        for link in _feed_links(data, doc):
            found.add(link)
    return ImportPlan(source=url, kind=kind, urls=found.urls, refused=found.refused), None


def discover(url: str, limits: ImportLimits, client: httpx.Client | None = None) -> ImportPlan:
    """What `url` names: a sitemap's or feed's page URLs (each once, at most max_pages), or the page itself."""
    if client is None:
        with new_client() as own:
            return _discover(url, limits, own)[0]
    return _discover(url, limits, client)[0]


def fetch_page(url: str, limits: ImportLimits, client: httpx.Client | None = None) -> FetchedPage:
    """One HTML page for import; ImportRefused when it is not allowed, not reachable or not HTML."""
    doc = download(url, limits, client)
    if doc.content_type in HTML_TYPES:
        return FetchedPage(doc.url, page_filename(doc.url), doc.data, doc.content_type)
    if doc.content_type in GENERIC_TYPES and _looks_like_html(doc.data):
        return FetchedPage(doc.url, page_filename(doc.url), doc.data, "text/html")
    raise ImportRefused(f"not an HTML page (content type {doc.content_type or 'none'})")


def import_pages(url: str, limits: ImportLimits) -> tuple[list[FetchedPage], list[tuple[str, str]]]:
    """The pages `url` names, fetched, and the (url, reason) of those left out; ImportRefused only for `url`."""
    with new_client() as client:
        plan, page = _discover(url, limits, client)
        if page is not None:
            return [page], []
        pages: list[FetchedPage] = []
        refused = list(plan.refused)
        final_urls: set[str] = set()
        for page_url in plan.urls:
            try:
                fetched = fetch_page(page_url, limits, client)
            except ImportRefused as exc:
                refused.append((page_url, exc.reason))
                continue
            if fetched.url not in final_urls:  # two listed URLs that redirect to one page give it once
                final_urls.add(fetched.url)
                pages.append(fetched)
        return pages, refused
