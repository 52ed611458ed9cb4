"""The document model every reader produces: an article of sections under headings, each a run of blocks.

A reader (index/readers/, one module per format) turns a file into an `Article` through a `SectionBuilder`,
which knows the shapes clinics write in any format: headings, paragraphs, lists with their lead-in, tables
(one row stated with its header per block) and FAQ entries ("Q: ... A: ...", or a bold question over its
answer), whose question becomes the section heading. Readers import this module and nothing else of ours.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import charset_normalizer

_WS = re.compile(r"\s+")
_TERMINAL = re.compile(r"[.!?:;…][\"'”’)\]]*$")
_QA = re.compile(r"^(?:Q|Question)\s*[:.]\s*(\S.*)$", re.IGNORECASE)
_ANSWER = re.compile(r"^(?:A|Answer)\s*[:.]\s*", re.IGNORECASE)


class ArticleError(ValueError):
    """An article file that cannot be read; the message says why."""


@dataclass(frozen=True)
class Block:
    """One block of body text: a paragraph, a list with its lead-in, or one table row stated as a sentence."""

    text: str
    items: tuple[str, ...] = ()  # list items (without bullets) when the block is a list
    is_row: bool = False  # a table row, stated with its header by `row_sentence`

    @property
    def is_list(self) -> bool:
        return bool(self.items)


@dataclass(frozen=True)
class Section:
    """A heading (empty for the text before the first heading) and the blocks under it."""

    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Article:
    """One article: identity, metadata and its sections in reading order."""

    article_id: str
    title: str
    sections: tuple[Section, ...]
    url: str = ""
    date: str = ""
    source_path: str = ""
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SkippedFile:
    """A corpus file that was not indexed, and why."""

    path: str
    reason: str


_SNIFF_BYTES = 8192  # a NUL byte this early means the file is not text


def decode_text(raw: bytes) -> str:
    """A text file's characters: UTF-8 (with or without BOM), else the encoding charset-normalizer detects.

    Line ends become "\n". A binary file or one whose encoding cannot be told raises ArticleError.
    """
    if b"\x00" in raw[:_SNIFF_BYTES]:
        raise ArticleError("looks like a binary file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        matches = list(charset_normalizer.from_bytes(raw))
        if not matches:
            raise ArticleError("not readable as text: the character encoding cannot be detected") from None
        # Among equally likely legacy encodings, windows-1252 is the web's (and Word's) usual one.
        tied = [m for m in matches if (m.chaos, m.coherence) == (matches[0].chaos, matches[0].coherence)]
        text = str(next((m for m in tied if m.encoding == "cp1252"), matches[0]))
    if not text.strip():
        raise ArticleError("file is empty")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def collapse_ws(text: str) -> str:
    """Collapse every whitespace run to one space and trim the ends."""
    return _WS.sub(" ", text).strip()


def row_sentence(cells: Sequence[str], header: Sequence[str] = ()) -> str:
    """A table row as a sentence a patient can be quoted: "In-office whitening: $450." with its header.

    The first cell names the row; with one more column its value follows, with several each value is
    stated with its column's header ("Root canal, molar — Fee: from $1,250; Notes: Crown not included.").
    """
    cells = [collapse_ws(c) for c in cells]
    header = [collapse_ws(h) for h in header]
    if not any(cells):
        return ""
    label, values = cells[0], cells[1:]
    named = [(header[i + 1] if i + 1 < len(header) else "", v) for i, v in enumerate(values) if v]
    if not label:
        label, named = named[0][1], named[1:]
    if not named:
        text = label
    elif len(named) == 1 and len(values) == 1:
        text = f"{label}: {named[0][1]}"
    else:
        text = f"{label} — " + "; ".join(f"{h}: {v}" if h else v for h, v in named)
    return text if _TERMINAL.search(text) else text + "."


class SectionBuilder:
    """Collects blocks under the current heading, in reading order."""

    def __init__(self) -> None:
        self._sections: list[Section] = []
        self._heading = ""
        self._blocks: list[Block] = []

    def heading(self, text: str) -> None:
        """Start a new section under `text`."""
        self._flush()
        self._heading = collapse_ws(text)

    def question(self, text: str) -> None:
        """An FAQ question: the section its answer is quoted under."""
        self.heading(text)

    def paragraph(self, text: str, bold: bool = False) -> None:
        """Add a paragraph block unless it is blank.

        "Q: ...?" starts an FAQ entry (and "A: ..." is its answer); so does a paragraph that is all bold and
        asks a question, as FAQ pages write them in Markdown, Word and PDF alike.
        """
        text = collapse_ws(text)
        if not text:
            return
        if (m := _QA.match(text)) and "?" in m.group(1):
            question, _, answer = m.group(1).partition("?")
            self.question(question + "?")
            text = _ANSWER.sub("", answer.strip())
            if not text:
                return
        elif bold and text.endswith("?") and len(text.split()) <= 25:
            self.question(text)
            return
        else:
            text = _ANSWER.sub("", text) if self._blocks == [] and self._heading.endswith("?") else text
        self._blocks.append(Block(text))

    def add_list(self, items: Sequence[str], follows_paragraph: bool = False, continues: bool = False) -> None:
        """Add a list; the paragraph just before it becomes its lead-in if it ends with ':'.

        `continues`: the list goes straight on from the list before it (a Markdown list that changed bullets).
        """
        clean = tuple(t for t in (collapse_ws(i) for i in items) if t)
        if not clean:
            return
        lead = ""
        prev = self._blocks[-1] if self._blocks else None
        if continues and prev is not None and prev.is_list:
            self._blocks[-1] = Block(prev.text, prev.items + clean)
            return
        if prev is not None and not prev.is_list and not prev.is_row and (follows_paragraph
                                                                          or prev.text.endswith(":")):
            lead = self._blocks.pop().text
        self._blocks.append(Block(lead, clean))

    def table(self, rows: Sequence[Sequence[str]], header: Sequence[str] = (), caption: str = "") -> None:
        """A table, one block per row stated with its header, under the current heading.

        The caption is kept as a paragraph before the rows; it heads them only when no heading does (a
        caption is often a note, "Fees as of January 2024", and the page has no anchor for it). A one-column
        table is a list.
        """
        caption = collapse_ws(caption)
        if header and not rows:
            rows, header = [header], ()
        if all(len([c for c in r if collapse_ws(c)]) <= 1 for r in rows):
            if caption:
                self.paragraph(caption if caption.endswith(":") else caption + ":")
            self.add_list([next((c for c in r if collapse_ws(c)), "") for r in rows])
            return
        if caption and not self._heading:
            self.heading(caption)
        elif caption:
            self._blocks.append(Block(caption))
        for row in rows:
            if text := row_sentence(row, header):
                self._blocks.append(Block(text, is_row=True))

    def sections(self) -> tuple[Section, ...]:
        """The sections so far; headings with nothing under them are left out."""
        self._flush()
        return tuple(self._sections)

    def _flush(self) -> None:
        if self._blocks:
            self._sections.append(Section(self._heading, tuple(self._blocks)))
        self._blocks = []
