"""Tests for index.readers.pdf: PDFs made by tests/data/formats/make_pdfs.py and the dental benchmark's handout."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from index.document import Article, ArticleError
from index.readers import SUPPORTED_SUFFIXES, read_article
from index.readers.pdf import read

DATA = Path(__file__).resolve().parent / "data" / "formats"
DENTAL = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "clinic-dental"
EXTRACTION = DENTAL / "corpus" / "tooth-extraction-aftercare.pdf"


def norm(text: str) -> str:
    """Lower case, unicode dashes as '-', whitespace collapsed: how texts are compared here."""
    return re.sub(r"\s+", " ", re.sub(r"[‐‑‒–—―]", "-", text)).strip().lower()


def block_texts(article: Article) -> list[str]:
    """Every paragraph, list lead-in and list item of the article, normalised."""
    texts = []
    for section in article.sections:
        for block in section.blocks:
            texts += [norm(t) for t in (block.text, *block.items) if t]
    return texts


def in_some_block(text: str, article: Article) -> bool:
    """Whether `text` is inside one paragraph or list item."""
    return any(norm(text) in t for t in block_texts(article))


@pytest.fixture(scope="module")
def handout() -> Article:
    return read_article(DATA / "handout.pdf")


def test_pdf_is_a_registered_suffix() -> None:
    assert ".pdf" in SUPPORTED_SUFFIXES


def test_handout_title_and_metadata(handout: Article) -> None:
    assert handout.title == "After Your First Physiotherapy Session"
    assert handout.article_id == "handout"
    assert handout.meta["author"] == "Riverside Physiotherapy"
    assert handout.date == "2000-01-01"  # reportlab's invariant mode dates its files so


def test_handout_headings_come_from_font_size_and_bold(handout: Article) -> None:
    assert [s.heading for s in handout.sections] == [
        "",  # the subtitle and the introduction, before the first heading
        "What to expect in the first 48 hours",
        "Your home exercises",
        "When to call us",  # bold at the body text's size
        "Can I exercise on the day of my session?",  # bold FAQ questions over their answers
        "Should I use heat or ice?",
    ]


def test_handout_paragraphs_join_lines_and_hyphenation(handout: Article) -> None:
    intro = handout.sections[0].blocks
    assert intro[0].text == "A guide for new patients of Riverside Physiotherapy"
    assert intro[1].text == (
        "Most patients feel a little sore after their first session. This is normal and usually passes within a "
        "day or two. Your physiotherapist will explain which exercises to start with, and how often to do them at "
        "home.")
    first_48 = handout.sections[1].blocks[0].text
    assert "for 10-15 minutes at a time" in first_48  # a real hyphen at a line end stays, with no space
    # A sentence that runs on from page 1 to page 2 over "follow-" is one paragraph with its hyphen.
    assert handout.sections[2].blocks[-1].text == (
        "Stop any exercise that causes sharp pain. Keep doing your exercises until your follow-up appointment, "
        "even if you already feel better.")


def test_handout_bulleted_list_with_lead_in(handout: Article) -> None:
    block = handout.sections[1].blocks[1]
    assert block.text == "You can help your recovery if you:"
    assert block.items == (
        "Drink plenty of water during the day.",
        "Take a short, gentle walk every few hours instead of sitting still for a long time, and stretch the way "
        "your physiotherapist showed you.",  # the continuation line is joined to its item
        "Sleep on a firm mattress with a pillow that supports your neck.",
    )
    dashes = handout.sections[3].blocks[0]
    assert dashes.text == "Call the clinic if you notice any of these:"
    assert dashes.items[0] == "Pain that is getting worse after three days"
    assert len(dashes.items) == 3


def test_handout_numbered_list(handout: Article) -> None:
    block = handout.sections[2].blocks[0]
    assert block.text == "Do these exercises twice a day, slowly and without bouncing:"
    assert block.items == (
        "Shoulder rolls: ten rolls forwards, then ten backwards.",
        "Chin tucks: pull your chin straight back, hold for five seconds and relax. Repeat this eight to ten times.",
        "Knee to chest: lie on your back and pull one knee gently towards your chest.",
    )


def test_handout_faq_answers_under_their_questions(handout: Article) -> None:
    faq = {s.heading: [b.text for b in s.blocks] for s in handout.sections}
    assert faq["Can I exercise on the day of my session?"] == [
        "Light activity such as walking is fine. Leave the gym and heavy lifting until the next day."]
    assert faq["Should I use heat or ice?"] == [
        "Use ice for the first two days, and a warm shower or heat pack after that."]


def test_handout_running_header_and_footer_are_dropped(handout: Article) -> None:
    texts = " ".join(block_texts(handout))
    assert "page 1 of 2" not in texts and "page 2 of 2" not in texts
    assert "12 river street" not in texts
    assert "patient handout" not in texts
    assert not any(s.heading.lower().startswith("riverside") for s in handout.sections)


def test_memo_metadata_title_drawn_bullets_and_page_number() -> None:
    memo = read_article(DATA / "memo.pdf")
    assert memo.title == "Holiday Opening Hours"  # no large title line: the metadata title
    assert memo.meta == {}  # reportlab's "anonymous" author and "unspecified" subject are not kept
    blocks = memo.sections[0].blocks
    assert blocks[0].text == "Our clinic keeps shorter hours over the holidays. Please book your sessions early."
    assert blocks[1].items == ("Monday to Thursday: 9 am to 3 pm", "Friday: closed", "Weekends: closed")
    assert blocks[2].text == "To book online:"
    assert blocks[2].items == ("Open the booking page.", "Pick your physiotherapist and a time.")
    assert len(blocks) == 3  # the lone page number "1" is dropped


def test_encrypted_pdf_is_refused() -> None:
    with pytest.raises(ArticleError, match=r"^encrypted PDF: it needs a password to open$"):
        read_article(DATA / "encrypted.pdf")


def test_scanned_pdf_has_no_text_layer() -> None:
    with pytest.raises(ArticleError, match=r"^no text layer \(a scanned PDF\?\)"):
        read_article(DATA / "scanned.pdf")


def test_truncated_pdf_is_not_readable(tmp_path: Path) -> None:
    path = tmp_path / "truncated.pdf"
    path.write_bytes((DATA / "handout.pdf").read_bytes()[:1500])
    with pytest.raises(ArticleError, match=r"^not a readable PDF: the file is truncated"):
        read_article(path)


def test_corrupt_pdf_is_not_readable(tmp_path: Path) -> None:
    raw = (DATA / "handout.pdf").read_bytes()
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(raw[:200] + b"\x00garbage" * 200 + raw[-30:])  # header and %%EOF kept, the rest destroyed
    with pytest.raises(ArticleError, match=r"^not a readable PDF: "):
        read_article(path)


def test_not_a_pdf_at_all() -> None:
    with pytest.raises(ArticleError, match=r"^not a readable PDF: no %PDF header"):
        read(b"<html><body>This is a web page saved as .pdf</body></html>")


def dental_or_skip() -> Path:
    """The dental benchmark's PDF, or skip when the shared benchmarks are not checked out."""
    if not EXTRACTION.is_file():
        pytest.skip(f"{DENTAL} is not here")
    return EXTRACTION


