"""What a file is by its content, checked against what its name says before the readers see it.

The checks are the Python standard library's, not a magic-number library (filetype, python-magic): those
read the first bytes only, while a Word file is told here by opening the zip's directory and finding
`word/document.xml` (a zip or an .xlsx renamed .docx is refused), and a text file by decoding it as the
readers will (no NUL byte; UTF-8, else the encoding charset-normalizer detects). A PDF must carry `%PDF-`
in its first 1,024 bytes (where PDF readers look for it); a web page must decode as text and hold HTML
tags. When the content is a known other kind (a PDF, a Word file, an image) the refusal names it.
"""
from __future__ import annotations

import codecs
import io
import re
import zipfile

from index.document import ArticleError, decode_text
from service.articles.errors import UploadRefused
from service.articles.names import format_of

ZIP_EXPANSION = 20  # a .docx may unpack to at most this many times the upload limit (a zip bomb is refused)
_HTML = re.compile(r"<(?:!doctype\s+html|html|head|body|article|main|section|div|p|h[1-6]|title|table|ul|ol)\b",
                   re.IGNORECASE)
_KINDS = (  # what a mismatched file most often turns out to be
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Word/Office (.doc) file"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"{\\rtf", "an RTF document"),
)
_NAMES = {"md": "a Markdown file", "txt": "a text file", "html": "a web page", "pdf": "a PDF document",
          "docx": "a Word (.docx) document"}


def sniff(data: bytes) -> str:
    """What the content looks like, in words ("a PDF document", "a Word (.docx) document", "text", "binary")."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "a PDF document"
    if data.startswith(b"PK\x03\x04"):
        return "a Word (.docx) document" if _zip_names(data) & {"word/document.xml"} else "a zip archive"
    kind = next((kind for magic, kind in _KINDS if data.startswith(magic)), "")
    if kind:
        return kind
    return "binary data" if b"\x00" in data[:8192] and not _utf16(data) else "text"


def check_content(name: str, data: bytes, max_bytes: int) -> None:
    """Refuse (UploadRefused) a file too big, empty, or whose content is not what its name's suffix says."""
    if len(data) > max_bytes:
        raise UploadRefused(f"the file is {len(data):,} bytes; the limit is {max_bytes:,}")
    if not data.strip():
        raise UploadRefused("the file is empty")
    fmt = format_of(name)
    if fmt == "pdf":
        if b"%PDF-" not in data[:1024]:
            raise _mismatch(name, fmt, data)
    elif fmt == "docx":
        _check_docx(name, data, max_bytes)
    else:
        text = _text(name, fmt, data)
        if fmt == "html" and not _HTML.search(text):
            raise UploadRefused(f"{name} is named as a web page but holds no HTML tags")


def _check_docx(name: str, data: bytes, max_bytes: int) -> None:
    if not data.startswith(b"PK\x03\x04"):
        raise _mismatch(name, "docx", data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise UploadRefused(f"{name} is not a readable Word file: {exc}") from None
    if "word/document.xml" not in {info.filename for info in infos}:
        raise UploadRefused(f"{name} is a zip archive but not a Word document (it has no word/document.xml)")
    if sum(info.file_size for info in infos) > ZIP_EXPANSION * max_bytes:
        raise UploadRefused(f"{name} unpacks to more than {ZIP_EXPANSION * max_bytes:,} bytes")


def _text(name: str, fmt: str, data: bytes) -> str:
    kind = sniff(data)
    if kind != "text":
        raise _mismatch(name, fmt, data, kind)
    if fmt == "html" and _utf16(data):  # the web page reader honours a UTF-16 byte order mark
        return data.decode("utf-16", errors="replace")
    try:
        return decode_text(data)
    except ArticleError as exc:
        raise UploadRefused(f"{name} cannot be read as text: {exc}") from None


def _mismatch(name: str, fmt: str, data: bytes, kind: str = "") -> UploadRefused:
    kind = kind or sniff(data)
    return UploadRefused(f"{name} is named as {_NAMES.get(fmt, fmt)} but its content is {kind}")


def _utf16(data: bytes) -> bool:
    return data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _zip_names(data: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        return set()
