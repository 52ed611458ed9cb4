"""Read one article file (.md, .markdown, .txt, .html, .htm) into an `Article`."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from index.article import Article, ArticleError, Block, Section

_SNIFF_BYTES = 8192  # a NUL byte this early means the file is not text
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,120}")
_WS = re.compile(r"\s+")
_FRONT_MATTER_KEYS = ("title", "url", "date", "id")


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


def read_article(path: Path) -> Article:
    """Read and parse one corpus file; raise ArticleError if it has no usable text."""
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        article = parse_markdown(text)
    elif suffix == ".txt":
        article = parse_plain_text(text)
    elif suffix in (".html", ".htm"):
        from index.html_page import parse_html  # local import: html_page uses SectionBuilder

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
        if looks_like_heading(body[i]) and i + 1 < len(body):
            builder.heading(body[i])
        else:
            builder.paragraph(body[i])
        i += 1
    return Article(article_id="", title=title, sections=builder.sections())


_MD_HEADING = re.compile(r" {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*")
_MD_ITEM = re.compile(r"(\s*)(?:[-*+]|\d{1,9}[.)])\s+(.*)")
_MD_RULE = re.compile(r" {0,3}([-*_])(?:\s*\1){2,}\s*")
_MD_SETEXT = re.compile(r" {0,3}(=+|-+)\s*")
_MD_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_MD_QUOTE = re.compile(r"^ {0,3}(?:>\s?)+")
_MD_REF_DEF = re.compile(r" {0,3}\[[^\]]+\]:\s*\S+.*")
_ESCAPABLE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")
_INLINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<!--.*?-->"), ""),
    (re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]"), ""),  # images carry no text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<((?:https?://|mailto:)[^>\s]+)>"), r"\1"),
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"), ""),  # inline HTML tags
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])"), r"\1"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),
)


def strip_markdown_inline(text: str) -> str:
    """Remove inline Markdown (emphasis, code, links, images) and keep the words."""
    kept: list[str] = []

    def hold(value: str) -> str:
        # Code spans and escaped characters are parked so later rules cannot touch them.
        kept.append(value)
        return f"\ue000{len(kept) - 1}\ue001"

    text = re.sub(r"(`+)(.+?)\1", lambda m: hold(m.group(2).strip()), text)
    text = _ESCAPABLE.sub(lambda m: hold(m.group(1)), text)
    for pattern, replacement in _INLINE_RULES:
        text = pattern.sub(replacement, text)
    text = re.sub(r"\ue000(\d+)\ue001", lambda m: kept[int(m.group(1))], text)
    return collapse_ws(text)


class _MarkdownReader:
    """Line-by-line Markdown reader; state lives here rather than in nested closures."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.builder = SectionBuilder()
        self.para: list[str] = []
        self.items: list[str] | None = None
        self.items_follow_para = False
        self.blank_in_list = False
        self.fence: str | None = None

    def feed(self, line: str) -> None:
        if self.fence is not None:  # fenced lines are one paragraph, never read as markup
            if line.strip().startswith(self.fence):
                self.fence = None
                self.end_paragraph()
            else:
                self.para.append(line.strip())
            return
        line = _MD_QUOTE.sub("", line)
        if not line.strip():
            self.end_paragraph()
            self.blank_in_list = self.items is not None
            return
        if (m := _MD_SETEXT.fullmatch(line)) and self.para and self.items is None:
            text, self.para = " ".join(self.para), []
            self.heading(1 if m.group(1)[0] == "=" else 2, text)
        elif m := _MD_FENCE.match(line):
            self.end_blocks()
            self.fence = m.group(1)[:3]
        elif _MD_RULE.fullmatch(line):
            self.end_blocks()
        elif m := _MD_HEADING.fullmatch(line):
            self.end_blocks()
            self.heading(len(m.group(1)), m.group(2) or "")
        elif _MD_REF_DEF.fullmatch(line):
            pass  # link reference definitions are not text
        elif m := _MD_ITEM.fullmatch(line):
            if self.items is None:
                self.items_follow_para = bool(self.para)
                self.end_paragraph()
                self.items = []
            self.items.append(m.group(2))
            self.blank_in_list = False
        elif self.items and (line[:1].isspace() or not self.blank_in_list):
            self.items[-1] += " " + line.strip()  # continuation (indented or lazy) of the last item
        else:
            self.end_list()
            self.para.append(line.strip().removesuffix("\\").rstrip())  # trailing backslash = hard break

    def heading(self, level: int, raw: str) -> None:
        text = strip_markdown_inline(raw)
        if level == 1 and not self.title:
            self.title = text  # the title is not a section heading
        elif text and not (level == 1 and text == self.title):
            self.builder.heading(text)

    def end_paragraph(self) -> None:
        if self.para:
            self.builder.paragraph(strip_markdown_inline(" ".join(self.para)))
            self.para = []

    def end_list(self) -> None:
        if self.items is not None:
            items = [strip_markdown_inline(i) for i in self.items]
            self.builder.add_list(items, follows_paragraph=self.items_follow_para)
        self.items, self.blank_in_list = None, False

    def end_blocks(self) -> None:
        self.end_paragraph()
        self.end_list()

    def finish(self) -> tuple[Section, ...]:
        self.end_blocks()
        return self.builder.sections()


def parse_markdown(text: str) -> Article:
    """Parse a Markdown article with optional YAML front matter."""
    front, body = _split_front_matter(text)
    reader = _MarkdownReader(_scalar(front.get("title")))
    for line in body.split("\n"):
        reader.feed(line)
    sections = reader.finish()
    meta = {
        str(k): v.strip()
        for k, v in front.items()
        if str(k) not in _FRONT_MATTER_KEYS and isinstance(v, str) and v.strip()
    }
    return Article(
        article_id=_scalar(front.get("id")),
        title=reader.title,
        sections=sections,
        url=_scalar(front.get("url")),
        date=_scalar(front.get("date")),
        meta=meta,
    )


def _split_front_matter(text: str) -> tuple[dict[Any, Any], str]:
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return {}, text
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), 0)
    if not end:
        raise ArticleError("broken front matter: no closing '---' line")
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.MarkedYAMLError as exc:
        where = f" (line {exc.problem_mark.line + 2})" if exc.problem_mark else ""
        raise ArticleError(f"broken front matter: {exc.problem or exc.context}{where}") from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        # PyYAML raises plain ValueError for impossible dates such as 2024-13-45.
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ArticleError(f"broken front matter: {reason}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ArticleError(f"broken front matter: expected 'key: value' lines, got a {kind}")
    return data, "\n".join(lines[end + 1 :])


def _scalar(value: object) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return collapse_ws(str(value))
    return ""  # lists, mappings and nulls are not usable as a title, url, date or id