def test_dental_handout_keeps_every_line_and_drops_the_footer() -> None:
    article = read_article(dental_or_skip())
    lines = (DENTAL / "corpus-text" / "tooth-extraction-aftercare.txt").read_text(encoding="utf-8").splitlines()
    title, footer = lines[0], lines[-1]
    headings = [s.heading for s in article.sections]
    assert article.title == title
    for heading in ("The first hour", "The first 24 hours", "Eating and drinking", "Smoking and vaping",
                    "Pain and swelling", "From the second day", "Call us at (555) 014-2200 if you have",
                    "Go to the emergency department or call 911 if you have"):
        assert heading in headings
    body = [ln for ln in lines[1:-1] if ln and ln not in headings]
    assert body, "the sidecar text has body lines"
    missing = [ln for ln in body if not in_some_block(ln, article)]
    assert missing == []
    assert not any(norm(footer) in t or "maplegrove-dental.test" in t for t in block_texts(article))
    assert all(s.blocks for s in article.sections)
    assert article.sections[1].blocks[0].is_list  # the drawn-dot bullets under "The first hour"


def test_dental_handout_answers_its_benchmark_questions() -> None:
    article = read_article(dental_or_skip())
    sidecar = norm((DENTAL / "corpus-text" / "tooth-extraction-aftercare.txt").read_text(encoding="utf-8"))
    questions = [json.loads(ln) for ln in (DENTAL / "questions.jsonl").read_text(encoding="utf-8").splitlines()
                 if ln.strip()]
    mine = [q for q in questions if "tooth-extraction-aftercare" in q.get("source_any", [])]
    assert mine
    for question in mine:
        # expect_any also lists the wording of the other source (wisdom-teeth-removal); those the handout
        # has must each be inside one block, and every question must find at least one.
        present = [e for e in question["expect_any"] if norm(e) in sidecar]
        assert present, question["id"]
        for expected in present:
            assert in_some_block(expected, article), (question["id"], expected)


def test_dental_handout_reads_fast() -> None:
    raw = dental_or_skip().read_bytes()
    start = time.perf_counter()
    read(raw)
    assert time.perf_counter() - start < 1.0
