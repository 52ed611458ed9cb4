"""pdfminer.six's layout of a PDF: its text lines with position, font and box, without running headers/footers.

The lines come in pdfminer's reading order; list items are marked on them (a bullet or number before the text,
or a small drawn dot beside it) for the assembler in this package to rebuild the article from.
"""
from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTChar, LTComponent, LTContainer, LTCurve, LTImage, LTPage, LTTextBox, LTTextLine
from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdffont import PDFFont, PDFSimpleFont
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1
from pdfminer.utils import decode_text as decode_pdf_text

from index.document import ArticleError, collapse_ws

Shapes = list[tuple[int, LTComponent]]  # small drawn shapes that may be bullets, with their page number

_LAPARAMS = LAParams(all_texts=True)  # all_texts: some generators put a whole page inside one form XObject
_BOLD = re.compile(r"bold|black|heavy|semibold|demi|extrabold|ultrabold|[-,]bd\b|-sb\b", re.IGNORECASE)
_SUBSET = re.compile(r"^[A-Z]{6}\+")
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
_CID = re.compile(r"\(cid:\d+\)")
_BULLET = re.compile(r"^(?:[•▪▫◦‣⁃∙·●○■□►▸➢✓✔❖]\s*|[-–—*]\s+)(?=\S)")
_NUMBER = re.compile(r"^(?:\d{1,2}[.)]|\(\d{1,2}\)|\(?[a-z]\))\s+(?=\S)")
_LONE_MARKER = re.compile(r"^(?:[•▪▫◦‣⁃∙·●○■□►▸➢✓✔❖\-–—*]|\d{1,2}[.)]|\(\d{1,2}\))$")
_PAGE_LABEL = re.compile(r"^(?:page\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE)
_PAGE_OF = re.compile(r"\bpage\s+\d{1,4}\s+(?:of|/)\s+\d{1,4}\b", re.IGNORECASE)
TERMINAL = re.compile(r"[.!?:;][\"'”’)\]]*$")  # a line ending a sentence
_JUNK_META = frozenset({"anonymous", "unspecified", "unknown", "none", "untitled", "user", "administrator"})
# WinAnsiEncoding draws its unused codes as a bullet (PDF 1.7, appendix D), and reportlab writes "•" as 127.
_WINANSI_BULLETS = frozenset({127, 129, 141, 143, 144, 157})


class _Aggregator(PDFPageAggregator):
    """pdfminer's page aggregator, reading the codes WinAnsi fonts draw as a bullet as one."""

    def handle_undefined_char(self, font: PDFFont, cid: int) -> str:
        """A bullet for WinAnsi's unused codes in a simple font, else pdfminer's "(cid:N)" placeholder."""
        if isinstance(font, PDFSimpleFont) and cid in _WINANSI_BULLETS:
            return "•"
        return super().handle_undefined_char(font, cid)


@dataclass
class Line:
    """One text line of the PDF: its text, bounding box, font size and weight, page and layout box."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float  # the most common font size of its characters
    bold: bool  # every character in a bold font
    page: int
    box: int  # pdfminer's layout box, numbered over the whole document
    box_x0: float
    box_x1: float
    marker: str = ""  # "bullet" or "number" when the line starts a list item
    marker_x0: float = 0.0
    body: str = ""  # the text without its list marker

    @property
    def style(self) -> tuple[float, bool]:
        """The font size to the half point, and whether bold: lines in one style read as one run."""
        return round(self.size * 2) / 2, self.bold


def open_pdf(raw: bytes) -> tuple[list[LTPage], dict[str, str]]:
    """The PDF's pages as laid out by pdfminer, and its meaningful metadata; ArticleError if it cannot be read."""
    if b"%PDF-" not in raw[:1024]:
        raise ArticleError("not a readable PDF: no %PDF header (is it really a PDF?)")
    if b"%%EOF" not in raw[-1024:]:
        raise ArticleError("not a readable PDF: the file is truncated (it does not end with %%EOF)")
    manager = PDFResourceManager()
    device = _Aggregator(manager, laparams=_LAPARAMS)
    interpreter = PDFPageInterpreter(manager, device)
    pages: list[LTPage] = []
    try:
        document = PDFDocument(PDFParser(io.BytesIO(raw)), password="")
        for page in PDFPage.create_pages(document):
            interpreter.process_page(page)
            pages.append(device.get_result())
    except PDFPasswordIncorrect:
        raise ArticleError("encrypted PDF: it needs a password to open") from None
    except PDFEncryptionError as exc:
        raise ArticleError(f"encrypted PDF: unsupported encryption ({exc})") from None
    except Exception as exc:  # pdfminer raises many types (PSEOF, KeyError, TypeError...) for a damaged file
        reason = collapse_ws(str(exc))
        raise ArticleError(f"not a readable PDF: {type(exc).__name__}{': ' if reason else ''}{reason}") from None
    if not pages:
        raise ArticleError("not a readable PDF: it has no pages")
    info: dict[str, str] = {}
    for entry in document.info:
        for key, raw_value in entry.items():
            value = resolve1(raw_value)
            text = collapse_ws(decode_pdf_text(value) if isinstance(value, bytes) else str(value))
            if isinstance(value, (bytes, str)) and text and text.lower() not in _JUNK_META:
                info[str(key)] = text
    return pages, info


def lines_of(pages: list[LTPage]) -> tuple[list[Line], Shapes]:
    """The pages' upright text lines in reading order, and the small shapes that may be drawn bullets."""
    lines: list[Line] = []
    shapes: Shapes = []
    boxes = 0
    cid = total = 0
    for number, page in enumerate(pages):
        for item in _walk(page):
            if isinstance(item, LTTextBox):
                boxes += 1
                for line in item:
                    if not isinstance(line, LTTextLine):
                        continue
                    chars = [c for c in line if isinstance(c, LTChar) and c.get_text().strip()]
                    if not chars or sum(c.upright for c in chars) < len(chars) / 2:
                        continue  # rotated text: watermarks and margin notes, not the article
                    raw_text = line.get_text()
                    cid += sum(len(m) for m in _CID.findall(raw_text))
                    total += len(raw_text.strip())
                    text = collapse_ws(_CID.sub("", raw_text).translate(_LIGATURES))
                    if text:
                        size = Counter(round(c.size, 1) for c in chars).most_common(1)[0][0]
                        bold = all(_BOLD.search(_SUBSET.sub("", c.fontname)) for c in chars)
                        lines.append(Line(text, *line.bbox, size, bold, number, boxes, item.x0, item.x1))
            elif _is_dot(item):
                shapes.append((number, item))
    if total and cid > total * 0.3:
        raise ArticleError("no usable text layer: its fonts do not map the characters to text (no ToUnicode map)")
    return lines, shapes


def _walk(container: LTContainer[LTComponent]) -> Iterator[LTComponent]:
    for item in container:
        yield item
        if isinstance(item, LTContainer) and not isinstance(item, LTTextBox):
            yield from _walk(item)


def _is_dot(item: LTComponent) -> bool:
    # A bullet drawn as a small filled shape or image, as fpdf and some Word exports do.
    if not isinstance(item, (LTCurve, LTImage)):
        return False
    return 1.5 <= item.width <= 9 and 1.5 <= item.height <= 9 and 0.5 <= item.width / item.height <= 2


def drop_running_lines(lines: list[Line], pages: list[LTPage]) -> list[Line]:
    """Drop page headers, footers and page numbers: edge lines repeating on several pages, or page labels."""
    edge: dict[int, tuple[str, int]] = {}  # id of a top-most or bottom-most line in the margins -> its key
    for number, page in enumerate(pages):
        on_page = sorted((line for line in lines if line.page == number), key=lambda ln: -ln.y1)
        band = page.height * 0.2
        for line in [ln for ln in on_page[:2] if ln.y0 >= page.y1 - band] + [
                ln for ln in on_page[-2:] if ln.y1 <= page.y0 + band]:
            # The same text (page numbers aside) at the same height on several pages is a running header/footer.
            edge[id(line)] = re.sub(r"\d+", "#", line.text.lower()), round(line.y0 / 4)
    pages_of: dict[tuple[str, int], set[int]] = {}
    for line in lines:
        if id(line) in edge:
            pages_of.setdefault(edge[id(line)], set()).add(line.page)
    return [line for line in lines if id(line) not in edge or not (
        len(pages_of[edge[id(line)]]) >= 2 or _PAGE_LABEL.match(line.text) or _PAGE_OF.search(line.text))]


def mark_list_items(lines: list[Line], shapes: Shapes) -> None:
    """Mark the lines that start a list item: a bullet or number before the text, or a drawn dot beside it."""
    previous: Line | None = None
    for line in lines:
        line.body = line.text
        if m := _BULLET.match(line.text):
            line.marker, line.marker_x0, line.body = "bullet", line.x0, line.text[m.end():]
        elif (m := _NUMBER.match(line.text)) and not _mid_sentence(previous, line):
            line.marker, line.marker_x0, line.body = "number", line.x0, line.text[m.end():]
        previous = line
    for line in lines:
        if not _LONE_MARKER.match(line.text):
            continue
        target = _right_neighbour(line, lines)
        if target is not None:
            target.marker = "number" if line.text[0].isdigit() or line.text[0] == "(" else "bullet"
            target.marker_x0 = line.x0
            line.text = ""  # the marker has been moved onto its item
    for page, shape in shapes:
        mid = (shape.y0 + shape.y1) / 2
        for line in lines:
            if line.page == page and not line.marker and line.y0 <= mid <= line.y1 and 0 <= line.x0 - shape.x1 <= 30:
                line.marker, line.marker_x0 = "bullet", shape.x0
                break


def _mid_sentence(previous: Line | None, line: Line) -> bool:
    # "... costs about" / "2. ..." in one box: a number that wrapped to the line start, not a numbered item.
    return (previous is not None and previous.box == line.box and not previous.marker
            and not TERMINAL.search(previous.text) and previous.x1 >= previous.box_x1 - 0.1 * width(previous))


def _right_neighbour(marker: Line, lines: list[Line]) -> Line | None:
    mid = (marker.y0 + marker.y1) / 2
    near = [ln for ln in lines if ln is not marker and ln.page == marker.page and ln.text and ln.y0 <= mid <= ln.y1
            and 0 <= ln.x0 - marker.x1 + 1 <= 40 and not _LONE_MARKER.match(ln.text)]
    return min(near, key=lambda ln: ln.x0, default=None)


def width(line: Line) -> float:
    """The width of the line's layout box (at least 1 point)."""
    return max(line.box_x1 - line.box_x0, 1.0)
