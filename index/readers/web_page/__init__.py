"""Read a clinic web page saved as .html/.htm into an `Article`: the article's own text, without the site's chrome.

The main content is found by trafilatura, a maintained extractor whose heuristics (tags, class names, text
density, with readability and jusText as fallbacks) drop cookie banners, menus, share buttons, sidebars,
comments and footers: on our saved pages it leaked none where the old reader's class list leaked 9 lines, at
equal recall (`benchmarks/readers.py`, docs/readers.md). Its XML output (head, p, list, table, quote) is walked
with lxml into the shared `SectionBuilder`. Before extraction the page is adjusted (cleanup.py) for what trafilatura
loses: FAQ accordions (`<details>`) and definition lists become heading + answer, table captions are kept,
`<time>` inside a sentence keeps its words, and text elements inside the article lose their class names (a
paragraph of class "navigating-tips" is not a menu). Title, URL and date are read here from the page as it states them.
"""
from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterator

import lxml.etree as etree
import lxml.html
import trafilatura
from trafilatura.settings import use_config

from index.document import Article, ArticleError, SectionBuilder, collapse_ws, decode_text
from index.readers.web_page import cleanup

SUFFIXES = (".html", ".htm")

# trafilatura logs "discarding data" and fallback notes at WARNING; an empty page is our ArticleError instead.
for _name in ("trafilatura", "htmldate", "justext", "courlan"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

_CONFIG = use_config()
# Below MIN_EXTRACTED_SIZE characters trafilatura swaps its result for a whole-page text dump, menus
# included; a short clinic notice is still an article, so keep the structured result however short it is.
_CONFIG.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
_CONFIG.set("DEFAULT", "MIN_OUTPUT_SIZE", "1")
FAVOR_RECALL = True  # benchmarks/readers.py: as clean as balanced on our pages, and errs on keeping text

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_TITLE_SUFFIX = re.compile(r"\s+[|\-–—·]\s+")


def read(raw: bytes) -> Article:
    """Read a saved web page: its title, URL, date and main article text in sections."""
    try:
        tree = lxml.html.document_fromstring(_XML_DECL.sub("", _decode(raw)))
    except (etree.ParserError, ValueError) as exc:
        raise ArticleError(f"could not parse HTML: {exc}") from None
    title, url, date = _title(tree), _url(tree), _date(tree)
    captions = cleanup.prepare(tree)
    xml = trafilatura.extract(
        tree, output_format="xml", include_tables=True, include_formatting=True, include_comments=False,
        include_images=False, favor_recall=FAVOR_RECALL, with_metadata=False, deduplicate=False, config=_CONFIG,
    )
    builder = SectionBuilder()
    if xml:
        main = etree.fromstring(xml).find("main")
        if main is not None:
            _Walker(builder, title, captions).walk(main)
    return Article(article_id="", title=title, sections=builder.sections(), url=url, date=date)


def _decode(raw: bytes) -> str:
    """The page's characters: its BOM, else the charset its <meta> declares, else decode_text's guess."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="replace")
    if (m := _CHARSET.search(raw[:4096])) and b"\x00" not in raw[:8192]:  # decode_text refuses binary files
        try:
            name = codecs.lookup(m.group(1).decode("ascii")).name
        except (LookupError, UnicodeDecodeError):
            name = ""
        # Browsers read latin-1 and ascii labels as windows-1252 (WHATWG), and so do pages saved by them.
        name = "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name
        if name:
            try:
                return raw.decode(name).replace("\r\n", "\n")
            except UnicodeDecodeError:
                pass  # a wrong declaration: guess instead
    return decode_text(raw)


def _content_root(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    # Several <article>s (e.g. related-post cards): the post is the longest one.
    for path in ("//article", "//main", "//*[@role='main']", "//body"):
        found = tree.xpath(path)
        if found:
            return max(found, key=lambda e: len(e.text_content()))
    return tree


def _outside_chrome(elem: lxml.html.HtmlElement) -> bool:
    # A <header> inside the <article> holds the title and date; the site's header does not.
    in_article = any(a.tag == "article" for a in elem.iterancestors())
    return not any(a.tag in ("nav", "footer", "aside") or (a.tag == "header" and not in_article)
                   for a in elem.iterancestors())


def _title(tree: lxml.html.HtmlElement) -> str:
    for h1 in _content_root(tree).iter("h1"):
        if _outside_chrome(h1) and (text := collapse_ws(h1.text_content())):
            return text
    text = collapse_ws(tree.findtext(".//title") or "")
    if (suffixes := list(_TITLE_SUFFIX.finditer(text))) and (head := text[: suffixes[-1].start()].strip()):
        text = head  # drop " | Site Name"
    return text or collapse_ws(" ".join(tree.xpath("//meta[@property='og:title']/@content")))


def _url(tree: lxml.html.HtmlElement) -> str:
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and (href := (link.get("href") or "").strip()):
            return href
    return next((c.strip() for c in tree.xpath("//meta[@property='og:url']/@content") if c.strip()), "")


def _date(tree: lxml.html.HtmlElement) -> str:
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in ("article:published_time", "datepublished") and (value := (meta.get("content") or "").strip()):
            return value
    for scope in (_content_root(tree), tree):
        for time in scope.iter("time"):
            if _outside_chrome(time) and (value := (time.get("datetime") or "").strip()):
                return value
    return ""


class _Walker:
    """Turns trafilatura's XML (head, p, list, table, quote) into sections."""

    def __init__(self, builder: SectionBuilder, title: str, captions: frozenset[str]) -> None:
        self.builder = builder
        self.title = title
        self.title_seen = False
        self.captions = captions

    def walk(self, parent: etree._Element) -> None:
        """Read the blocks directly under `parent`, and the loose text between them."""
        self._loose(parent.text)
        children = list(parent)
        for i, elem in enumerate(children):
            nxt = children[i + 1] if i + 1 < len(children) else None
            if elem.tag == "head":
                text = _text(elem)
                if elem.get("rend") == "h1" and text == self.title and not self.title_seen:
                    self.title_seen = True  # the title is not a section heading
                elif text:
                    self.builder.heading(text)
            elif elem.tag == "p" and nxt is not None and nxt.tag == "table" and _text(elem) in self.captions:
                nxt.set("caption", _text(elem))
            elif elem.tag in ("p", "code"):
                self.builder.paragraph(_text(elem), bold=_all_bold(elem))
            elif elem.tag == "list":
                self.builder.add_list(list(_items(elem)))
            elif elem.tag == "table":
                self._table(elem)
            elif elem.tag == "quote":
                self._quote(elem)
            elif elem.tag in ("div", "main", "section"):
                self.walk(elem)
            elif elem.tag not in ("graphic", "lb"):
                self.builder.paragraph(_text(elem))
            self._loose(elem.tail)

    def _loose(self, text: str | None) -> None:
        if text and text.strip():
            self.builder.paragraph(text)

    def _table(self, table: etree._Element) -> None:
        header: list[str] = []
        rows: list[list[str]] = []
        for row in table.iter("row"):
            cells = [c for c in row if c.tag == "cell"]
            texts = [_text(c) for c in cells]
            if not rows and not header and cells and all(c.get("role") == "head" for c in cells):
                header = texts
            else:
                rows.append(texts)
        self.builder.table(rows, header, caption=table.get("caption", ""))

    def _quote(self, quote: etree._Element) -> None:
        parts = [_text(p) for p in quote if p.tag == "p"]
        # Text beside the quoted paragraphs is its attribution (<cite>): keep it with the words it signs.
        loose = collapse_ws(" ".join([quote.text or ""] + [c.tail or "" for c in quote]))
        if not parts:
            parts = [_text(quote)]
        elif loose:
            parts[-1] = f"{parts[-1]} — {loose}"
        for part in parts:
            self.builder.paragraph(part)


def _text(elem: etree._Element, skip: str = "") -> str:
    """The words of `elem`, line breaks as spaces, leaving out sub-elements tagged `skip`."""
    parts: list[str] = [elem.text or ""]
    for child in elem:
        parts += [" " if child.tag == "lb" else "" if child.tag == skip else _text(child, skip), child.tail or ""]
    return collapse_ws("".join(parts))


def _all_bold(p: etree._Element) -> bool:
    # A paragraph whose words are all inside <hi rend="#b"> (e.g. "<p><strong>Question?</strong></p>").
    outside = (p.text or "") + "".join(c.tail or "" for c in p)
    return len(p) > 0 and not outside.strip() and all(c.tag == "hi" and "#b" in (c.get("rend") or "") for c in p)


def _items(lst: etree._Element) -> Iterator[str]:
    """A list's items in order; a nested list is part of its item ("medicines: including vitamins; ...")."""
    for item in lst.iterchildren("item"):
        text = _text(item, skip="list")
        subitems = [t for sub in item.iterchildren("list") for t in _items(sub) if t]
        if subitems and text:
            text += (" " if text[-1] in ":;,." else ": ") + "; ".join(subitems)
        yield text or "; ".join(subitems)
