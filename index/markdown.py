"""Markdown articles: optional YAML front matter, `#` headings, paragraphs and lists; inline markup dropped."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

from index.article import Article, ArticleError, Section
from index.outline import SectionBuilder, collapse_ws

_FRONT_MATTER_KEYS = ("title", "url", "date", "id")
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
