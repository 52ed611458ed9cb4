"""Markdown articles (.md, .markdown): optional YAML front matter, then CommonMark with tables, by markdown-it-py.

markdown-it-py is a CommonMark-compliant parser, so links with brackets in their URL, entities (`&amp;`),
a line that merely starts with a year ("2019. Since...") and four-backtick fences read as a browser shows
them. Headings become sections, lists keep their lead-in, a table becomes one row sentence per row, a bold
question paragraph starts an FAQ entry. The front matter is read with PyYAML's safe loader.
"""
from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from index.document import Article, ArticleError, SectionBuilder, collapse_ws, decode_text

SUFFIXES = (".md", ".markdown")
_FRONT_MATTER_KEYS = ("title", "url", "date", "id")
_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")
_TAG = re.compile(r"<[^>]*>")
_DETAILS = re.compile(r"(?=<details\b)", re.IGNORECASE)
_SUMMARY = re.compile(r"\s*<details\b[^>]*>\s*<summary\b[^>]*>(.*?)</summary>", re.IGNORECASE | re.DOTALL)


def read(raw: bytes) -> Article:
    """Read a Markdown article."""
    return parse_markdown(decode_text(raw))


def inline_text(token: Token) -> str:
    """The words of an inline token: emphasis, links and code spans dropped as markup, images dropped."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return collapse_ws("".join(parts))


def _all_bold(token: Token) -> bool:
    """Whether an inline token is one strong span ("**Do you take insurance?**")."""
    children = [c for c in token.children or [] if not (c.type == "text" and not c.content.strip())]
    return len(children) >= 3 and children[0].type == "strong_open" and children[-1].type == "strong_close" \
        and not any(c.type == "strong_open" for c in children[1:-1])


class _Reader:
    """Walks the token stream into sections; list items and table cells are gathered until they close."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.builder = SectionBuilder()
        self.lists: list[list[str]] = []  # open lists, outermost first; nested items join the outer list
        self.item_depth = 0
        self.follows_paragraph = False
        self.paragraph_end = -1  # the source line after the last top-level paragraph
        self.list_end = -1  # the source line after the last top-level list
        self.continues = False
        self.table: list[list[str]] | None = None
        self.header_rows = 0

    def feed(self, tokens: Sequence[Token]) -> None:
        for i, token in enumerate(tokens):
            kind = token.type
            if kind == "heading_open":
                self.heading(int(token.tag[1]), inline_text(tokens[i + 1]))
            elif kind in ("bullet_list_open", "ordered_list_open"):
                if not self.lists:
                    start = token.map[0] if token.map else -2
                    self.follows_paragraph = start == self.paragraph_end  # no blank line between them
                    self.continues = start == self.list_end
                    self.list_end = token.map[1] if token.map else -1
                    self.lists.append([])
                else:
                    self.lists.append(self.lists[-1])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                items = self.lists.pop()
                if not self.lists:
                    self.builder.add_list(items, follows_paragraph=self.follows_paragraph, continues=self.continues)
            elif kind == "list_item_open":
                self.lists[-1].append("")
            elif kind == "inline" and tokens[i - 1].type == "paragraph_open":
                self.paragraph(tokens[i])
                opened = tokens[i - 1].map
                if not self.lists and opened:
                    self.paragraph_end = opened[1]
            elif kind in ("fence", "code_block"):
                self.text(token.content)
            elif kind == "html_block":
                self.html(token.content)
            elif kind == "table_open":
                self.table, self.header_rows = [], 0
            elif kind == "tr_open" and self.table is not None:
                self.table.append([])
            elif kind == "inline" and self.table is not None and tokens[i - 1].type in ("th_open", "td_open"):
                self.table[-1].append(inline_text(token))
                if tokens[i - 1].type == "th_open" and len(self.table) == 1:
                    self.header_rows = 1
            elif kind == "table_close" and self.table is not None:
                header, rows = (self.table[0], self.table[1:]) if self.header_rows else ((), self.table)
                self.builder.table(rows, header)
                self.table = None

    def heading(self, level: int, text: str) -> None:
        if level == 1 and not self.title:
            self.title = text  # the title is not a section heading
        elif text and not (level == 1 and text == self.title):
            self.builder.heading(text)

    def paragraph(self, token: Token) -> None:
        text = inline_text(token)
        if self.lists:
            item = self.lists[-1]
            item[-1] = f"{item[-1]} {text}".strip()  # a loose item's paragraphs are one item
            return
        self.builder.paragraph(text, bold=_all_bold(token))

    def html(self, content: str) -> None:
        """Raw HTML in Markdown: its words; a `<details><summary>` FAQ entry is a question and its answer."""
        if self.lists or "<summary" not in content.lower():
            self.text(html.unescape(_TAG.sub(" ", content)))
            return
        for part in _DETAILS.split(content):
            answer = part
            if m := _SUMMARY.match(part):
                self.builder.question(html.unescape(_TAG.sub(" ", m.group(1))))
                answer = part[m.end():]
            self.text(html.unescape(_TAG.sub(" ", answer)))

    def text(self, content: str) -> None:
        if self.lists:
            self.lists[-1][-1] = f"{self.lists[-1][-1]} {collapse_ws(content)}".strip()
        else:
            self.builder.paragraph(content)


def parse_markdown(text: str) -> Article:
    """Parse a Markdown article with optional YAML front matter."""
    front, body = _split_front_matter(text)
    reader = _Reader(_scalar(front.get("title")))
    reader.feed(_PARSER.parse(body))
    meta = {
        str(k): v.strip()
        for k, v in front.items()
        if str(k) not in _FRONT_MATTER_KEYS and isinstance(v, str) and v.strip()
    }
    return Article(
        article_id=_scalar(front.get("id")),
        title=reader.title,
        sections=reader.builder.sections(),
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
