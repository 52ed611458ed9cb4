"""The articles as staff keep them up to date: upload, import, edit, delete, restore, with history and an audit log.

`corpus/` stays the source of truth as plain files (a clinic can keep it in git, and a file changed by hand
is read by the next re-index as always); the database keeps what files cannot: earlier versions, the trash,
uploads waiting to be published, the pages imported articles came from and who did what when
(service/storage/article_records.py). Each change holds the articles lock for its check of the file's
version, its records and its atomic file write (files.py); if anything fails after the file was written, the
file is put back as it was, so the database and corpus/ never disagree. No web framework is imported here:
the staff pages translate these calls and errors into HTTP.
"""
from __future__ import annotations

from service.articles.changes import LibraryBase
from service.articles.entries import ArticleEntry
from service.articles.errors import ArticleConflict, ArticleError, ArticleNotFound, UploadRefused
from service.articles.files import version_of
from service.articles.markdown_fields import MarkdownFields, append_section, parse_fields, render
from service.articles.names import check_name, format_of, slugify, unused_name
from service.articles.preview import NO_LIMIT, PassagePreview, Preview, read_preview
from service.articles.uploads import Draft, Uploads
from service.storage.article_records import AuditEntry, TrashItem, Version

__all__ = [
    "FAQ_NAME", "ArticleConflict", "ArticleEntry", "ArticleError", "ArticleLibrary", "ArticleNotFound",
    "AuditEntry", "Draft", "LibraryBase", "MarkdownFields", "PassagePreview", "Preview", "TrashItem",
    "UploadRefused", "Version",
]

FAQ_NAME = "clinic-faq.md"  # where answered content gaps go when no article is chosen
FAQ_TITLE = "Frequently asked questions"
MAX_QUESTION_CHARS = 300  # a gap's question becomes a section heading


def _is_markdown(name: str) -> bool:
    return format_of(name) == "md"


