"""service.articles: editing with conflicts, delete and the trash, history, answered gaps and the audit log, on
real files and both databases (a SQLite file and a real PostgreSQL, tests/conftest.py's `database_url`)."""
from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.articles import FAQ_NAME, ArticleConflict, ArticleLibrary, ArticleNotFound, MarkdownFields, UploadRefused
from service.articles.markdown_fields import parse_fields
from service.database import Database
from tests.test_articles import FILES, MARKDOWN, TEXT


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "fees.md").write_bytes(MARKDOWN)
    (folder / "aftercare.txt").write_bytes(TEXT)
    return folder


@pytest.fixture
def library(corpus: Path, database_url: str, clock: Clock) -> ArticleLibrary:
    """The library on each database kind; one connection only, so a change never needs a second one."""
    return ArticleLibrary(corpus, Database(database_url, pool_size=1), trash_days=30, clock=clock)


@pytest.fixture
def sqlite_library(corpus: Path, tmp_path: Path, clock: Clock) -> ArticleLibrary:
    return ArticleLibrary(corpus, Database(tmp_path / "db.sqlite"), clock=clock)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_second_of_two_edits_from_the_same_version_is_a_conflict(library: ArticleLibrary, corpus: Path) -> None:
    base = library.entry("fees.md").version
    fields = library.markdown_fields("fees.md")
    assert (fields.title, fields.date) == ("Fees and insurance", "2024-03-01")
    assert fields.body.startswith("# Fees and insurance")
    maria = MarkdownFields(fields.title, fields.url, fields.date, fields.body.replace("$95", "$99"))
    ahmed = MarkdownFields(fields.title, fields.url, fields.date, fields.body.replace("75 minutes", "an hour"))
    saved = library.save_markdown("fees.md", maria, "maria", base)
    assert "$99" in (corpus / "fees.md").read_text() and saved.version != base
    with pytest.raises(ArticleConflict) as caught:
        library.save_markdown("fees.md", ahmed, "ahmed", base)
    assert caught.value.current_version == saved.version
    assert "75 minutes" in (corpus / "fees.md").read_text(), "the second edit did not overwrite the first"
    [old] = library.history("fees.md")
    assert (old.action, old.username, old.version) == ("edited", "maria", base)
    assert library.version_bytes(old.id) == MARKDOWN
    assert [(a.action, a.username) for a in library.audit()] == [("edited", "maria")]
    library.save_markdown("fees.md", ahmed, "ahmed", saved.version)  # from the current version: fine


