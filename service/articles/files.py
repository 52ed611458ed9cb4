"""The article files in corpus/: listed as the indexer sees them, read, and written atomically.

A write goes to a hidden temporary file in the same folder (the indexer skips dot files, so a re-index
running meanwhile never reads half a file), is fsynced, then renamed over the article with `os.replace`
and the folder fsynced: a crash leaves the old file or the new one, never a mix. The new file keeps the
old one's permissions (a new one gets the process's umask, like any file it creates).
"""
from __future__ import annotations

import hashlib
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from service.articles.errors import UploadRefused
from service.articles.names import check_name, resolve, supported_suffixes


def version_of(data: bytes) -> str:
    """A file's version: the SHA-256 of its bytes (the token an edit is based on)."""
    return hashlib.sha256(data).hexdigest()


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class CorpusFiles:
    """The files of one corpus folder, by name (the path relative to it, with '/')."""

    def __init__(self, corpus_dir: Path) -> None:
        self.root = Path(corpus_dir)

    def names(self) -> list[str]:
        """Every article file the indexer reads (supported suffix, not a dot file), in the indexer's order."""
        if not self.root.is_dir():
            return []
        found: list[str] = []
        for path in sorted(self.root.rglob("*")):
            if not path.is_file() or path.name.startswith(".") or path.suffix.lower() not in supported_suffixes():
                continue
            name = path.relative_to(self.root).as_posix()
            try:
                check_name(name)
            except UploadRefused:
                continue  # e.g. inside a hidden folder: not something staff can name
            found.append(name)
        return found

    def path(self, name: str) -> Path:
        """The path of a safe name (UploadRefused for one that is not)."""
        return resolve(self.root, name)

    def read(self, name: str) -> bytes | None:
        """The file's bytes, or None when there is no such file."""
        path = self.path(name)
        try:
            return path.read_bytes() if path.is_file() else None
        except FileNotFoundError:
            return None

    def modified(self, name: str) -> tuple[int, str]:
        """The file's size and its last change as ISO 8601 UTC."""
        stat = self.path(name).stat()
        return stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds")

    def write(self, name: str, data: bytes) -> None:
        """Replace (or create) the file with `data`, atomically."""
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if path.exists():
                os.chmod(temp, path.stat().st_mode & 0o7777)
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_folder(path.parent)

    def remove(self, name: str) -> None:
        """Delete the file (nothing when it is already gone)."""
        path = self.path(name)
        path.unlink(missing_ok=True)
        _fsync_folder(path.parent)

    def put_back(self, name: str, data: bytes | None) -> None:
        """Undo a change: the file as it was (`None`: there was none)."""
        if data is None:
            self.remove(name)
        else:
            self.write(name, data)
