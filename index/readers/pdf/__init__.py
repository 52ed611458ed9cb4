"""PDF articles (.pdf): text lines from pdfminer.six's layout analysis, rebuilt into headings, paragraphs and lists.

pdfminer.six is used because its layout analysis gives every text line with its position, font name and size:
a PDF has no headings or paragraphs, only positioned glyphs, so headings are told by a font clearly larger than
the body text's (or a short all-bold line), paragraphs by layout boxes, lists by bullet glyphs, numbers or small
drawn dots, and running headers/footers by text repeating at the top or bottom of pages. The title is the
largest line on page 1, else the document's metadata title when it is meaningful.
"""
from __future__ import annotations

import re
from collections import Counter

from index.document import Article, ArticleError, SectionBuilder, collapse_ws
from index.readers.pdf import layout
from index.readers.pdf.layout import TERMINAL, Line, width

SUFFIXES = (".pdf",)

_HEADING_RATIO = 1.15  # a heading's font is at least this much larger than the body text's
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
_JUNK_TITLE = re.compile(r"^(?:untitled|title|document|none|slide \d+|microsoft (?:word|powerpoint)\b.*)$|\.\w{2,5}$",
                         re.IGNORECASE)
# Prefixes that keep their hyphen when a line break falls on it ("follow-up", "self-care"); other words
# broken at a line end with a hyphen are joined back ("physio-" + "therapist").
_COMPOUND_PREFIXES = frozenset({"self", "well", "follow", "half", "long", "short", "full", "part"})


def read(raw: bytes) -> Article:
    """Read a PDF article."""
    pages, info = layout.open_pdf(raw)
    lines, shapes = layout.lines_of(pages)
    if not any(line.text.strip() for line in lines):
        raise ArticleError("no text layer (a scanned PDF?): there is no text to read, only images or drawings")
    lines = layout.drop_running_lines(lines, pages)
    layout.mark_list_items(lines, shapes)
    lines = [line for line in lines if line.text]
    if not lines:
        raise ArticleError("no text found: the PDF has only page headers, footers and numbers")
    return _Assembler(lines, info).article()


def _close_below(prev: Line, line: Line) -> bool:
    # The next line of the same block: straight below, at about the line spacing.
    return prev.page == line.page and -1 <= prev.y0 - line.y1 < 0.6 * prev.size and line.x0 < prev.x1


