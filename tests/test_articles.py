"""service.articles: uploads and imports staged, previewed and published into a real corpus folder, the files
refused by name and by content, the article list, and `clinicbot inspect`, on real files, readers and SQLite."""
from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest

from service.articles import ArticleConflict, ArticleLibrary, ArticleNotFound, UploadRefused
from service.articles.preview import describe
from service.cli import main
from service.database import Database
from tests.test_code import imports

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "formats"
MARKDOWN = b"""---
title: Fees and insurance
date: 2024-03-01
---

# Fees and insurance

## What does a first visit cost?

A first visit with an assessment and a treatment costs $95 and takes about 75 minutes in all.

## Do you bill insurance directly?

We bill most extended health plans directly, so you only pay the part your plan does not cover.
"""
TEXT = b"""Aftercare for acupuncture

What to expect

Most people feel relaxed after a session. Mild soreness where a needle was placed can last a day.

When to call us

Call the clinic if a bruise grows, or if you feel dizzy for more than an hour after your visit.
"""
PAGE = b"""<!doctype html><html><head><title>Parking and access | Harbour Clinic</title></head><body>
<nav><a href="/">Home</a> <a href="/fees">Fees</a></nav>
<main><article><h1>Parking and access</h1>
<h2>Where can I park?</h2><p>Free parking for patients is behind the building, entered from Elm Street, with
two accessible spaces right by the ramp to the front door.</p>
<h2>Is the clinic wheelchair accessible?</h2><p>Yes. The ramp, the wide doors and the treatment rooms on the
ground floor all take a wheelchair, and the washroom has grab bars on both sides.</p>
</article></main><footer>Harbour Clinic, 1 Elm Street</footer></body></html>
"""
FILES = {
    "fees.md": MARKDOWN,
    "aftercare.txt": TEXT,
    "parking.html": PAGE,
    "handout.pdf": (DATA / "handout.pdf").read_bytes(),
    "new-patients.docx": (DATA / "new-patients.docx").read_bytes(),
}
TITLES = {"fees.md": "Fees and insurance", "aftercare.txt": "Aftercare for acupuncture",
          "parking.html": "Parking and access", "handout.pdf": "After Your First Physiotherapy Session",
          "new-patients.docx": "Welcome to Harbour Dental"}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    return folder


@pytest.fixture
def library(corpus: Path, tmp_path: Path) -> ArticleLibrary:
    return ArticleLibrary(corpus, Database(tmp_path / "db.sqlite"))


