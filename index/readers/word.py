"""Word documents (.docx): the body's paragraphs and tables in document order, read with python-docx.

python-docx opens the package and resolves styles with their base styles, so title, headings, list items and
captions are told as Word users mark them (by style or numbering), not by font size. The body is walked at the
XML level, not with `iter_inner_content()` (top-level paragraphs and tables only), so content controls,
tracked insertions, hyperlinks, fields and text boxes are read; deleted text, field codes, headers and footers
are not. Title: the "Title"-style paragraph, else the core title unless a placeholder ("Document1"), else a
first paragraph in Heading 1 if it is the only Heading 1 (with several, Heading 1 marks the sections and the
file name gives the title); a first Heading 1 repeating the title is no section. Merged cells are read once.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn

from index.document import Article, ArticleError, SectionBuilder, collapse_ws

SUFFIXES = (".docx",)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound-file signature of encrypted and 97-2003 Office files
_HEADING = re.compile(r"heading\s*([1-9])\b", re.IGNORECASE)
_LIST = re.compile(r"list\s*(bullet|number|paragraph)\b", re.IGNORECASE)
_PLACEHOLDER_TITLE = re.compile(r"(untitled|document|doc|title|word document|microsoft word document)?\s*\d*"
                                r"|.*\.(docx?|dotx?|rtf)", re.IGNORECASE)
_LABEL = re.compile(r"[^\d.!?;]{1,40}")  # a header cell: short, no figures, not a sentence
_TERMINAL = re.compile(r"[.!?:;,]$")
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"  # repeats mc:Choice
_SKIP = {qn(t) for t in ("w:pPr", "w:rPr", "w:del", "w:moveFrom", "w:instrText", "w:delText", "w:sdtPr")} | {_FALLBACK}
_CHARS = {qn("w:tab"): " ", qn("w:ptab"): " ", qn("w:br"): " ", qn("w:cr"): " ", qn("w:noBreakHyphen"): "-"}
_NOT_WORD = ((b"%pdf", "a PDF file"), (b"{\\rtf", "an RTF file"), (b"<", "an HTML or XML file"))
_OTHER_PACKAGES = (("spreadsheetml", "it is an Excel workbook"), ("presentationml", "it is a PowerPoint file"),
                   ("macroEnabled", "it is a macro-enabled document"))


@dataclass
class _Para:
    text: str
    kind: str  # "title", "heading", "list", "continue" (List Continue), "caption" or "text"
    level: int = 0  # heading level, 0 for body text
    bold: bool = False  # all of its text is bold


@dataclass
class _Table:
    rows: list[list[str]]
    header: list[str]
    caption: str = ""


def read(raw: bytes) -> Article:
    """Read a Word (.docx) article."""
    document, items = _open(raw), list[_Para | _Table]()
    _Reader(document).walk(document.element.body, items)
    return _article(items, document.core_properties.title or "")


def _open(raw: bytes) -> Document:
    if raw.startswith(_OLE):
        if "WordDocument".encode("utf-16-le") in raw and "EncryptedPackage".encode("utf-16-le") not in raw:
            raise ArticleError("not a readable Word document: it is an old Word 97-2003 .doc file; save it as .docx")
        raise ArticleError("encrypted or password-protected Word document")
    if not raw.startswith(b"PK"):
        head = raw[:64].lstrip().lower()
        reason = next((f"it is {r}" for sig, r in _NOT_WORD if head.startswith(sig)), "not a zip package (damaged?)")
        raise ArticleError(f"not a readable Word document: {reason}")
    try:
        return docx.Document(io.BytesIO(raw))
    except Exception as exc:  # any failure to unpack or parse an untrusted package means it is unreadable
        message = str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc) or type(exc).__name__
        message = f"damaged zip package ({message})" if isinstance(exc, zipfile.BadZipFile) else message
        message = next((r for kind, r in _OTHER_PACKAGES if kind in message), message)
        raise ArticleError(f"not a readable Word document: {message[:200]}") from None


def _val(element: Any, *tags: str) -> str | None:
    """The w:val of the element at tags under `element` ("" without one), None when there is no such element."""
    found = element.find("/".join(qn(t) for t in tags)) if element is not None else None
    return None if found is None else str(found.get(qn("w:val"), ""))


def _int(value: str | None, default: int) -> int:
    """A whole-number property, or `default` when it is missing or malformed."""
    return int(value) if value and value.isdigit() else default


def _on(value: str | None) -> bool:
    """Whether an on/off property (w:b, w:tblHeader) is on: present and not w:val="0"/"false"/"off"."""
    return value is not None and value.lower() not in ("0", "false", "off")


def _outline(ppr: Any) -> int | None:
    """The heading level a paragraph's outline level gives (0 for body text), None when it sets none."""
    value = _val(ppr, "w:outlineLvl") or ""
    return (int(value) + 1 if int(value) < 9 else 0) if value.isdigit() else None


