"""Article file names: what a safe name below corpus/ looks like, its format, and a new name made from a title.

A name is the path relative to corpus/ with "/" between folders ("fees.md", "leaflets/x.pdf"). It is refused
when it could reach outside the folder or hide from the index: absolute, "..", empty or hidden parts (the
indexer skips dot files), back-slashes, drive letters, control or reserved characters, too long or too deep,
or a suffix no reader takes. The joined path is resolved and must still be inside corpus/ (a symlinked folder
pointing elsewhere is refused too).
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath

from service.articles.errors import UploadRefused

MAX_NAME_CHARS = 200  # the whole relative name
MAX_PART_CHARS = 100  # one folder or file name
MAX_DEPTH = 4  # folders below corpus/ plus the file
FORMATS = {".md": "md", ".markdown": "md", ".txt": "txt", ".html": "html", ".htm": "html", ".pdf": "pdf",
           ".docx": "docx"}
_RESERVED = re.compile(r'[\\:*?"<>|]')


def supported_suffixes() -> tuple[str, ...]:
    """The suffixes the readers take. The readers (and their parsing libraries) load on the first call, so
    the app starts without them; only the Articles page and `clinicbot inspect` need them."""
    from index.readers import SUPPORTED_SUFFIXES

    return SUPPORTED_SUFFIXES


def format_of(name: str) -> str:
    """The article format a name's suffix stands for ("md", "txt", "html", "pdf", "docx"; else the suffix)."""
    suffix = PurePosixPath(name).suffix.lower()
    return FORMATS.get(suffix, suffix.lstrip("."))


def check_name(name: str) -> str:
    """The name as given when it is a safe article name; UploadRefused saying why when not."""
    if not isinstance(name, str) or not name:
        raise UploadRefused("the file has no name")
    if len(name) > MAX_NAME_CHARS:
        raise UploadRefused(f"the name is longer than {MAX_NAME_CHARS} characters")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise UploadRefused("the name holds control characters")
    if _RESERVED.search(name):
        raise UploadRefused('the name holds a reserved character (\\ : * ? " < > |)')
    if name.startswith("/"):
        raise UploadRefused("the name must be relative to the articles folder, not an absolute path")
    parts = name.split("/")
    if len(parts) > MAX_DEPTH:
        raise UploadRefused(f"the name is nested deeper than {MAX_DEPTH - 1} folders")
    for part in parts:
        if part in ("", ".", ".."):
            raise UploadRefused("the name has an empty, '.' or '..' part")
        if part.startswith("."):
            raise UploadRefused(f"'{part}' is a hidden name (it starts with a dot), which the index skips")
        if part != part.strip() or part.endswith("."):
            raise UploadRefused(f"'{part}' starts or ends with a space or ends with a dot")
        if len(part) > MAX_PART_CHARS:
            raise UploadRefused(f"'{part[:40]}…' is longer than {MAX_PART_CHARS} characters")
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in supported_suffixes():
        raise UploadRefused(f"unsupported file type '{suffix or parts[-1]}': the articles can be "
                            + ", ".join(supported_suffixes()))
    return name


def resolve(corpus_dir: Path, name: str) -> Path:
    """The path of a safe name inside `corpus_dir`; UploadRefused when the name or a symlink leads outside it."""
    check_name(name)
    root = corpus_dir.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or path == root:
        raise UploadRefused("the name leads outside the articles folder")
    return path


def slugify(title: str) -> str:
    """A file stem from a title: lower-case ASCII words joined by '-' ("Fees & insurance" -> "fees-insurance")."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:80].strip("-") or "article"


def unused_name(title: str, taken_stems: set[str], suffix: str = ".md") -> str:
    """A new file name from `title` whose stem no file (of any format) or article id uses yet."""
    stem = slugify(title)
    candidate, n = stem, 1
    while candidate.lower() in taken_stems:
        n += 1
        candidate = f"{stem}-{n}"
    return candidate + suffix