def test_two_workers_saving_at_once_never_both_win(library: ArticleLibrary, corpus: Path,
                                                   database_url: str) -> None:
    base = library.entry("fees.md").version
    fields = library.markdown_fields("fees.md")
    outcomes: list[str] = []

    def save(who: str) -> None:
        worker = ArticleLibrary(corpus, Database(database_url))  # its own connections, like a worker
        edit = MarkdownFields(fields.title, fields.url, fields.date, fields.body + f"\n\nNote by {who}.\n")
        try:
            worker.save_markdown("fees.md", edit, who, base)
            outcomes.append("saved")
        except ArticleConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(f"user{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "saved"]
    assert len(library.history("fees.md")) == 1 and len(library.audit()) == 1


def test_an_edit_keeps_the_front_matter_the_editor_does_not_show(sqlite_library: ArticleLibrary,
                                                                 corpus: Path) -> None:
    (corpus / "fees.md").write_bytes(b"---\nid: fees-2024\ntitle: Fees\nauthor: Dr. Chen\n---\n\nOld text here.\n")
    fields = MarkdownFields("Fees and insurance", "https://harbour.test/fees", "2024-05-01", "New text here.")
    entry = sqlite_library.save_markdown("fees.md", fields, "maria", None)
    assert (entry.article_id, entry.title, entry.url, entry.date) == (
        "fees-2024", "Fees and insurance", "https://harbour.test/fees", "2024-05-01")
    assert parse_fields((corpus / "fees.md").read_bytes())[1] == {"id": "fees-2024", "author": "Dr. Chen"}
    unchanged = sqlite_library.save_markdown("fees.md", fields, "maria", entry.version)
    assert unchanged.version == entry.version and len(sqlite_library.audit()) == 1, "no change, no row"


def test_a_new_article_is_named_from_its_title_and_never_overwrites(sqlite_library: ArticleLibrary,
                                                                    corpus: Path) -> None:
    fields = MarkdownFields("Fees", "", "", "## Cash\n\nWe take cash, cards and e-transfers at the front desk.")
    first = sqlite_library.save_markdown(None, fields, "maria", None)
    second = sqlite_library.save_markdown(None, fields, "maria", None)
    assert (first.name, second.name) == ("fees-2.md", "fees-3.md"), "fees.md exists"
    assert (corpus / "fees.md").read_bytes() == MARKDOWN
    untitled = sqlite_library.save_markdown(None, MarkdownFields("", "", "", "# Opening hours\n\nMon to Fri 8-6."),
                                            "maria", None)
    assert untitled.name == "opening-hours.md" and untitled.title == "Opening hours"
    assert [a.action for a in sqlite_library.audit()] == ["created"] * 3
    with pytest.raises(ArticleConflict):  # "" expects no file of that name
        sqlite_library.save_markdown("fees.md", fields, "maria", "")


def test_an_edit_that_would_not_read_is_refused_and_changes_nothing(sqlite_library: ArticleLibrary,
                                                                    corpus: Path) -> None:
    with pytest.raises(UploadRefused, match="no text found"):
        sqlite_library.save_markdown("fees.md", MarkdownFields("Fees", "", "", ""), "maria", None)
    with pytest.raises(UploadRefused, match=r"only \.md articles"):
        sqlite_library.save_markdown("aftercare.txt", MarkdownFields("A", "", "", "Text."), "maria", None)
    with pytest.raises(UploadRefused, match=r"only \.md articles"):
        sqlite_library.markdown_fields("aftercare.txt")
    assert (corpus / "fees.md").read_bytes() == MARKDOWN and sqlite_library.audit() == []


def test_a_failed_file_write_leaves_the_database_unchanged(sqlite_library: ArticleLibrary, corpus: Path) -> None:
    (corpus / "blocked.md").mkdir()  # a folder where the file would go: the rename over it fails
    with pytest.raises(OSError):
        sqlite_library.save_markdown("blocked.md", MarkdownFields("Blocked", "", "", "Some text."), "maria", None)
    assert sqlite_library.audit() == [] and sqlite_library.history("blocked.md") == []
    assert sorted(p.name for p in corpus.iterdir()) == ["aftercare.txt", "blocked.md", "fees.md"]


def test_the_editors_live_preview(sqlite_library: ArticleLibrary) -> None:
    preview = sqlite_library.preview_markdown(MarkdownFields("Parking", "https://harbour.test/p", "",
                                                             "## Where?\n\nBehind the building, off Elm Street."))
    assert (preview.title, preview.url, preview.format) == ("Parking", "https://harbour.test/p", "md")
    assert [(p.section, p.text) for p in preview.passages] == [("Where?", "Behind the building, off Elm Street.")]


def test_delete_moves_the_file_to_the_trash_and_restore_brings_it_back(library: ArticleLibrary, corpus: Path,
                                                                       clock: Clock) -> None:
    with pytest.raises(ArticleConflict):
        library.delete("fees.md", "maria", expected_version=sha(b"an older version"))
    item = library.delete("fees.md", "maria", expected_version=sha(MARKDOWN))
    assert not (corpus / "fees.md").exists() and "fees.md" not in {e.name for e in library.entries()}
    assert (item.name, item.title, item.username) == ("fees.md", "Fees and insurance", "maria")
    assert item.deleted_at == "2026-05-01T09:00:00+00:00" and item.expires_at == "2026-05-31T09:00:00+00:00"
    assert library.trash() == [item]
    with pytest.raises(ArticleNotFound):
        library.delete("fees.md", "maria")

    (corpus / "fees.md").write_bytes(b"# Fees\n\nA new file of the same name, made by hand meanwhile.\n")
    with pytest.raises(ArticleConflict, match="exists again") as caught:
        library.restore_trash(item.id, "ahmed")
    assert caught.value.current_version == sha((corpus / "fees.md").read_bytes())
    (corpus / "fees.md").unlink()

    clock.now += timedelta(days=1)
    entry = library.restore_trash(item.id, "ahmed")
    assert (corpus / "fees.md").read_bytes() == MARKDOWN and entry.version == sha(MARKDOWN)
    assert library.trash() == []
    with pytest.raises(ArticleNotFound):
        library.restore_trash(item.id, "ahmed")
    assert [(a.action, a.username, a.name) for a in library.audit()] == [
        ("restored", "ahmed", "fees.md"), ("deleted", "maria", "fees.md")]


def test_the_trash_is_purged_after_the_trash_days(library: ArticleLibrary, clock: Clock) -> None:
    old = library.delete("fees.md", "maria")
    clock.now += timedelta(days=20)
    newer = library.delete("aftercare.txt", "maria")
    draft = library.stage("handout.pdf", FILES["handout.pdf"], "maria")
    assert [i.id for i in library.trash()] == [newer.id, old.id], "newest first"
    clock.now += timedelta(days=10, seconds=1)
    assert [i.id for i in library.trash()] == [newer.id]
    with pytest.raises(ArticleNotFound):
        library.restore_trash(old.id, "maria")
    assert library.draft(draft.id).id == draft.id
    clock.now += timedelta(days=21)
    assert library.trash() == [] and library.drafts() == [], "an unpublished upload goes with the same age"


def test_history_keeps_every_replaced_version_and_restores_one(library: ArticleLibrary, corpus: Path,
                                                               clock: Clock) -> None:
    fields = library.markdown_fields("fees.md")
    versions = [MARKDOWN]
    for i, price in enumerate(("$99", "$105")):
        clock.now += timedelta(hours=1)
        body = fields.body.replace("$95", price)
        library.save_markdown("fees.md", MarkdownFields(fields.title, "", fields.date, body), f"user{i}", None)
        versions.append((corpus / "fees.md").read_bytes())
    history = library.history("fees.md")
    assert [library.version_bytes(v.id) for v in history] == versions[1::-1], "newest first"
    assert [(v.username, v.at) for v in history] == [("user1", "2026-05-01T11:00:00+00:00"),
                                                     ("user0", "2026-05-01T10:00:00+00:00")]
    assert [v.size for v in history] == [len(versions[1]), len(versions[0])]

    first = history[-1]
    with pytest.raises(ArticleConflict):
        library.restore_version(first.id, "maria", sha(versions[1]))
    entry = library.restore_version(first.id, "maria", sha(versions[2]))
    assert (corpus / "fees.md").read_bytes() == MARKDOWN and entry.version == first.version
    newest = library.history("fees.md")[0]
    assert (newest.action, newest.username) == ("restored", "maria")
    assert library.version_bytes(newest.id) == versions[2], "the version restored over is kept too"
    assert library.audit()[0].detail.startswith(f"version {first.id}, as it was before edited by user0")
    with pytest.raises(ArticleNotFound):
        library.version_bytes(10_000)
    with pytest.raises(ArticleNotFound):
        library.history("../fees.md")


def test_a_deleted_article_can_be_restored_from_its_history(library: ArticleLibrary, corpus: Path) -> None:
    fields = library.markdown_fields("fees.md")
    library.save_markdown("fees.md", MarkdownFields(fields.title, "", "", fields.body + "\nMore.\n"), "m", None)
    library.delete("fees.md", "maria")
    [version] = library.history("fees.md")
    library.restore_version(version.id, "maria", "")
    assert (corpus / "fees.md").read_bytes() == MARKDOWN


def test_an_answered_gap_goes_into_the_faq_article(library: ArticleLibrary, corpus: Path) -> None:
    entry = library.answer_gap("  Do you   have parking? ", "Yes: **free parking** behind the building.", "maria")
    assert entry.name == FAQ_NAME and entry.title == "Frequently asked questions"
    preview = library.preview_bytes(FAQ_NAME, (corpus / FAQ_NAME).read_bytes())
    assert [(p.section, p.text) for p in preview.passages] == [
        ("Do you have parking?", "Yes: free parking behind the building.")]
    library.answer_gap("Can I bring my child?", "Yes, children are welcome in the waiting room.", "ahmed")
    assert [p.section for p in library.preview_bytes(FAQ_NAME, (corpus / FAQ_NAME).read_bytes()).passages] == [
        "Do you have parking?", "Can I bring my child?"]
    [old] = library.history(FAQ_NAME)
    assert old.action == "answered" and b"Can I bring" not in library.version_bytes(old.id)
    assert [(a.action, a.username, a.name, a.detail) for a in library.audit()] == [
        ("answered", "ahmed", FAQ_NAME, "Can I bring my child?"),
        ("answered", "maria", FAQ_NAME, "Do you have parking?")]


def test_an_answered_gap_goes_into_a_chosen_article(library: ArticleLibrary, corpus: Path) -> None:
    entry = library.answer_gap("Do you take credit cards?", "We take Visa and Mastercard.", "maria", "fees.md")
    text = (corpus / "fees.md").read_text()
    assert text.startswith(MARKDOWN.decode().rstrip()) and text.endswith(
        "\n\n## Do you take credit cards?\n\nWe take Visa and Mastercard.\n")
    assert entry.date == "2024-03-01" and not (corpus / FAQ_NAME).exists()
    for article, error in (("aftercare.txt", UploadRefused), ("missing.md", ArticleNotFound),
                           ("../fees.md", UploadRefused)):
        with pytest.raises(error):
            library.answer_gap("A question?", "An answer.", "maria", article)
    for question, answer in (("   ", "An answer."), ("A question?", "  "), ("x" * 301, "An answer.")):
        with pytest.raises(UploadRefused):
            library.answer_gap(question, answer, "maria")
    assert len(library.audit()) == 1 and not (corpus / FAQ_NAME).exists()


def test_the_audit_log_names_who_did_what_newest_first(library: ArticleLibrary, clock: Clock) -> None:
    steps = [
        lambda: library.publish(library.stage("handout.pdf", FILES["handout.pdf"], "maria").id, "maria"),
        lambda: library.publish(library.stage("page.html", b"<html><body><h1>Hi</h1><p>Some words for a "
                                              b"page.</p></body></html>", "maria", "https://harbour.test/hi").id,
                                "ahmed"),
        lambda: library.save_markdown(None, MarkdownFields("Parking", "", "", "Behind the building."), "lee", None),
        lambda: library.save_markdown("parking.md", MarkdownFields("Parking", "", "", "Off Elm St."), "lee", None),
        lambda: library.delete("parking.md", "maria"),
        lambda: library.restore_trash(library.trash()[0].id, "ahmed"),
        lambda: library.answer_gap("Do you open on Sundays?", "No, we are closed on Sundays.", "lee"),
    ]
    for step in steps:
        clock.now += timedelta(minutes=1)
        step()
    rows = library.audit()
    assert [(a.action, a.username) for a in rows] == [
        ("answered", "lee"), ("restored", "ahmed"), ("deleted", "maria"), ("edited", "lee"), ("created", "lee"),
        ("imported", "ahmed"), ("uploaded", "maria")]
    assert [a.at for a in rows] == [f"2026-05-01T09:0{7 - i}:00+00:00" for i in range(7)]
    assert rows[5].detail == "from https://harbour.test/hi" and len({a.id for a in rows}) == 7
    assert [a.action for a in library.audit(limit=2)] == ["answered", "restored"]
