"""Tests for index.readers.word: Word (.docx) articles read through the reader registry, from real files.

The .docx files in tests/data/formats/ are written by tests/data/formats/make_docx.py; the variants a single
test needs are written with python-docx into tmp_path.
"""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import docx
import pytest

from index.document import Article, ArticleError
from index.readers import SUPPORTED_SUFFIXES, read_article

DATA = Path(__file__).resolve().parent / "data" / "formats"
NEW_PATIENTS = DATA / "new-patients.docx"
CLINIC_HOURS = DATA / "clinic-hours.docx"
BENCHMARK = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "clinic-dental"
REAL_DOCX = BENCHMARK / "corpus" / "new-patient-information.docx"
_DASHES = re.compile("[\u2010-\u2015\u2212]")


def normalise(text: str) -> str:
    """Lower case, ASCII dashes and quotes, whitespace collapsed: how expected answers are matched."""
    text = _DASHES.sub("-", text.lower())
    text = text.replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.split())


def block_texts(article: Article) -> list[str]:
    """Every paragraph, list lead-in, list item and row sentence of an article, normalised."""
    texts: list[str] = []
    for section in article.sections:
        for block in section.blocks:
            texts += [normalise(block.text), *(normalise(item) for item in block.items)]
    return [t for t in texts if t]


def all_text(article: Article) -> str:
    """The title, headings and blocks of an article as one normalised string."""
    return " | ".join([normalise(article.title), *(normalise(s.heading) for s in article.sections),
                       *block_texts(article)])


def body_text_seen_by_python_docx(path: Path, skip_header_rows: bool = False) -> list[str]:
    """The normalised text python-docx sees in the body's paragraphs and table cells."""
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows[1:] if skip_header_rows else table.rows:
            texts += [cell.text for cell in row.cells]
    return [normalise(t) for t in texts if normalise(t)]


def sections(article: Article) -> dict[str, list[str]]:
    """Each section heading with the texts of its blocks, list blocks as 'lead-in: [items]'."""
    return {s.heading: [f"{b.text} {list(b.items)}" if b.is_list else b.text for b in s.blocks]
            for s in article.sections}


def test_docx_is_registered() -> None:
    assert ".docx" in SUPPORTED_SUFFIXES


def test_title_paragraph_is_the_title_and_not_a_section() -> None:
    article = read_article(NEW_PATIENTS)
    assert article.article_id == "new-patients"
    assert article.title == "Welcome to Harbour Dental"  # the Title style wins over core_properties.title
    assert article.sections[0].heading == ""
    assert article.sections[0].blocks[0].text == "We are glad you chose us. This page explains your first visit."
    assert all(s.heading != article.title for s in article.sections)


def test_headings_become_sections_in_order() -> None:
    headings = [s.heading for s in read_article(NEW_PATIENTS).sections]
    assert headings == ["", "Your first visit", "Checking in", "Fees",
                        "Questions", "Do you see emergency patients?", "Can I pay in instalments?"]


def test_bulleted_list_keeps_its_lead_in() -> None:
    block = sections(read_article(NEW_PATIENTS))["Your first visit"]
    assert block == ["Please bring the following: ['Photo ID', 'Your insurance card', 'A list of your medicines']"]


def test_numbered_list_keeps_its_order_and_line_breaks_and_tabs_are_spaces() -> None:
    blocks = [b for s in read_article(NEW_PATIENTS).sections if s.heading == "Checking in" for b in s.blocks]
    assert blocks[0].text == "When you arrive, the front desk will:"
    assert blocks[0].items == ("Confirm your details", "Scan your insurance card", "Show you to the waiting room")
    assert blocks[1].text == "Parking is free behind the building. Bikes can be locked at the front. Ask us for a lock."


def test_table_rows_are_stated_with_their_header_under_the_heading_with_the_caption() -> None:
    article = read_article(NEW_PATIENTS)
    table = next(s for s in article.sections if s.heading == "Fees")
    assert [(b.text, b.is_row) for b in table.blocks] == [
        ("Table 1: Fees for common services", False),  # the caption, once, as text before the rows
        ("Check-up and cleaning — Fee: $180; Notes: Includes x-rays once a year.", True),
        ("Filling — Fee: from $150; Notes: Depends on the size.", True),
        ("Prices include tax.", False),
    ]  # the header row is no row of its own, and the empty row is skipped


def test_bold_question_paragraph_heads_its_answer() -> None:
    found = sections(read_article(NEW_PATIENTS))
    assert found["Do you see emergency patients?"] == ["Yes. Call us before 10 am and we will see you the same day."]
    assert found["Can I pay in instalments?"] == ["Yes, for treatment over $1,000."]


def test_headers_and_footers_are_not_body_text() -> None:
    for path in (NEW_PATIENTS, CLINIC_HOURS):
        text = all_text(read_article(path))
        assert "header-text" not in text and "footer-text" not in text


def test_nothing_python_docx_sees_in_the_body_is_lost() -> None:
    for path in (NEW_PATIENTS, CLINIC_HOURS):
        words = set(re.findall(r"[\w$'-]+", all_text(read_article(path))))
        # By words: python-docx drops a tracked insertion inside a paragraph, which the reader keeps; and a
        # table's header row is stated in its rows' sentences, not as text of its own.
        seen = body_text_seen_by_python_docx(path, skip_header_rows=True)
        assert [t for t in seen if not set(re.findall(r"[\w$'-]+", t)) <= words] == [], path.name


