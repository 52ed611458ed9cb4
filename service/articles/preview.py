"""What a file becomes in the index: its title, URL, date and passages, read by the real readers.

`read_preview` is the one function behind the upload preview, the editor's live preview and `clinicbot
inspect`: the content checks (content_type.py), then `index.readers.read_article` on the bytes written to a
temporary file of the same name (so the id and title from the file name come out as the index's will), then
`index.passage.split_article`.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from index.document import Article, ArticleError
from index.passage import split_article
from service.articles.content_type import check_content
from service.articles.errors import UploadRefused
from service.articles.names import format_of

NO_LIMIT = 1 << 62


@dataclass(frozen=True)
class PassagePreview:
    """One passage as the index will hold it."""

    passage_id: str
    section: str
    text: str


@dataclass(frozen=True)
class Preview:
    """A file as the index will read it."""

    name: str
    title: str
    url: str
    date: str
    format: str
    sections: int
    passages: list[PassagePreview]
    article_id: str = ""

    def to_json(self) -> str:
        """The preview as JSON (how a draft keeps it in the database)."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Preview:
        """Inverse of `to_json`."""
        row: dict[str, Any] = json.loads(text)
        return cls(**{**row, "passages": [PassagePreview(**p) for p in row["passages"]]})


def preview_of(name: str, article: Article) -> Preview:
    """The preview of an article already read."""
    passages = [PassagePreview(p.passage_id, p.section, p.text) for p in split_article(article)]
    return Preview(name=name, title=article.title, url=article.url, date=article.date, format=format_of(name),
                   sections=len(article.sections), passages=passages, article_id=article.article_id)


def read_bytes_as_article(name: str, data: bytes) -> Article:
    """The article the readers make of `data` under the file name `name`; ArticleError saying why not."""
    with tempfile.TemporaryDirectory(prefix="clinicbot-preview-") as folder:
        path = Path(folder) / PurePosixPath(name).name
        path.write_bytes(data)
        from index.readers import read_article  # loaded on first use: see names.supported_suffixes

        return read_article(path)


def read_preview(name: str, data: bytes, max_bytes: int = NO_LIMIT) -> Preview:
    """What the file `name` with content `data` would become; UploadRefused with the reason it cannot."""
    check_content(name, data, max_bytes)
    try:
        article = read_bytes_as_article(name, data)
    except ArticleError as exc:
        raise UploadRefused(f"{PurePosixPath(name).name} cannot be read: {exc}") from None
    except Exception as exc:  # a reader's library failing on a malformed file is still just an unreadable file
        raise UploadRefused(f"{PurePosixPath(name).name} cannot be read: {type(exc).__name__}: {exc}") from None
    return preview_of(name, article)


def describe(preview: Preview) -> str:
    """The preview as text: title, URL, date, then each passage's id, section heading and text."""
    lines = [preview.name, f"  title:  {preview.title}", f"  url:    {preview.url or '(none)'}",
             f"  date:   {preview.date or '(none)'}",
             f"  {preview.format}, article id {preview.article_id}, {preview.sections} sections, "
             f"{len(preview.passages)} passages"]
    for passage in preview.passages:
        lines.append(f"  [{passage.passage_id}] {passage.section or '(before the first heading)'}")
        lines.extend(f"      {line}" for line in passage.text.splitlines())
    return "\n".join(lines)
