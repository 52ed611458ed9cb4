"""Read a clinic blog page saved from the web (.html) into an `Article`, with the stdlib parser."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from index.article import Article, ArticleError
from index.outline import SectionBuilder, collapse_ws

_VOID = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
     "track", "wbr")
)
# head and title hold no body text (they are read separately); button/select are widget labels.
_DROP_TAGS = frozenset(
    ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg",
     "template", "button", "select", "head", "title")
)
_DROP_MARKERS = ("nav", "menu", "footer", "sidebar", "cookie", "share", "comments")
# Page wrappers often carry classes like "has-sidebar" or "menu-open"; never drop them by class.
_NEVER_DROP_BY_CLASS = frozenset(("html", "body", "main", "article"))
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_BLOCKS = frozenset(
    ("address", "article", "aside", "blockquote", "body", "center", "details", "dd", "div", "dl",
     "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
     "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
     "tbody", "td", "tfoot", "th", "thead", "tr", "ul")
)
_TITLE_SUFFIX = re.compile(r"\s+[|\-–—]\s+")


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """Builds a small element tree, closing the tags browsers close implicitly."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root", {})
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._close_open("p", stop_at=_BLOCKS)
        if tag == "li":
            self._close_open("li", stop_at=frozenset(("ul", "ol")))
        node = _Node(tag, {k.lower(): (v or "") for k, v in attrs})
        self._stack[-1].children.append(node)
        if tag not in _VOID:
            self._stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self._stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, 0, -1):
            if self._stack[i].tag == tag:
                del self._stack[i:]
                return  # an end tag with no open element is ignored, as browsers do

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        # The stdlib raises AssertionError on odd "<![...]>" sections; skip them like browsers do.
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            end = self.rawdata.find(">", i)
            return -1 if end < 0 else end + 1

    def _close_open(self, tag: str, stop_at: frozenset[str]) -> None:
        for i in range(len(self._stack) - 1, 0, -1):
            if self._stack[i].tag == tag:
                del self._stack[i:]
                return
            if self._stack[i].tag in stop_at:
                return


def _dropped(node: _Node) -> bool:
    if node.tag in _DROP_TAGS or "hidden" in node.attrs:
        return True
    if node.attrs.get("role") == "navigation":
        return True
    if node.tag in _NEVER_DROP_BY_CLASS:
        return False
    names = f"{node.attrs.get('class', '')} {node.attrs.get('id', '')}".lower()
    return any(marker in names for marker in _DROP_MARKERS)


def _walk(node: _Node, skip_dropped: bool = True) -> Iterator[_Node]:
    """Elements below `node` in document order (iterative: saved pages can nest deeply)."""
    stack: list[_Node | str] = list(reversed(node.children))
    while stack:
        child = stack.pop()
        if isinstance(child, str) or (skip_dropped and _dropped(child)):
            continue
        yield child
        stack.extend(reversed(child.children))


def _text(node: _Node, skip: frozenset[str] = frozenset()) -> str:
    parts: list[str] = []
    stack: list[_Node | str] = list(reversed(node.children))
    while stack:
        child = stack.pop()
        if isinstance(child, str):
            parts.append(child)
        elif child.tag == "br":
            parts.append(" ")
        elif not _dropped(child) and child.tag not in skip:
            parts.append(" " if child.tag in _BLOCKS else "")  # keep words in adjacent blocks apart
            stack.extend(reversed(child.children))
    return collapse_ws("".join(parts))


class _BodyReader:
    """Turns the content elements into sections; loose text in containers becomes paragraphs."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.title_seen = False
        self.builder = SectionBuilder()
        self.inline: list[str] = []

    def read(self, node: _Node) -> None:
        for child in node.children:
            if isinstance(child, str):
                self.inline.append(child)
            elif _dropped(child) or child.tag == "img":
                continue
            elif child.tag == "br":
                self.inline.append(" ")
            elif child.tag in _HEADINGS:
                self.flush()
                text = _text(child)
                if child.tag == "h1" and text == self.title and not self.title_seen:
                    self.title_seen = True  # the title is not a section heading
                elif text:
                    self.builder.heading(text)
            elif child.tag in ("ul", "ol"):
                self.flush()
                lists = frozenset(("ul", "ol"))
                items = [_text(li, skip=lists) for li in _walk(child) if li.tag == "li"]
                self.builder.add_list(items)
            elif child.tag in ("p", "pre"):
                self.flush()
                self.builder.paragraph(_text(child))
            elif child.tag in _BLOCKS:
                self.flush()
                self.read(child)
                self.flush()
            else:
                self.read(child)  # inline element: its text joins the running paragraph

    def flush(self) -> None:
        self.builder.paragraph("".join(self.inline))
        self.inline = []


def _content_root(root: _Node) -> _Node:
    for tag in ("article", "main", "body"):
        found = [n for n in _walk(root) if n.tag == tag]
        if found:
            # Several <article>s (e.g. related-post cards): the post is the longest one.
            return max(found, key=lambda n: len(_text(n)))
    return root


def _page_title(root: _Node, content: _Node) -> str:
    h1 = next((n for n in _walk(content) if n.tag == "h1"), None)
    if h1 is not None and _text(h1):
        return _text(h1)
    title = next((n for n in _walk(root, skip_dropped=False) if n.tag == "title"), None)
    text = _text_raw(title) if title is not None else ""
    suffixes = list(_TITLE_SUFFIX.finditer(text))
    if suffixes and text[: suffixes[-1].start()].strip():
        text = text[: suffixes[-1].start()].strip()  # drop " | Site Name"
    if text:
        return text
    h1 = next((n for n in _walk(root) if n.tag == "h1"), None)
    return _text(h1) if h1 is not None else ""


def _text_raw(node: _Node) -> str:
    return collapse_ws("".join(c for c in node.children if isinstance(c, str)))


def _page_url(root: _Node) -> str:
    for node in _walk(root, skip_dropped=False):
        if node.tag == "link" and "canonical" in node.attrs.get("rel", "").lower().split():
            return node.attrs.get("href", "").strip()
    for node in _walk(root, skip_dropped=False):
        if node.tag == "meta" and node.attrs.get("property", "").lower() == "og:url":
            return node.attrs.get("content", "").strip()
    return ""


def _page_date(root: _Node, content: _Node) -> str:
    for node in _walk(root, skip_dropped=False):
        key = node.attrs.get("property") or node.attrs.get("name") or ""
        value = node.attrs.get("content", "").strip()
        if node.tag == "meta" and key.lower() == "article:published_time" and value:
            return value
    for scope in (content, root):
        for node in _walk(scope):
            if node.tag == "time" and (value := node.attrs.get("datetime", "").strip()):
                return value
    return ""


def parse_html(text: str) -> Article:
    """Parse a saved web page: main content only, without navigation, footers or scripts."""
    builder = _TreeBuilder()
    try:
        builder.feed(text)
        builder.close()
    except Exception as exc:
        raise ArticleError(f"could not parse HTML: {exc}") from None
    root = builder.root
    content = _content_root(root)
    title = _page_title(root, content)
    reader = _BodyReader(title)
    try:
        reader.read(content)
    except RecursionError:
        raise ArticleError("HTML is nested too deeply") from None
    reader.flush()
    return Article(
        article_id="",
        title=title,
        sections=reader.builder.sections(),
        url=_page_url(root),
        date=_page_date(root, content),
    )
