"""Outline: sections of blocks under headings, assembled while an article file is read."""
from __future__ import annotations

import re

from index.article import Block, Section

_WS = re.compile(r"\s+")


def collapse_ws(text: str) -> str:
    """Collapse every whitespace run to one space and trim the ends."""
    return _WS.sub(" ", text).strip()


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

    def paragraph(self, text: str) -> None:
        """Add a paragraph block unless it is blank."""
        text = collapse_ws(text)
        if text:
            self._blocks.append(Block(text))

    def add_list(self, items: list[str], follows_paragraph: bool = False) -> None:
        """Add a list; the paragraph just before it becomes its lead-in if it ends with ':'."""
        clean = tuple(t for t in (collapse_ws(i) for i in items) if t)
        if not clean:
            return
        lead = ""
        prev = self._blocks[-1] if self._blocks else None
        if prev is not None and not prev.is_list and (follows_paragraph or prev.text.endswith(":")):
            lead = self._blocks.pop().text
        self._blocks.append(Block(lead, clean))

    def sections(self) -> tuple[Section, ...]:
        """The sections so far; headings with nothing under them are left out."""
        self._flush()
        return tuple(self._sections)

    def _flush(self) -> None:
        if self._blocks:
            self._sections.append(Section(self._heading, tuple(self._blocks)))
        self._blocks = []
