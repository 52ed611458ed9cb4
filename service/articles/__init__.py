"""Staff keep the articles up to date: the core of `/staff/articles`, plain Python with no web framework.

`ArticleLibrary` (library.py) uploads, imports, edits, deletes and restores the files in corpus/, keeping
earlier versions, a trash and an audit log in the database; `read_preview` (preview.py) shows what a file
becomes in the index, for the upload preview and `clinicbot inspect` alike.
"""
from __future__ import annotations

from service.articles.library import (
    FAQ_NAME,
    ArticleConflict,
    ArticleEntry,
    ArticleError,
    ArticleLibrary,
    ArticleNotFound,
    AuditEntry,
    Draft,
    MarkdownFields,
    PassagePreview,
    Preview,
    TrashItem,
    UploadRefused,
    Version,
)
from service.articles.preview import read_preview

__all__ = [
    "FAQ_NAME", "ArticleConflict", "ArticleEntry", "ArticleError", "ArticleLibrary", "ArticleNotFound",
    "AuditEntry", "Draft", "MarkdownFields", "PassagePreview", "Preview", "TrashItem", "UploadRefused", "Version",
    "read_preview",
]
