"""Uploads and imports: a file is staged as a draft (kept in the database with its preview), so staff see the
passages it gives before it is published into corpus/.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath

from service.articles.changes import LibraryBase
from service.articles.entries import ArticleEntry
from service.articles.errors import ArticleNotFound, UploadRefused
from service.articles.files import version_of
from service.articles.names import check_name
from service.articles.preview import NO_LIMIT, Preview, read_preview
from service.articles.source_urls import carries_url, with_source_url
from service.storage.article_records import StoredDraft

MAX_URL_CHARS = 2000


@dataclass(frozen=True)
class Draft:
    """An upload staged for publishing, with the passages it would give."""

    id: str
    name: str
    preview: Preview
    username: str
    created_at: str
    source_url: str = ""
    replaces: str = ""  # the version of the file it replaces, as it was when staged ("": a new file)
    size: int = 0


def _draft(stored: StoredDraft) -> Draft:
    return Draft(id=stored.id, name=stored.name, preview=Preview.from_json(stored.preview), username=stored.username,
                 created_at=stored.created_at, source_url=stored.source_url, replaces=stored.replaces,
                 size=stored.size)


class Uploads(LibraryBase):
    """Stage, list, discard and publish uploads."""

    def stage(self, name: str, data: bytes, username: str, source_url: str = "") -> Draft:
        """Check an upload and keep it as a draft to publish; UploadRefused (and nothing kept) when it is refused.

        With `source_url` (an imported page) the draft goes to the file that page was imported as before (of
        the same format; of another, that file goes to the trash on publishing), so importing it again updates
        it, and an .md or .html that states no URL is given this one.
        """
        name, earlier = check_name(name), None
        if source_url:
            source_url = _checked_url(source_url)
            with self.records.reading() as records:
                earlier = records.source_name(source_url)
            if earlier and PurePosixPath(earlier).suffix.lower() == PurePosixPath(name).suffix.lower():
                name = earlier
        preview = read_preview(name, data, self.max_bytes)
        if source_url and carries_url(name) and not preview.url:
            data = with_source_url(name, data, source_url)
            preview = read_preview(name, data, NO_LIMIT)
        self._refuse_duplicate_id(preview.article_id, name, *([earlier] if earlier else []))
        current = self.files.read(name)
        stored = StoredDraft(id=uuid.uuid4().hex, name=name, username=username, created_at=self._now(),
                             source_url=source_url, replaces=version_of(current) if current is not None else "",
                             preview=preview.to_json(), size=len(data))
        with self.records.writing() as records:
            records.put_draft(stored, data)
        return _draft(stored)

    def drafts(self) -> list[Draft]:
        """Uploads waiting to be published, newest first."""
        with self.records.reading() as records:
            return [_draft(d) for d in records.drafts()]

    def draft(self, draft_id: str) -> Draft:
        """One draft (ArticleNotFound when it was published, discarded or purged)."""
        with self.records.reading() as records:
            found = records.draft(draft_id)
        if found is None:
            raise ArticleNotFound(f"no draft {draft_id}")
        return _draft(found[0])

    def discard(self, draft_id: str, username: str) -> None:
        """Throw a draft away unpublished."""
        with self.records.writing() as records:
            found = records.draft(draft_id)
            if found is None:
                raise ArticleNotFound(f"no draft {draft_id}")
            records.drop_draft(draft_id)
            records.audit_row(self.clock(), username, "discarded", found[0].name, "upload not published")

    def publish(self, draft_id: str, username: str) -> ArticleEntry:
        """Write a draft's file into corpus/ (the file it replaces kept in the history); audit "uploaded"/"imported".

        ArticleConflict when the file it replaces changed after it was staged. A re-imported page saved under
        another name than before moves the earlier file to the trash.
        """
        with self._change() as (records, undo):
            found = records.draft(draft_id)
            if found is None:
                raise ArticleNotFound(f"no draft {draft_id}")
            stored, data = found
            name, now = stored.name, self.clock()
            current = self.files.read(name)
            self._expect(name, current, stored.replaces, f"{name} changed after this upload was staged; "
                                                         "stage it again to see the passages it gives now")
            action = "imported" if stored.source_url else "uploaded"
            if stored.source_url:
                earlier = records.source_name(stored.source_url)
                if earlier and earlier != name and (old := self.files.read(earlier)) is not None:
                    records.put_trash(earlier, self._title(earlier), old, version_of(old), username, now)
                    records.audit_row(now, username, "deleted", earlier, f"replaced by {name}, imported again "
                                                                         f"from {stored.source_url}")
                    undo(earlier, old)
                    self.files.remove(earlier)
                records.set_source(stored.source_url, name, now)
            records.drop_draft(draft_id)
            detail = f"from {stored.source_url}" if stored.source_url else f"{stored.size:,} bytes"
            self._write(records, undo, name, current, data, action, username, now,
                        detail + ("" if current is None else ", replacing the previous version"))
        return self.entry(name)


def _checked_url(url: str) -> str:
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")) or len(url) > MAX_URL_CHARS or any(c.isspace() for c in url):
        raise UploadRefused("the source address must be an http:// or https:// URL")
    return url