def test_only_heading_1_is_the_title_and_styles_based_on_headings_are_headings() -> None:
    article = read_article(CLINIC_HOURS)
    assert article.title == "Clinic Hours and Contact"
    assert [s.heading for s in article.sections] == ["", "Opening hours", "How to find us", "Merged cells"]


def test_unformatted_header_row_of_labels_and_merged_cells_read_once() -> None:
    found = sections(read_article(CLINIC_HOURS))
    assert found["Opening hours"] == ["Monday to Friday — Opens: 8 am; Closes: 6 pm.",
                                      "Saturday — Opens: 9 am; Closes: 1 pm.", "Sunday — Opens: Closed."]
    assert found["Merged cells"][:3] == ["Dr Lee: Mondays and Tuesdays.", "Dr Patel: Wednesdays.",
                                         "Thursday mornings."]


def test_numbering_properties_make_list_items() -> None:
    found = sections(read_article(CLINIC_HOURS))
    assert found["How to find us"] == [
        "Take these steps: ['Take the 14 bus to Quay Street', 'Walk past the library', 'Ring the bell at number 12']"]


def test_content_controls_tracked_changes_hyperlinks_and_text_boxes() -> None:
    found = sections(read_article(CLINIC_HOURS))
    assert found["Merged cells"][3:] == ["Holiday hours are posted in December.",
                                         "Call us on 555 0199 or visit our website.",  # without the deleted number
                                         "Wheelchair access at the side door."]  # once, not again from mc:Fallback


def test_several_heading_1s_are_sections_and_a_placeholder_core_title_is_ignored(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "Document1"
    for heading in ("Fillings", "Crowns"):
        document.add_heading(heading, level=1)
        document.add_paragraph(f"About {heading.lower()}.")
    document.save(str(tmp_path / "treatment-notes.docx"))
    article = read_article(tmp_path / "treatment-notes.docx")
    assert article.title == "Treatment notes"  # from the file name
    assert [s.heading for s in article.sections] == ["Fillings", "Crowns"]


def test_core_title_is_the_title_and_a_first_heading_repeating_it_is_no_section(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "Sedation options"
    document.add_heading("Sedation Options", level=1)
    document.add_paragraph("We offer two kinds.")
    document.add_heading("Laughing gas", level=1)
    document.add_paragraph("It wears off in minutes.")
    document.save(str(tmp_path / "s.docx"))
    article = read_article(tmp_path / "s.docx")
    assert article.title == "Sedation options"
    assert sections(article) == {"": ["We offer two kinds."], "Laughing gas": ["It wears off in minutes."]}


def test_corrupt_docx_says_why(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(NEW_PATIENTS.read_bytes()[:2000])
    not_zip = tmp_path / "garbage.docx"
    not_zip.write_bytes(b"this is not a Word document at all\n" * 20)
    for path in (truncated, not_zip):
        with pytest.raises(ArticleError, match=r"^not a readable Word document: "):
            read_article(path)


def test_docx_that_is_really_something_else(tmp_path: Path) -> None:
    pdf = tmp_path / "renamed-pdf.docx"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    with pytest.raises(ArticleError, match="not a readable Word document: it is a PDF file"):
        read_article(pdf)
    workbook = tmp_path / "renamed-workbook.docx"
    with zipfile.ZipFile(workbook, "w") as package:
        package.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'))
        package.writestr("_rels/.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="xl/workbook.xml" Type='
            '"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>'))
        package.writestr("xl/workbook.xml", '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                                            '2006/main"/>')
    with pytest.raises(ArticleError, match="not a readable Word document: it is an Excel workbook"):
        read_article(workbook)


def test_password_protected_docx(tmp_path: Path) -> None:
    path = tmp_path / "locked.docx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le"))
    with pytest.raises(ArticleError, match=r"^encrypted or password-protected Word document$"):
        read_article(path)
    junk = tmp_path / "junk-ole.docx"
    junk.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(range(256)) * 4)
    with pytest.raises(ArticleError, match=r"^encrypted or password-protected Word document$"):
        read_article(junk)


def test_empty_document_has_no_text(tmp_path: Path) -> None:
    docx.Document().save(str(tmp_path / "blank.docx"))
    with pytest.raises(ArticleError, match="no text found"):
        read_article(tmp_path / "blank.docx")


def _real_document() -> Article:
    if not REAL_DOCX.is_file():
        pytest.skip(f"benchmark not present: {REAL_DOCX}")
    return read_article(REAL_DOCX)


def test_real_document_answers_are_in_some_block() -> None:
    article = _real_document()
    questions = [json.loads(line) for line in (BENCHMARK / "questions.jsonl").read_text().splitlines() if line]
    expected = [e for q in questions if any("new-patient-information" in s for s in q.get("source_any", []))
                for e in q.get("expect_any", [])]
    assert expected
    texts = block_texts(article)
    assert [e for e in expected if not any(normalise(e) in t for t in texts)] == []


def test_real_document_structure_and_nothing_lost() -> None:
    article = _real_document()
    assert article.title == "New Patient Information"
    assert [s.heading for s in article.sections] == [
        "", "Before your visit: forms", "What to bring", "Arriving for your appointment",
        "Transferring your records from another dentist", "Patients under 18",
        "Health conditions we need to know about", "Questions?"]
    steps = next(b for s in article.sections for b in s.blocks if b.is_list and b.text.endswith("how it works:"))
    assert [i.split()[0] for i in steps.items] == ["Fill", "We", "Your"]
    text = all_text(article)
    assert [t for t in body_text_seen_by_python_docx(REAL_DOCX) if t not in text] == []
    assert "1420 maple grove road" not in text  # the page header