def corpus_files(corpus: Path) -> dict[str, bytes]:
    """Every file below the corpus folder, hidden ones included (a leftover temporary file would show)."""
    return {p.relative_to(corpus).as_posix(): p.read_bytes() for p in sorted(corpus.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", list(FILES))
def test_upload_is_previewed_then_published(library: ArticleLibrary, corpus: Path, name: str) -> None:
    draft = library.stage(name, FILES[name], "maria")
    assert draft.name == name and draft.username == "maria" and draft.replaces == ""
    assert draft.preview.title == TITLES[name] and draft.preview.format == name.rsplit(".", 1)[1]
    assert len(draft.preview.passages) >= 2 and all(p.text and p.passage_id for p in draft.preview.passages)
    assert draft.preview.passages[0].passage_id == f"{Path(name).stem}#0"
    assert corpus_files(corpus) == {}, "nothing in corpus/ before publishing"
    assert [d.id for d in library.drafts()] == [draft.id] and library.draft(draft.id) == draft

    entry = library.publish(draft.id, "maria")
    assert corpus_files(corpus) == {name: FILES[name]}
    assert entry.name == name and entry.title == TITLES[name] and entry.error == ""
    assert entry.passages == len(draft.preview.passages) and entry.sections == draft.preview.sections
    assert entry.version == hashlib.sha256(FILES[name]).hexdigest() and entry.size == len(FILES[name])
    assert entry.modified.endswith("+00:00")
    assert library.drafts() == [] and library.history(name) == []
    assert [(a.action, a.username, a.name) for a in library.audit()] == [("uploaded", "maria", name)]
    with pytest.raises(ArticleNotFound):
        library.publish(draft.id, "maria")


def test_publishing_the_same_name_replaces_the_file_and_keeps_the_old_one(library: ArticleLibrary,
                                                                          corpus: Path) -> None:
    first = library.publish(library.stage("fees.md", MARKDOWN, "maria").id, "maria")
    newer = MARKDOWN.replace(b"$95", b"$105")
    draft = library.stage("fees.md", newer, "ahmed")
    assert draft.replaces == first.version
    entry = library.publish(draft.id, "ahmed")
    assert (corpus / "fees.md").read_bytes() == newer and entry.version != first.version
    [old] = library.history("fees.md")
    assert (old.action, old.username, old.version) == ("uploaded", "ahmed", first.version)
    assert library.version_bytes(old.id) == MARKDOWN
    assert [a.action for a in library.audit()] == ["uploaded", "uploaded"]


def test_publish_refuses_when_the_file_changed_after_staging(library: ArticleLibrary, corpus: Path) -> None:
    library.publish(library.stage("fees.md", MARKDOWN, "maria").id, "maria")
    draft = library.stage("fees.md", MARKDOWN.replace(b"$95", b"$105"), "ahmed")
    by_hand = MARKDOWN.replace(b"$95", b"$99")
    (corpus / "fees.md").write_bytes(by_hand)
    with pytest.raises(ArticleConflict) as caught:
        library.publish(draft.id, "ahmed")
    assert caught.value.current_version == hashlib.sha256(by_hand).hexdigest()
    assert (corpus / "fees.md").read_bytes() == by_hand and library.draft(draft.id) == draft, "nothing changed"
    assert [a.action for a in library.audit()] == ["uploaded"]


def test_a_discarded_draft_is_gone(library: ArticleLibrary, corpus: Path) -> None:
    draft = library.stage("aftercare.txt", TEXT, "maria")
    library.discard(draft.id, "ahmed")
    assert library.drafts() == [] and corpus_files(corpus) == {}
    assert [(a.action, a.username) for a in library.audit()] == [("discarded", "ahmed")]
    with pytest.raises(ArticleNotFound):
        library.draft(draft.id)
    with pytest.raises(ArticleNotFound):
        library.discard(draft.id, "ahmed")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


REFUSED = {
    "PDF named .docx": ("leaflet.docx", FILES["handout.pdf"], "named as a Word (.docx) document but its content is"
                        " a PDF"),
    "Word file named .pdf": ("leaflet.pdf", FILES["new-patients.docx"], "content is a Word (.docx) document"),
    "zip named .docx": ("leaflet.docx", _zip({"notes.txt": b"hello"}), "not a Word document"),
    "broken zip named .docx": ("leaflet.docx", b"PK\x03\x04" + b"\x00" * 200, "not a readable Word file"),
    "binary named .md": ("notes.md", bytes(range(256)) * 8, "named as a Markdown file but its content is binary"),
    "PDF named .md": ("notes.md", FILES["handout.pdf"], "its content is a PDF document"),
    "PNG named .txt": ("notes.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "its content is a PNG image"),
    "text named .pdf": ("notes.pdf", TEXT, "named as a PDF document but its content is text"),
    "text named .html": ("notes.html", TEXT, "holds no HTML tags"),
    "empty": ("notes.txt", b"  \n", "the file is empty"),
    "encrypted PDF": ("encrypted.pdf", (DATA / "encrypted.pdf").read_bytes(), "encrypted PDF"),
    "scanned PDF": ("scanned.pdf", (DATA / "scanned.pdf").read_bytes(), "no text layer"),
    "broken front matter": ("notes.md", b"---\ntitle: [unclosed\n---\n\nSome text here.\n", "broken front matter"),
    "corrupt Word file": ("notes.docx", _zip({"word/document.xml": b"<not xml"}), "cannot be read"),
    "path traversal": ("../outside.md", MARKDOWN, "'..'"),
    "nested traversal": ("sub/../../outside.md", MARKDOWN, "'..'"),
    "absolute path": ("/etc/outside.md", MARKDOWN, "absolute"),
    "hidden file": (".secret.md", MARKDOWN, "hidden"),
    "hidden folder": ("sub/.git/x.md", MARKDOWN, "hidden"),
    "back-slash": ("sub\\x.md", MARKDOWN, "reserved character"),
    "drive letter": ("C:x.md", MARKDOWN, "reserved character"),
    "control character": ("x\n.md", MARKDOWN, "control characters"),
    "unsupported suffix": ("run.exe", MARKDOWN, "unsupported file type '.exe'"),
    "no suffix": ("README", MARKDOWN, "unsupported file type"),
    "empty name": ("", MARKDOWN, "no name"),
    "too long": ("a" * 120 + ".md", MARKDOWN, "longer than 100 characters"),
    "too deep": ("a/b/c/d/x.md", MARKDOWN, "deeper than 3 folders"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_upload_changes_nothing(library: ArticleLibrary, corpus: Path, case: str) -> None:
    name, data, reason = REFUSED[case]
    before = corpus_files(corpus)
    with pytest.raises(UploadRefused) as caught:
        library.stage(name, data, "maria")
    assert reason in caught.value.reason
    with pytest.raises(UploadRefused):
        library.preview_bytes(name, data)
    assert corpus_files(corpus) == before and library.drafts() == [] and library.audit() == []
    assert not (corpus.parent / "outside.md").exists()


def test_an_oversized_upload_is_refused(corpus: Path, tmp_path: Path) -> None:
    library = ArticleLibrary(corpus, Database(tmp_path / "db.sqlite"), max_bytes=len(MARKDOWN) - 1)
    with pytest.raises(UploadRefused, match=f"the file is {len(MARKDOWN):,} bytes; the limit is "):
        library.stage("fees.md", MARKDOWN, "maria")
    assert library.drafts() == [] and library.audit() == [] and corpus_files(corpus) == {}
    assert library.stage("fees.md", MARKDOWN[:-1], "maria").size == len(MARKDOWN) - 1, "at the limit is fine"


def test_a_name_through_a_symlink_out_of_the_corpus_is_refused(library: ArticleLibrary, corpus: Path,
                                                                tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (corpus / "linked").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UploadRefused, match="outside the articles folder"):
        library.stage("linked/fees.md", MARKDOWN, "maria")
    assert list((tmp_path / "elsewhere").iterdir()) == [] and library.drafts() == []


def test_an_upload_whose_article_id_another_file_has_is_refused(library: ArticleLibrary, corpus: Path) -> None:
    library.publish(library.stage("fees.md", MARKDOWN, "maria").id, "maria")
    with pytest.raises(UploadRefused, match=r"article id 'fees' is already fees\.md's"):
        library.stage("fees.html", PAGE, "maria")
    assert library.drafts() == [] and sorted(corpus_files(corpus)) == ["fees.md"]


def test_uploads_go_into_subfolders(library: ArticleLibrary, corpus: Path) -> None:
    entry = library.publish(library.stage("leaflets/handout.pdf", FILES["handout.pdf"], "maria").id, "maria")
    assert entry.name == "leaflets/handout.pdf" and (corpus / "leaflets" / "handout.pdf").is_file()
    assert library.entry("leaflets/handout.pdf") == entry


def test_a_write_keeps_the_files_mode_and_leaves_no_temporary_file(library: ArticleLibrary, corpus: Path) -> None:
    library.publish(library.stage("fees.md", MARKDOWN, "maria").id, "maria")
    os.chmod(corpus / "fees.md", 0o640)
    library.publish(library.stage("fees.md", MARKDOWN + b"\nMore.\n", "maria").id, "maria")
    assert (corpus / "fees.md").stat().st_mode & 0o777 == 0o640
    assert sorted(corpus_files(corpus)) == ["fees.md"]


# --- imports: a page remembers its address ------------------------------------------------------------------

URL = "https://harbour.test/parking/"


def test_an_imported_page_gets_a_canonical_link_and_updates_its_file_when_imported_again(
        library: ArticleLibrary, corpus: Path) -> None:
    draft = library.stage("parking.html", PAGE, "maria", source_url=URL)
    assert draft.preview.url == URL and draft.source_url == URL
    entry = library.publish(draft.id, "maria")
    saved = (corpus / "parking.html").read_bytes()
    assert f'<link rel="canonical" href="{URL}">'.encode() in saved and entry.url == URL and entry.source_url == URL

    changed = PAGE.replace(b"two accessible spaces", b"three accessible spaces")
    again = library.stage("parking-and-access.html", changed, "ahmed", source_url=URL)
    assert again.name == "parking.html", "the file this page was imported as"
    library.publish(again.id, "ahmed")
    assert sorted(corpus_files(corpus)) == ["parking.html"]
    assert b"three accessible spaces" in (corpus / "parking.html").read_bytes()
    [old] = library.history("parking.html")
    assert library.version_bytes(old.id) == saved and old.action == "imported"
    assert [(a.action, a.username, a.detail) for a in library.audit()] == [
        ("imported", "ahmed", f"from {URL}, replacing the previous version"), ("imported", "maria", f"from {URL}")]


def test_a_page_that_states_its_own_address_is_kept_as_it_is(library: ArticleLibrary, corpus: Path) -> None:
    page = (DATA / "wordpress-fees.html").read_bytes()
    entry = library.publish(library.stage("wordpress-fees.html", page, "maria", source_url=URL).id, "maria")
    assert (corpus / "wordpress-fees.html").read_bytes() == page and entry.url and entry.url != URL
    assert entry.source_url == URL


def test_an_imported_markdown_file_gets_a_url_in_its_front_matter(library: ArticleLibrary, corpus: Path) -> None:
    entry = library.publish(library.stage("fees.md", MARKDOWN, "maria", source_url=URL).id, "maria")
    assert entry.url == URL and (corpus / "fees.md").read_bytes().startswith(b'---\nurl: "' + URL.encode())
    no_front_matter = b"# Opening hours\n\nWe are open from 8 am to 6 pm on weekdays, and on Saturday mornings.\n"
    hours = library.publish(library.stage("hours.md", no_front_matter, "maria", source_url=URL + "hours").id, "m")
    assert hours.url == URL + "hours" and hours.title == "Opening hours"


def test_an_imported_pdf_keeps_its_address_in_the_database(library: ArticleLibrary, corpus: Path) -> None:
    entry = library.publish(library.stage("handout.pdf", FILES["handout.pdf"], "maria", source_url=URL).id, "m")
    assert entry.source_url == URL and entry.url == "", "the PDF reader takes no URL from a file"
    assert (corpus / "handout.pdf").read_bytes() == FILES["handout.pdf"]


def test_a_page_imported_again_under_another_format_moves_the_old_file_to_the_trash(
        library: ArticleLibrary, corpus: Path) -> None:
    library.publish(library.stage("parking.html", PAGE, "maria", source_url=URL).id, "maria")
    draft = library.stage("parking.md", MARKDOWN.replace(b"Fees and insurance", b"Parking"), "ahmed", source_url=URL)
    assert draft.name == "parking.md"
    library.publish(draft.id, "ahmed")
    assert sorted(corpus_files(corpus)) == ["parking.md"]
    [item] = library.trash()
    assert item.name == "parking.html" and item.title == "Parking and access"
    assert [a.action for a in library.audit()] == ["imported", "deleted", "imported"]


def test_a_source_address_must_be_a_web_address(library: ArticleLibrary) -> None:
    with pytest.raises(UploadRefused, match="http"):
        library.stage("parking.html", PAGE, "maria", source_url="file:///etc/passwd")
    assert library.drafts() == []


# --- the article list ---------------------------------------------------------------------------------------

def test_entries_list_every_file_as_the_indexer_reads_it(library: ArticleLibrary, corpus: Path) -> None:
    for name, data in FILES.items():
        (corpus / name).write_bytes(data)
    (corpus / "scan.pdf").write_bytes((DATA / "scanned.pdf").read_bytes())
    (corpus / ".draft.md").write_bytes(MARKDOWN)  # hidden: the indexer skips it
    (corpus / "photo.jpg").write_bytes(b"\xff\xd8\xff")  # not an article
    (corpus / "fees.txt").write_bytes(TEXT)  # same article id as fees.md, read after it: skipped by the index
    entries = library.entries()
    assert [e.title for e in entries] == sorted((e.title for e in entries), key=str.casefold)
    by_name = {e.name: e for e in entries}
    assert sorted(by_name) == sorted([*FILES, "scan.pdf", "fees.txt"])
    assert "no text layer" in by_name["scan.pdf"].error and by_name["scan.pdf"].passages == 0
    assert "duplicate article id 'fees'" in by_name["fees.txt"].error and by_name["fees.md"].error == ""
    assert {e.format for e in entries} == {"md", "txt", "html", "pdf", "docx"}
    assert by_name["fees.md"].date == "2024-03-01" and by_name["fees.md"].article_id == "fees"

    (corpus / "fees.md").write_bytes(MARKDOWN.replace(b"$95", b"$99"))  # by hand: seen at once
    assert library.entry("fees.md").version == hashlib.sha256((corpus / "fees.md").read_bytes()).hexdigest()
    for missing in ("nothing.md", "../fees.md", ".draft.md"):
        with pytest.raises(ArticleNotFound):
            library.entry(missing)
    with pytest.raises(ArticleNotFound):
        library.read_bytes("nothing.md")
    assert library.read_bytes("aftercare.txt") == TEXT


def test_preview_bytes_is_what_publishing_gives(library: ArticleLibrary) -> None:
    preview = library.preview_bytes("handout.pdf", FILES["handout.pdf"])
    entry = library.publish(library.stage("handout.pdf", FILES["handout.pdf"], "maria").id, "maria")
    assert (preview.title, len(preview.passages), preview.sections) == (entry.title, entry.passages, entry.sections)


# --- clinicbot inspect ----------------------------------------------------------------------------------------

def test_inspect_prints_each_files_passages(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            library: ArticleLibrary) -> None:
    (tmp_path / "fees.md").write_bytes(MARKDOWN)
    assert main(["inspect", str(tmp_path / "fees.md"), str(DATA / "handout.pdf")]) == 0
    out = capsys.readouterr().out
    assert "title:  Fees and insurance" in out and "date:   2024-03-01" in out
    assert "[fees#0] What does a first visit cost?" in out and "costs $95" in out
    assert "[handout#3] Your home exercises" in out and "- Shoulder rolls" in out
    assert describe(library.preview_bytes("fees.md", MARKDOWN)) in out, "the upload preview's function"


def test_inspect_names_an_unreadable_file_and_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["inspect", str(DATA / "encrypted.pdf"), str(tmp_path / "missing.md"), str(DATA / "memo.pdf")]) == 1
    captured = capsys.readouterr()
    assert "encrypted.pdf: encrypted.pdf cannot be read: encrypted PDF" in captured.err
    assert "missing.md: No such file or directory" in captured.err
    assert "memo.pdf" in captured.out, "the readable file is still shown"


def test_the_articles_core_never_imports_the_web_framework() -> None:
    for path in sorted((ROOT / "service" / "articles").glob("*.py")):
        web = {m for m in imports(path) if m.split(".")[0] in ("fastapi", "starlette", "uvicorn", "jinja2")}
        assert not web, f"{path.relative_to(ROOT)} imports {sorted(web)}"