class ArticleLibrary(Uploads):
    """The corpus folder and its records: every change staff make to the articles goes through here.

    `ArticleLibrary(corpus_dir, database, *, max_bytes=10_000_000, trash_days=30, clock=utcnow)`; reading
    and the change machinery are in changes.py, uploads and imports in uploads.py.
    """

    # --- reading ------------------------------------------------------------------------------------------

    def read_bytes(self, name: str) -> bytes:
        """The file's bytes as they are now."""
        data = self.files.read(self._known(name))
        if data is None:
            raise ArticleNotFound(f"no article named {name}")
        return data

    def markdown_fields(self, name: str) -> MarkdownFields:
        """A Markdown article's title, URL, date and body, for the editor (UploadRefused for other formats)."""
        if not _is_markdown(self._known(name)):
            raise UploadRefused(f"{name} is not a Markdown article; only .md articles are edited here")
        return parse_fields(self.read_bytes(name))[0]

    def preview_bytes(self, name: str, data: bytes) -> Preview:
        """What a file of that name and content would become in the index; UploadRefused with the reason."""
        return read_preview(check_name(name), data, self.max_bytes)

    def preview_markdown(self, fields: MarkdownFields) -> Preview:
        """The editor's live preview of a Markdown article."""
        return read_preview(slugify(fields.title or "article") + ".md", render(fields), self.max_bytes)

    # --- editing ------------------------------------------------------------------------------------------

    def save_markdown(self, name: str | None, fields: MarkdownFields, username: str,
                      expected_version: str | None) -> ArticleEntry:
        """Save the editor's fields as a Markdown article; audit "edited" (or "created" for `name` None).

        `name` None makes a new file named from the title, never overwriting one. ArticleConflict when the
        file's version is not `expected_version` (None: no check; "": the file must not exist).
        """
        if name is not None and not _is_markdown(check_name(name)):
            raise UploadRefused(f"{name} is not a Markdown article; only .md articles are edited here")
        with self._change() as (records, undo):
            if name is None:
                title = fields.title or read_preview("untitled.md", render(fields), NO_LIMIT).title
                name = unused_name(title, self._taken_stems())
                current, kept = None, {}
            else:
                current = self.files.read(name)
                self._expect(name, current, expected_version)
                kept = parse_fields(current)[1] if current is not None else {}
            data = render(fields, kept)
            read_preview(name, data, self.max_bytes)
            if data != current:
                action = "created" if current is None else "edited"
                self._write(records, undo, name, current, data, action, username, self.clock())
        return self.entry(name)

    def answer_gap(self, question: str, answer_markdown: str, username: str,
                   article: str | None = None) -> ArticleEntry:
        """Answer a question the articles did not: a section "## question" with the answer, appended to `article`
        (an .md) or to the clinic's FAQ article (made when missing); audit "answered"."""
        question = " ".join(question.split()).lstrip("#").strip()
        if not question:
            raise UploadRefused("the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise UploadRefused(f"the question is longer than {MAX_QUESTION_CHARS} characters")
        if not answer_markdown.strip():
            raise UploadRefused("the answer is empty")
        name = check_name(article or FAQ_NAME)
        if not _is_markdown(name):
            raise UploadRefused(f"{name} is not a Markdown article; answers are added to .md articles only")
        with self._change() as (records, undo):
            current = self.files.read(name)
            if current is None and article is not None:
                raise ArticleNotFound(f"no article named {name}")
            base = current if current is not None else render(MarkdownFields(FAQ_TITLE, "", "", ""))
            data = append_section(base, question, answer_markdown)
            read_preview(name, data, self.max_bytes)
            self._write(records, undo, name, current, data, "answered", username, self.clock(), question)
        return self.entry(name)

    # --- delete, trash, history ---------------------------------------------------------------------------

    def delete(self, name: str, username: str, expected_version: str | None = None) -> TrashItem:
        """Move an article to the trash (its bytes into the database, the file out of corpus/); audit "deleted"."""
        title = self.entry(name).title
        with self._change() as (records, undo):
            current = self.files.read(name)
            if current is None:
                raise ArticleNotFound(f"no article named {name}")
            self._expect(name, current, expected_version)
            now = self.clock()
            item_id = records.put_trash(name, title, current, version_of(current), username, now)
            records.audit_row(now, username, "deleted", name, "moved to the trash")
            undo(name, current)
            self.files.remove(name)
            item = records.trash_item(item_id, self.keep)
        assert item is not None
        return item[0]

    def trash(self) -> list[TrashItem]:
        """Deleted articles, newest first; those older than the trash days (and as old drafts) are purged."""
        with self.records.writing() as records:
            records.purge(self.clock() - self.keep)
            return records.trash(self.keep)

    def restore_trash(self, item_id: int, username: str) -> ArticleEntry:
        """Put a deleted article back; ArticleConflict when a file of that name exists again; audit "restored"."""
        with self._change() as (records, undo):
            records.purge(self.clock() - self.keep)
            found = records.trash_item(item_id, self.keep)
            if found is None:
                raise ArticleNotFound(f"no trash item {item_id}")
            item, data = found
            current = self.files.read(item.name)
            if current is not None:
                raise ArticleConflict(item.name, version_of(current),
                                      f"a file named {item.name} exists again; delete or rename it first")
            records.drop_trash(item_id)
            self._write(records, undo, item.name, None, data, "restored", username, self.clock(),
                        f"from the trash (deleted by {item.username} at {item.deleted_at})")
        return self.entry(item.name)

    def history(self, name: str) -> list[Version]:
        """The article's earlier versions, newest first (every change keeps the bytes it replaced)."""
        with self.records.reading() as records:
            return records.history(self._known(name))

    def version_bytes(self, version_id: int) -> bytes:
        """The bytes of one earlier version."""
        with self.records.reading() as records:
            found = records.version(version_id)
        if found is None:
            raise ArticleNotFound(f"no version {version_id}")
        return found[1]

    def restore_version(self, version_id: int, username: str, expected_version: str | None) -> ArticleEntry:
        """Make an earlier version current again (the current one kept in the history); audit "restored"."""
        with self._change() as (records, undo):
            found = records.version(version_id)
            if found is None:
                raise ArticleNotFound(f"no version {version_id}")
            version, data = found
            current = self.files.read(version.name)
            self._expect(version.name, current, expected_version)
            if data != current:
                self._write(records, undo, version.name, current, data, "restored", username, self.clock(),
                            f"version {version_id}, as it was before {version.action} by {version.username}"
                            f" at {version.at}")
        return self.entry(version.name)

    def audit(self, limit: int = 100) -> list[AuditEntry]:
        """The newest `limit` changes to the articles, newest first."""
        with self.records.reading() as records:
            return records.audit(limit)
