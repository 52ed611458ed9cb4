"""What can go wrong when staff change the articles: each a domain error the web layer maps to a status code."""
from __future__ import annotations

from index.document import ArticleError

__all__ = ["ArticleConflict", "ArticleError", "ArticleNotFound", "UploadRefused"]


class ArticleConflict(Exception):
    """The file changed since the version the change was based on; `current_version` is its version now ("": gone)."""

    def __init__(self, name: str, current_version: str, message: str = "") -> None:
        super().__init__(message or f"{name} was changed by someone else meanwhile; reload it and try again")
        self.name = name
        self.current_version = current_version


class ArticleNotFound(KeyError):
    """No article, draft, version or trash item by that name or id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


class UploadRefused(ValueError):
    """A file or change that cannot be accepted; `reason` says why in words staff can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
