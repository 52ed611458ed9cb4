"""Plain-text articles (.txt): a title line, then heading lines, "- " or "1." list items and paragraph lines.

Clinics' plain-text articles mark sections by short title-case or sentence-case lines over a paragraph; a line
that ends like a sentence is text, and an ALL CAPS line is a call to action, never a heading.
"""
from __future__ import annotations

import re

from index.document import Article, ArticleError, SectionBuilder, decode_text

SUFFIXES = (".txt",)


def read(raw: bytes) -> Article:
    """Read a .txt article."""
    return parse_plain_text(decode_text(raw))


_TXT_ITEM = re.compile(r"(?:[-•*]|\d{1,3}[.)])\s+(\S.*)")
# Short words that stay lower-case in title case ("What to Expect During an ... Session").
_SMALL_WORDS = frozenset(
    ("a", "an", "the", "of", "for", "and", "or", "but", "nor", "to", "in", "on", "at", "by", "with",
     "from", "into", "onto", "during", "behind", "as", "vs", "via", "per", "over", "under", "about",
     "after", "before", "than", "off", "out", "up")
)


def looks_like_heading(line: str) -> bool:
    """True for a short title-case line without end punctuation, e.g. "Final Thoughts"."""
    line = line.strip()
    words = line.split()
    if not words or len(words) > 12:
        return False
    if line.rstrip("\"'”’)]")[-1:] in tuple(".!?:;,"):
        return False
    letters = [c for c in line if c.isalpha()]
    if not letters or all(c.isupper() for c in letters):
        return False  # ALL CAPS lines are calls to action, not headings
    firsts = [next((c for c in w if c.isalnum()), "") for w in words]
    if not firsts[0] or firsts[0].islower():
        return False
    bare = [re.sub(r"\W", "", w.lower()) for w in words]
    content = [f for b, f in zip(bare, firsts, strict=True) if f and b not in _SMALL_WORDS]
    capitalised = sum(1 for f in content if not f.islower())
    return bool(content) and capitalised / len(content) >= 0.75


_END = tuple(".!;,:")


def heads_paragraph(line: str, following: str) -> bool:
    """A short line over a paragraph or a list, in sentence case or as a question ("How long does it take?").

    Clinics' plain-text articles mark sections this way; a line ending like a sentence is text, and ALL CAPS
    is a call to action.
    """
    words = line.split()
    letters = [c for c in line if c.isalpha()]
    if not words or len(words) > 12 or line.rstrip("\"'”’)]")[-1:] in _END or not line[:1].isupper():
        return False
    if not letters or all(c.isupper() for c in letters):
        return False
    if _TXT_ITEM.fullmatch(following):
        return True
    return following.rstrip().endswith((".", "!", "?", ":")) and len(following.split()) > len(words)


def parse_plain_text(text: str) -> Article:
    """Parse a .txt article's text: title line, then heading, list-item and paragraph lines."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if not lines:
        raise ArticleError("file is empty")
    title, body = lines[0], lines[1:]
    builder = SectionBuilder()
    i = 0
    while i < len(body):
        items: list[str] = []
        while i < len(body) and (m := _TXT_ITEM.fullmatch(body[i])):
            items.append(m.group(1))
            i += 1
        if items:
            builder.add_list(items)
            continue
        # A heading-like last line has nothing to head, so it is kept as text.
        if i + 1 < len(body) and (looks_like_heading(body[i]) or heads_paragraph(body[i], body[i + 1])):
            builder.heading(body[i])
        else:
            builder.paragraph(body[i])
        i += 1
    return Article(article_id="", title=title, sections=builder.sections())