def _list_kind(ppr: Any) -> str | None:
    """ "list" when the properties number the paragraph, "text" when they switch numbering off (numId 0)."""
    num_id = _val(ppr, "w:numPr", "w:numId")
    return None if num_id is None else ("text" if num_id == "0" else "list")


class _Reader:
    """Collects a body's paragraphs and tables, telling their kind from their style chain and properties."""

    def __init__(self, document: Document) -> None:
        self.styles: dict[str, Any] = {s.style_id: s for s in document.styles}
        default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
        self.default = default.style_id if default is not None else ""
        self.cache: dict[str, tuple[str, int, bool | None]] = {}  # style id -> kind, heading level, bold

    def chain(self, style_id: str | None) -> list[Any]:
        """The style and its base styles, nearest first."""
        out: list[Any] = []
        style = self.styles.get(style_id or "")
        while style is not None and style not in out:
            out.append(style)
            style = style.base_style
        return out

    def style(self, style_id: str | None) -> tuple[str, int, bool | None]:
        """A style's kind, heading level and bold setting, each from the nearest style in its chain that sets it."""
        key = style_id or ""
        if key not in self.cache:
            kind, level, bold = None, None, None
            for style in self.chain(key):
                name, ppr = (style.name or "").lower(), style.element.find(qn("w:pPr"))
                if level is None and (m := _HEADING.match(name)):
                    level = int(m.group(1))
                level = _outline(ppr) if level is None else level
                if kind is None:
                    kind = name if name in ("title", "caption") else "continue" if name.startswith("list continue") \
                        else "list" if _LIST.match(name) else _list_kind(ppr)
                bold = _on(b) if bold is None and (b := _val(style.element, "w:rPr", "w:b")) is not None else bold
            self.cache[key] = (kind or "text", level or 0, bold)
        return self.cache[key]

    def walk(self, container: Any, out: list[_Para | _Table]) -> None:
        """Append the paragraphs and tables of a body, cell, text box or content control, in order."""
        for child in container if container is not None else ():
            if child.tag == qn("w:p"):
                self.paragraph(child, out)
            elif child.tag == qn("w:tbl"):
                out.append(self.table(child))
            elif child.tag in (qn("w:sdt"), qn("w:customXml"), qn("w:ins"), qn("w:moveTo")):
                self.walk(child.find(qn("w:sdtContent")) if child.tag == qn("w:sdt") else child, out)

    def paragraph(self, p: Any, out: list[_Para | _Table]) -> None:
        parts: list[str] = []
        runs: list[Any] = []  # the w:r elements that carry text
        boxes: list[Any] = []  # w:txbxContent elements, read as paragraphs of their own after this one
        _collect(p, parts, runs, boxes)
        ppr = p.find(qn("w:pPr"))
        kind, level, style_bold = self.style(_val(ppr, "w:pStyle") or self.default)
        own = _list_kind(ppr)
        kind = own if own and (kind in ("list", "text")) else kind
        level = outline if (outline := _outline(ppr)) is not None else level
        kind = "heading" if level and kind != "title" else kind
        if text := collapse_ws("".join(parts)):
            out.append(_Para(text, kind, level, bool(runs) and all(self.run_bold(r, style_bold) for r in runs)))
        for box in boxes:
            self.walk(box, out)

    def run_bold(self, r: Any, paragraph_bold: bool | None) -> bool:
        """A run's bold: its own, else its character style's, else its paragraph style's."""
        if (own := _val(r, "w:rPr", "w:b")) is not None:
            return _on(own)
        char_bold = self.style(_val(r, "w:rPr", "w:rStyle"))[2]
        return bool(paragraph_bold if char_bold is None else char_bold)

    def table(self, tbl: Any) -> _Table:
        rows: list[list[str]] = []
        bold_rows: list[bool] = []
        spans: list[tuple[int, int]] = []  # the first row's cells as (grid column, width), to name merged columns
        marked = False  # the first row repeats as a header on each page
        for i, tr in enumerate(tbl.xpath("./w:tr | ./w:sdt/w:sdtContent/w:tr | ./w:customXml/w:tr")):
            row = [""] * _int(_val(tr, "w:trPr", "w:gridBefore"), 0)
            bolds: list[bool] = []
            for tc in tr.xpath("./w:tc | ./w:sdt/w:sdtContent/w:tc | ./w:customXml/w:tc"):
                width = max(1, _int(_val(tc, "w:tcPr", "w:gridSpan"), 1))
                text = ""  # a vertically merged cell's text is in the merge's first row only
                if _val(tc, "w:tcPr", "w:vMerge") in (None, "restart"):
                    text, bold = self.cell(tc)
                    bolds += [bold] if text else []
                spans += [(len(row), width)] if i == 0 else []
                row += [text] + [""] * (width - 1)
            marked = _on(_val(tr, "w:trPr", "w:tblHeader")) if i == 0 else marked
            if any(row):
                rows.append(row)
                bold_rows.append(bool(bolds) and all(bolds))
            elif i == 0:
                spans = []
        width = max((len(r) for r in rows), default=0)
        rows = [r + [""] * (width - len(r)) for r in rows]
        used = [c for c in range(width) if any(r[c] for r in rows)]
        if not _is_header(rows, bold_rows, (marked and bool(spans)) or self.styled_header(tbl)):
            return _Table([[r[c] for c in used] for r in rows], [])
        header = rows[0]
        for start, span in spans:  # a header cell over merged columns names each of them
            header[start:start + span] = [header[start]] * span
        return _Table([[r[c] for c in used] for r in rows[1:]], [header[c] for c in used])

    def styled_header(self, tbl: Any) -> bool:
        """Whether the table's style formats its first row and the table keeps that look switched on."""
        look = tbl.find(f"{qn('w:tblPr')}/{qn('w:tblLook')}")
        flag, bits = (look.get(qn("w:firstRow")), look.get(qn("w:val"), "")) if look is not None else (None, "")
        if (flag is not None and not _on(flag)) or (flag is None and re.fullmatch(r"[0-9A-Fa-f]{1,4}", bits)
                                                    and not int(bits, 16) & 0x20):
            return False
        styles = self.chain(_val(tbl, "w:tblPr", "w:tblStyle"))
        return any(s.element.xpath("./w:tblStylePr[@w:type='firstRow']") for s in styles)

    def cell(self, tc: Any) -> tuple[str, bool]:
        """A cell's text (its paragraphs and any nested table) and whether all of it is bold."""
        inner: list[_Para | _Table] = []
        self.walk(tc, inner)
        text = ""
        for item in inner:
            for piece in [item.text] if isinstance(item, _Para) else [" ".join(r) for r in [item.header, *item.rows]]:
                # A line of its own in a cell is a phrase of its own even without punctuation.
                text = f"{text}{' ' if not text or _TERMINAL.search(text) else '; '}{collapse_ws(piece)}".strip()
        return text, bool(inner) and all(isinstance(i, _Para) and i.bold for i in inner)