class _Assembler:
    """Turns the article's lines, in reading order, into a title and the builder's headings, paragraphs and lists."""

    def __init__(self, lines: list[Line], info: dict[str, str]) -> None:
        self.lines = lines
        self.info = info
        sizes: Counter[float] = Counter()
        bold: Counter[bool] = Counter()
        for line in lines:
            sizes[line.style[0]] += len(line.text)
            bold[line.bold] += len(line.text)
        self.body_size = sizes.most_common(1)[0][0]
        self.bold_is_body = bold[True] > bold[False]  # an all-bold document has no bold headings
        self.vocabulary = {w.lower() for line in lines for w in _WORD.findall(line.text)}
        self.builder = SectionBuilder()
        self.paragraph: list[Line] = []
        self.items: list[list[Line]] = []

    def article(self) -> Article:
        """The article: title, sections and metadata."""
        runs = self._runs()
        title_run = self._title_run(runs)
        title = self._join(runs[title_run]) if title_run is not None else ""
        heading_styles = Counter(run[0].style for run in runs if self._is_heading(run))
        for index, run in enumerate(runs):
            if index == title_run:
                continue
            subtitle = title_run is not None and index == title_run + 1 and heading_styles[run[0].style] == 1
            if self._is_heading(run) and not subtitle:
                self._flush()
                text = self._join(run)
                if text.endswith("?") and run[0].size < self.body_size * _HEADING_RATIO:
                    self.builder.paragraph(text, bold=True)  # a bold FAQ question over its answer
                else:
                    self.builder.heading(text)
            else:
                for line in run:
                    self._body_line(line)
        self._flush()
        meta = {k.lower(): self.info[k] for k in ("Author", "Subject", "Keywords") if k in self.info}
        return Article(
            article_id="",
            title=title or _meaningful_title(self.info.get("Title", "")),
            sections=self.builder.sections(),
            date=_pdf_date(self.info.get("ModDate") or self.info.get("CreationDate") or ""),
            meta=meta,
        )

    def _runs(self) -> list[list[Line]]:
        # Consecutive lines of one box in one style: a wrapped heading is one run, so is a paragraph.
        runs: list[list[Line]] = []
        for line in self.lines:
            last = runs[-1][-1] if runs else None
            if last is not None and last.box == line.box and last.style == line.style and not line.marker:
                runs[-1].append(line)
            else:
                runs.append([line])
        return runs

    def _title_run(self, runs: list[list[Line]]) -> int | None:
        first_page = [i for i, run in enumerate(runs) if run[0].page == 0]
        if not first_page:
            return None
        largest = max(runs[i][0].size for i in first_page)
        if largest < self.body_size * _HEADING_RATIO:
            return None
        index = next(i for i in first_page if runs[i][0].size == largest)
        return index if len(self._join(runs[index]).split()) <= 25 else None

    def _is_heading(self, run: list[Line]) -> bool:
        text = self._join(run)
        words = len(text.split())
        if run[0].size >= self.body_size * _HEADING_RATIO:
            return words <= 20
        if not run[0].bold or self.bold_is_body or words > 15 or run[0].marker:
            return False
        return text.endswith("?") or not re.search(r"[.,;:!]$", text)

    def _body_line(self, line: Line) -> None:
        if line.marker:
            self._flush(lists=bool(self.items) and self.items[0][0].marker != line.marker)  # bullets after numbers
            self.items.append([line])
        elif self.items and self._continues_item(self.items[-1], line):
            self.items[-1].append(line)
        elif self.paragraph and self._continues(self.paragraph[-1], line):
            self.paragraph.append(line)
        else:
            self._flush()
            self.paragraph = [line]

    def _continues(self, prev: Line, line: Line) -> bool:
        if abs(prev.size - line.size) >= 0.5:
            return False
        ended = bool(TERMINAL.search(prev.text) and prev.x1 < prev.box_x1 - 0.15 * width(prev))
        if prev.box == line.box:
            return not ended
        if _close_below(prev, line):
            return not ended  # pdfminer puts a line in a box of its own when it is not aligned with the one above
        # A paragraph running on over a page or column break: no sentence end, and lower case after.
        return not TERMINAL.search(prev.text) and line.text[:1].islower()

    def _continues_item(self, item: list[Line], line: Line) -> bool:
        first, prev = item[0], item[-1]
        if not self._continues(prev, line):
            return False
        if prev.box != line.box and not _close_below(prev, line):
            return True  # went on over a page or column break
        if prev.box != line.box:
            return line.x0 > first.marker_x0 + 2  # a hanging indent under the item's text
        return line.x0 >= first.marker_x0 - 2  # a line left of the bullet is the text after the list

    def _flush(self, lists: bool = True) -> None:
        if self.paragraph:
            self.builder.paragraph(self._join(self.paragraph), bold=all(ln.bold for ln in self.paragraph))
            self.paragraph = []
        if self.items and lists:
            self.builder.add_list([self._join(item) for item in self.items])
            self.items = []

    def _join(self, lines: list[Line]) -> str:
        text = lines[0].body or lines[0].text
        for line in lines[1:]:
            text = _join_pair(text, line.text, self.vocabulary)
        return collapse_ws(text)


def _join_pair(left: str, right: str, vocabulary: set[str]) -> str:
    """Join two lines of a paragraph, joining back a word the line break hyphenated."""
    if left.endswith("\u00ad"):
        return left[:-1] + right
    if len(left) < 2 or left[-2].isspace() or left[-1] not in "-‐–—":
        return f"{left} {right}"
    if left[-1] in "–—":
        return left + right  # "Monday–" + "Friday": a dash between words or numbers, no space
    head = re.search(r"([A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)-$", left)
    tail = re.match(r"[A-Za-z]+", right)
    if head is None or tail is None or not head.group(1)[-1].isalpha() or not right[0].islower():
        return left + right  # "30-" + "45", "COVID-" + "19": a real hyphen
    before, after = head.group(1).split("-")[-1], tail.group(0)
    compound = f"{before}-{after}".lower()
    if compound in vocabulary or "-" in head.group(1) or len(before) == 1 or before.isupper():
        return left + right
    if (before + after).lower() in vocabulary:
        return left[:-1] + right
    return left + right if before.lower() in _COMPOUND_PREFIXES else left[:-1] + right


def _meaningful_title(title: str) -> str:
    # "untitled", "Microsoft Word - handout.docx": what the authoring program filled in, not a title.
    return "" if _JUNK_TITLE.search(title) or not re.search(r"[A-Za-z]", title) or len(title) > 200 else title


def _pdf_date(value: str) -> str:
    # PDF dates look like "D:20240201090000Z"; the article date is the day.
    m = re.match(r"^(?:D:)?(\d{4})(\d{2})(\d{2})", value)
    if not m or not ("01" <= m.group(2) <= "12" and "01" <= m.group(3) <= "31"):
        return ""
    return "-".join(m.groups())
