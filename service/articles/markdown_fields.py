"""A Markdown article as the editor shows it: title, URL and date from its front matter, and the body.

Saving writes the front matter back with PyYAML's safe dumper. Keys the editor does not show (`id`, an
author, tags) are kept as they were, so an edit never changes the article's id; empty fields are left out.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import yaml

from index.document import decode_text
from service.articles.errors import UploadRefused

EDITED_KEYS = ("title", "url", "date")


@dataclass(frozen=True)
class MarkdownFields:
    """An .md article split into its front matter's title, URL and date and its body."""

    title: str
    url: str
    date: str
    body: str


def _scalar(value: object) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, list, dict)):
        return ""
    return str(value).strip()


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The front matter (as a dict) and the body of a Markdown text; UploadRefused when it is broken."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return {}, text
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), 0)
    if not end:
        raise UploadRefused("broken front matter: no closing '---' line")
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise UploadRefused(f"broken front matter: {(str(exc).splitlines() or ['?'])[0]}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UploadRefused("broken front matter: expected 'key: value' lines")
    return {str(k): v for k, v in data.items()}, "\n".join(lines[end + 1:]).lstrip("\n")


def parse_fields(raw: bytes) -> tuple[MarkdownFields, dict[str, Any]]:
    """The editor's fields of a Markdown file and the other front matter keys it keeps."""
    front, body = split_front_matter(_text(raw))
    fields = MarkdownFields(title=_scalar(front.get("title")), url=_scalar(front.get("url")),
                            date=_scalar(front.get("date")), body=body)
    return fields, {k: v for k, v in front.items() if k not in EDITED_KEYS}


def render(fields: MarkdownFields, kept: dict[str, Any] | None = None) -> bytes:
    """The Markdown file for `fields`, with the `kept` front matter keys after title, URL and date."""
    front: dict[str, Any] = {}
    for key in EDITED_KEYS:
        value = " ".join(str(getattr(fields, key)).split())
        if value:
            front[key] = value
    front.update(kept or {})
    body = fields.body.replace("\r\n", "\n").replace("\r", "\n").strip("\n") + "\n"
    if not front:
        return body.encode("utf-8")
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)
    return f"---\n{head}---\n\n{body}".encode()


def _text(raw: bytes) -> str:
    try:
        return decode_text(raw)
    except ValueError as exc:
        raise UploadRefused(f"not readable as text: {exc}") from None


def append_section(raw: bytes, heading: str, text: str) -> bytes:
    """A Markdown file with one more section `## heading` and its `text` at the end; the rest as it was."""
    before = _text(raw).rstrip("\n")
    return f"{before}\n\n## {heading}\n\n{text.strip()}\n".encode()


def with_url(raw: bytes, url: str) -> bytes:
    """A Markdown file whose front matter names `url` (as it was when it already names one).

    The line is added rather than the front matter rewritten, so the rest of the text stays as it was.
    """
    fields, kept = parse_fields(raw)
    if fields.url:
        return raw
    text = _text(raw)
    first, _, rest = text.partition("\n")
    if "url" in split_front_matter(text)[0]:  # an empty `url:` line: a second one would not win
        return render(MarkdownFields(fields.title, url, fields.date, fields.body), kept)
    line = f"url: {json.dumps(url)}"  # a JSON string is a YAML double-quoted scalar
    if first.rstrip() == "---":
        return f"---\n{line}\n{rest}".encode()
    return f"---\n{line}\n---\n\n{text}".encode()