def _collect(element: Any, parts: list[str], runs: list[Any], boxes: list[Any]) -> None:
    """Gather a paragraph's visible text, its text runs and its text boxes, in document order."""
    for child in element:
        tag = child.tag
        if tag == qn("w:t"):
            parts.append(child.text or "")
        elif tag in _CHARS:
            parts.append(_CHARS[tag])
        elif tag == qn("w:txbxContent"):
            boxes.append(child)
        elif tag not in _SKIP:
            if tag == qn("w:r") and any((t.text or "").strip() for t in child.iterchildren(qn("w:t"))):
                runs.append(child)
            _collect(child, parts, runs, boxes)


def _is_header(rows: list[list[str]], bold_rows: list[bool], styled: bool) -> bool:
    """Whether the first of several rows names the columns.

    Marked or styled as a header row, or bold while the rest is not; else short labels over a body with
    figures in one of their columns, or (three columns or more) over longer text.
    """
    if len(rows) < 2:
        return False
    if styled or (bold_rows[0] and not all(bold_rows[1:])):
        return True
    first, body = rows[0], rows[1:]
    if not all(_LABEL.fullmatch(c) and len(c.split()) <= 4 for c in first if c):
        return False
    figures = any(first[c] and all(any(ch.isdigit() for ch in r[c]) for r in body if r[c]) and any(r[c] for r in body)
                  for c in range(len(first)))
    longer = sum(bool(c) for c in first) >= 3 and any(not _LABEL.fullmatch(v) or len(v.split()) > 4
                                                      for r in body for v in r if v)
    return figures or longer


