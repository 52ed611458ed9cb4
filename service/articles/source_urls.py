"""An imported page's address, written into the file itself so the index links answers to it.

The readers take an article's URL from Markdown front matter (`url:`) and from a web page's
`<link rel="canonical">` or `og:url` (index/readers/web_page). An imported .md or .html that states no URL
gets one: a `url:` line, or a canonical link at the start of `<head>`; one that states its own is left as it
is. Plain text, PDF and Word files have no place the readers take a URL from: for them the address is kept
only in the database (the library's source mapping, shown as `ArticleEntry.source_url`).
"""
from __future__ import annotations

import codecs
import html
import re
from urllib.parse import quote

from service.articles import markdown_fields
from service.articles.names import format_of

_HEAD = re.compile(rb"<head\b[^>]*>", re.IGNORECASE)
_HTML = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def carries_url(name: str) -> bool:
    """Whether files of this name's format can state their own URL to the readers."""
    return format_of(name) in ("md", "html")


def with_source_url(name: str, data: bytes, url: str) -> bytes:
    """`data` stating `url` as its address, for the formats that can (see the module docstring)."""
    fmt = format_of(name)
    if fmt == "md":
        return markdown_fields.with_url(data, url)
    if fmt == "html":
        return _with_canonical(data, url)
    return data


def _with_canonical(data: bytes, url: str) -> bytes:
    tag = f'<link rel="canonical" href="{html.escape(quote(url, safe=_URL_SAFE), quote=True)}">'
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):  # a UTF-16 page: insert in its own encoding
            text = data[len(bom):].decode(codec, errors="replace").encode("utf-8")
            return bom + _insert(text, tag.encode()).decode("utf-8").encode(codec)
    return _insert(data, tag.encode("ascii"))


def _insert(page: bytes, tag: bytes) -> bytes:
    for pattern in (_HEAD, _HTML):
        if match := pattern.search(page):
            return page[:match.end()] + tag + page[match.end():]
    return tag + page
