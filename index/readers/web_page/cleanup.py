"""The page rewritten before trafilatura reads it: what it would lose, put as plain HTML it keeps.

Chrome that is never content (scripts, navigation, hidden elements) is removed; a page with no content
container is framed as one article; text elements inside the article lose class names that are only styling;
`<time>` inside a sentence keeps its words; text loose in a box is wrapped into paragraphs; FAQ accordions
(`<details>`, or a theme's question buttons) and definition lists become heading + answer; a bold style is
`<strong>` (a bold question paragraph starts an FAQ entry) (or a term: definition table); table captions are
moved into a paragraph before their table.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import lxml.etree as etree
import lxml.html

try:  # the content containers trafilatura looks for first (not a documented API: an empty list is safe)
    from trafilatura.xpaths import BODY_XPATH as _CONTAINER_XPATHS
except ImportError:  # pragma: no cover
    _CONTAINER_XPATHS = []

from index.document import collapse_ws

# Never content, whatever the extractor thinks; removed before it runs. (Collapsed accordion answers may be
# hidden="until-found" or aria-hidden, and are content.)
_CHROME_XPATH = ("//script | //style | //noscript | //template | //nav | //*[@role='navigation']"
                 " | //*[@hidden][not(@hidden='until-found')]")
_TEXT_TAGS = frozenset(("p", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "blockquote", "span",
                        "strong", "em", "b", "i", "a", "summary"))
# Class names that do mark a text element as chrome even inside the article; any other class is styling.
_CHROME_CLASS = re.compile(
    r"byline|author|share|social|cookie|consent|related|newsletter|subscribe|breadcrumb|copyright|post-meta|"
    r"entry-meta|tags", re.IGNORECASE,
)
# A disclosure control: the question of a theme's FAQ accordion (Bootstrap, Elementor, Divi...), not a <details>.
_TOGGLE_XPATH = ("//button | //*[@role='button'] | //a[@aria-expanded or @aria-controls or @data-toggle or "
                 "@data-bs-toggle]")
_TOGGLE_CLASS = re.compile(r"accordion|toggle|collaps|faq|question|tab-title", re.IGNORECASE)
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)", re.IGNORECASE)
_BLOCK_TAGS = frozenset(("p", "div", "ul", "ol", "dl", "table", "blockquote", "figure", "section", "h1", "h2", "h3",
                         "h4", "h5", "h6", "pre", "details", "header", "footer", "aside", "article", "main", "form",
                         "hr"))


def prepare(tree: lxml.html.HtmlElement) -> frozenset[str]:
    """Rewrite what trafilatura would lose into plain HTML it keeps; return the table captions' texts."""
    # Comments go with their tail text otherwise ("<!--[if !supportLists]-->1." in Word's HTML).
    etree.strip_tags(tree, etree.Comment, etree.ProcessingInstruction)
    for elem in tree.xpath(_CHROME_XPATH):
        elem.drop_tree()
    _frame_body(tree)
    _mark_toggles_and_bold(tree)
    for root in tree.xpath("//article | //main | //*[@role='main']") or tree.xpath("//body"):
        for elem in root.iter(*_TEXT_TAGS):
            # trafilatura drops a paragraph of class "navigating-tips" as a menu: keep only telling names.
            if not _CHROME_CLASS.search(f"{elem.get('class', '')} {elem.get('id', '')}"):
                elem.attrib.pop("class", None)
                elem.attrib.pop("id", None)
    for time in tree.xpath("//p//time"):
        time.drop_tag()  # trafilatura drops <time> with its words: "Posted <time>Dec 1</time>"
    for box in list(tree.iter("div", "section", "article", "main")):
        if (box.text or "").strip() or any(_loose_inline(c) for c in box):
            _wrap_loose(box)  # trafilatura keeps only part of the text loose in a <div>
    for details in list(tree.iter("details")):
        _rewrite_details(details)
    for dl in list(tree.iter("dl")):
        _rewrite_dl(dl)
    return frozenset(_move_captions(tree))


def _mark_toggles_and_bold(tree: lxml.html.HtmlElement) -> None:
    """An accordion's question button becomes a heading (trafilatura drops buttons); a bold style, <strong>."""
    for toggle in tree.xpath(_TOGGLE_XPATH):
        text = collapse_ws(toggle.text_content())
        names = f"{toggle.get('class', '')} {toggle.get('id', '')}"
        disclosure = any(toggle.get(a) is not None for a in ("aria-expanded", "aria-controls", "data-toggle",
                                                                 "data-bs-toggle", "data-target"))
        if len(text.split()) >= 2 and (disclosure or _TOGGLE_CLASS.search(names) or text.endswith("?")):
            heading = lxml.html.Element("h3")
            heading.text, heading.tail = text, toggle.tail
            parent = toggle.getparent()
            if parent is not None and parent.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                parent.text, toggle.tail = text, None  # already a heading around the button
                parent.remove(toggle)
            elif parent is not None:
                parent.replace(toggle, heading)
    for span in tree.xpath("//span[@style]"):
        if _BOLD_STYLE.search(span.get("style", "")):
            span.tag = "strong"