def _title(items: list[_Para | _Table], core: str) -> tuple[str, set[int]]:
    """The article's title and the paragraphs that only state it (see the module docstring)."""
    paras = [(i, it) for i, it in enumerate(items) if isinstance(it, _Para)]
    titled = next(((i, p.text) for i, p in paras if p.kind == "title"), None)
    core = collapse_ws(re.sub(r"^Microsoft Word\s*-\s*", "", core))
    title = titled[1] if titled else "" if _PLACEHOLDER_TITLE.fullmatch(core) else core
    skip = {titled[0]} if titled else set()
    first = next((i for i in range(len(items)) if i not in skip), None)
    head = items[first] if first is not None else None
    if first is None or not isinstance(head, _Para) or (head.kind, head.level) != ("heading", 1):
        return title, skip
    h1s = sum((p.kind, p.level) == ("heading", 1) for _, p in paras)
    if title.casefold() == head.text.casefold() or (not title and h1s == 1):
        return title or head.text, skip | {first}
    return title, skip


def _captions(items: list[_Para | _Table], skip: set[int]) -> None:
    """A Caption paragraph names the table after it (Word's default place), else an uncaptioned one before it."""
    for i, item in enumerate(items):
        if isinstance(item, _Para) and item.kind == "caption" and i not in skip:
            after, before = items[i + 1] if i + 1 < len(items) else None, items[i - 1] if i else None
            target = after if isinstance(after, _Table) and not after.caption else before
            if isinstance(target, _Table) and not target.caption:
                target.caption = item.text
                skip.add(i)


def _article(items: list[_Para | _Table], core_title: str) -> Article:
    """State the collected paragraphs and tables through a SectionBuilder."""
    title, skip = _title(items, core_title)
    _captions(items, skip)
    builder = SectionBuilder()
    pending: list[str] = []  # the items of the list being read
    follows = False
    for i, item in enumerate([*items, _Para("", "end")]):  # the blank end closes a last list
        if i in skip:
            continue
        if isinstance(item, _Para) and (item.kind == "list" or (item.kind == "continue" and pending)):
            if item.kind == "continue":
                pending[-1] = f"{pending[-1]} {item.text}"  # a List Continue paragraph goes on with its item
                continue
            if not pending:
                prev = items[i - 1] if i else None
                follows = isinstance(prev, _Para) and prev.kind == "text" and prev.text.endswith(":")
            pending.append(item.text)
            continue
        if pending:
            builder.add_list(pending, follows_paragraph=follows)
            pending = []
        if isinstance(item, _Table):
            builder.table(item.rows, item.header, item.caption)
        elif item.kind in ("heading", "title"):
            builder.heading(item.text)
        else:
            builder.paragraph(item.text, bold=item.bold)
    return Article(article_id="", title=title, sections=builder.sections())
