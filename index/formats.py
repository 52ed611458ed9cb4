"""Read one article file (.md, .markdown, .txt, .html, .htm) into an `Article`."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from index.article import Article, ArticleError
from index.html_page import parse_html
from index.markdown import parse_markdown
from index.outline import SectionBuilder, collapse_ws

_SNIFF_BYTES = 8192  # a NUL byte this early means the file is not text
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,120}")


def read_article(path: Path) -> Article:
    """Read and parse one corpus file; raise ArticleError if it has no usable text."""
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        article = parse_markdown(text)
    elif suffix == ".txt":
        article = parse_plain_text(text)
    elif suffix in (".html", ".htm"):
        article = parse_html(text)
    else:
        raise ArticleError(f"unsupported file type '{path.suffix}'")
    if not article.sections:
        raise ArticleError("no text found")
    return dataclasses.replace(
        article,
        article_id=_article_id(article.article_id, path.stem),
        title=article.title or _readable_stem(path.stem),
        source_path=str(path),
    )


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"cannot read file: {exc.strerror or exc}") from None
    if b"\x00" in raw[:_SNIFF_BYTES]:
        raise ArticleError("looks like a binary file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"not valid UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    if not text.strip():
        raise ArticleError("file is empty")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _article_id(candidate: str, stem: str) -> str:
    if _VALID_ID.fullmatch(candidate) and any(c.isalnum() for c in candidate):
        return candidate
    if _VALID_ID.fullmatch(stem) and any(c.isalnum() for c in stem):
        return stem
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:120].strip("-")
    return slug or "article"


def _readable_stem(stem: str) -> str:
    words = collapse_ws(re.sub(r"[-_.]+", " ", stem)) or "untitled"
    return words[:1].upper() + words[1:]


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
    """Parse a .txt article: title line, then heading, list-item and paragraph lines."""
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