def _frame_body(tree: lxml.html.HtmlElement) -> None:
    # With no content container trafilatura recovers only loose paragraphs, losing headings and lists:
    # a page without one is all article, so say so (its own <header> is the site's banner).
    if tree.xpath("//article | //main | //*[@role='main']") or any(len(x(tree)) for x in _CONTAINER_XPATHS):
        return
    body = tree.find("body")
    if body is None:
        return
    for header in body.xpath(".//header"):
        header.drop_tree()
    article = lxml.html.Element("article")
    article.text, body.text = body.text, None
    article.extend(list(body))
    body.append(article)


def _rewrite_details(details: lxml.html.HtmlElement) -> None:
    # An accordion is a question (summary) over its answer; trafilatura leaves loose answer text untagged.
    details.tag = "div"
    summary = details.find("summary")
    if summary is not None:
        summary.tag = "h3"
        summary.attrib.clear()
    _wrap_loose(details, skip=summary)


def _rewrite_dl(dl: lxml.html.HtmlElement) -> None:
    pairs: list[tuple[str, list[lxml.html.HtmlElement]]] = []
    for child in dl.iterchildren("dt", "dd", "div"):
        for item in ([child] if child.tag != "div" else list(child.iterchildren("dt", "dd"))):
            if item.tag == "dt":
                pairs.append((collapse_ws(item.text_content()), []))
            elif pairs:
                pairs[-1][1].append(item)
    if not pairs:
        return
    new = lxml.html.Element("div")
    if sum(term.endswith("?") for term, _ in pairs) * 2 > len(pairs):
        for term, answers in pairs:  # an FAQ written as a definition list
            heading = etree.SubElement(new, "h3")
            heading.text = term
            for dd in answers:
                dd.tag = "div"
                _wrap_loose(dd)
                new.append(dd)
    else:
        table = etree.SubElement(new, "table")  # terms and their definitions read as "term: definition"
        for term, answers in pairs:
            row = etree.SubElement(table, "tr")
            etree.SubElement(row, "td").text = term
            etree.SubElement(row, "td").text = "; ".join(collapse_ws(dd.text_content()) for dd in answers)
    new.tail = dl.tail
    dl.getparent().replace(dl, new)


def _loose_inline(child: lxml.html.HtmlElement) -> bool:
    if child.tag in _BLOCK_TAGS or not isinstance(child.tag, str):
        return False
    if (child.tail or "").strip():
        return True
    return bool(child.text_content().strip()) and not any(d.tag in _BLOCK_TAGS for d in child.iterdescendants())


def _wrap_loose(elem: lxml.html.HtmlElement, skip: lxml.html.HtmlElement | None = None) -> None:
    """Put runs of loose text and inline elements directly inside `elem` into <p>s."""
    runs: list[list[lxml.html.HtmlElement | str]] = [[elem.text or ""]]
    elem.text = None
    for child in list(elem):
        tail, child.tail = child.tail, None
        if child is skip or child.tag in _BLOCK_TAGS or not isinstance(child.tag, str):
            runs.append([child])
            runs.append([tail or ""])
        else:
            runs[-1].extend([child, tail or ""])
        elem.remove(child)
    for run in runs:
        if len(run) == 1 and not isinstance(run[0], str):
            elem.append(run[0])
        elif any(not isinstance(part, str) or part.strip() for part in run):
            para = etree.SubElement(elem, "p")
            for part in run:
                if isinstance(part, str):
                    if len(para):
                        para[-1].tail = (para[-1].tail or "") + part
                    else:
                        para.text = (para.text or "") + part
                else:
                    para.append(part)


def _move_captions(tree: lxml.html.HtmlElement) -> Iterator[str]:
    # trafilatura turns <caption> into a header row and drops <figcaption>: state it as a paragraph
    # just before the table, which the walker hands to the builder as the table's caption.
    for table in list(tree.iter("table")):
        figure = table.getparent()
        found = table.findall("caption")
        if figure is not None and figure.tag == "figure":
            found += figure.findall("figcaption")
        text = collapse_ws(" ".join(c.text_content() for c in found))
        for cap in found:
            cap.drop_tree()
        if text:
            para = lxml.html.Element("p")
            para.text = text
            table.addprevious(para)
            yield text


