"""Tests for index.readers (the registry, .txt and .md) and index.corpus; HTML, PDF and DOCX have their own files."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.corpus import load_corpus
from index.document import Article, ArticleError, Block
from index.readers import SUPPORTED_SUFFIXES, read_article
from index.readers.plain_text import looks_like_heading

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data" / "formats"
NATURALLY = CORPUS / "acupuncture-upper-back-pain-naturally.txt"
RELIEVING = CORPUS / "relieving-upper-back-pain-with-acupuncture.txt"

FRONT_MATTER_MD = """\
---
title: "Acupuncture for Headaches"
url: https://clinic.example/blog/headaches
date: 2024-03-05
id: headaches-2024
author: Dee
tags: [pain, head]
---
# Acupuncture for Headaches

Many of our patients come to us with **tension headaches**.
They often start in the *neck* and shoulders.

## Common Triggers

Headaches are often set off by:

- Stress at work
- Poor sleep, especially
  when it happens for weeks
* Skipping meals

A list that follows its paragraph directly
1. Drink water
2. Take screen breaks

Unrelated paragraph without a colon.

+ Orphan item one
+ Orphan item two

### Further Reading

See [our guide](https://clinic.example/guide) and ![chart](chart.png) the `summary` note.
"""


def write(path: Path, content: str | bytes) -> Path:
    """Write `content` to `path` (bytes as-is, text as UTF-8) and return the path."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def all_text(article: Article) -> str:
    """Every heading, lead-in and item of an article, joined, for leak checks."""
    parts = [article.title]
    for section in article.sections:
        parts.append(section.heading)
        for block in section.blocks:
            parts.append(block.text)
            parts.extend(block.items)
    return "\n".join(parts)


# ------------------------------------------------------------------ seed corpus


def test_seed_article_without_headings_is_one_untitled_section() -> None:
    article = read_article(NATURALLY)
    assert article.title == "Can Acupuncture Reduce Upper Back Pain Naturally?"
    assert article.article_id == "acupuncture-upper-back-pain-naturally"
    assert article.source_path == str(NATURALLY)
    assert [s.heading for s in article.sections] == [""]
    blocks = article.sections[0].blocks
    assert len(blocks) == 9
    assert not any(b.is_list for b in blocks)
    assert blocks[0].text.startswith("Upper back pain is a common affliction")
    assert blocks[-1].text.endswith("check out products like Balmorex Pro.")


def test_seed_article_headings_and_lists() -> None:
    article = read_article(RELIEVING)
    assert article.title == (
        "Relieving Upper Back Pain with Acupuncture: A Scientific and Holistic Approach"
    )
    assert [s.heading for s in article.sections] == [
        "",
        "The Science Behind Acupuncture for Upper Back Pain",
        "The Traditional Chinese Medicine Perspective",
        "What to Expect During an Acupuncture Session",
        "Final Thoughts",
    ]
    intro, science, tcm, expect, final = article.sections
    assert len(intro.blocks) == 2

    science_list = science.blocks[0]
    assert science_list.text.startswith("Modern research has shown")
    assert science_list.text.endswith("several different mechanisms:")
    assert len(science_list.items) == 5
    assert science_list.items[0].startswith("Pain Modulation: Acupuncture stimulates")
    assert science_list.items[-1].startswith("Neuromodulation:")
    # The lead-in is consumed into the list, not repeated as its own paragraph.
    assert not any(b.text == science_list.text and not b.is_list for b in science.blocks)
    # An ALL CAPS call to action stays a paragraph, not a heading.
    assert Block("BOOK A FREE DISCOVERY CALL WITH DEE") in science.blocks

    assert tcm.blocks[0].text.endswith("Here’s how:")
    assert len(tcm.blocks[0].items) == 4
    assert len(expect.blocks) == 3
    assert final.blocks[-1] == Block("Learn more about Dee and her practice HERE")


@pytest.mark.parametrize(
    "line",
    [
        "What to Expect During an Acupuncture Session",
        "The Science Behind Acupuncture for Upper Back Pain",
        "The Traditional Chinese Medicine Perspective",
        "Final Thoughts",
        "Conclusion",
        "5 Tips for Better Sleep",
        "Cupping vs. Gua Sha: Which Is Right for You",
    ],
)
def test_heading_lines(line: str) -> None:
    assert looks_like_heading(line)


@pytest.mark.parametrize(
    "line",
    [
        "BOOK A FREE DISCOVERY CALL WITH DEE",
        "Learn more about Dee and her practice HERE",
        "Can Acupuncture Reduce Upper Back Pain Naturally?",
        "Here’s how:",
        "With Warm Regards,",
        "Sessions typically last 30–60 minutes",
        "the science behind acupuncture",
        "One Two Three Four Five Six Seven Eight Nine Ten Eleven Twelve Thirteen",
        "",
    ],
)
def test_not_heading_lines(line: str) -> None:
    assert not looks_like_heading(line)


def test_txt_bullets_blank_lines_and_no_lead_in(tmp_path: Path) -> None:
    path = write(
        tmp_path / "after-care.txt",
        "After Care\n\nDrink plenty of water.\n• Rest today\n\n• Avoid hot baths\n"
        "What to Avoid\nYou may want to avoid the following:\n1. Heavy lifting\n2. Alcohol\n",
    )
    article = read_article(path)
    assert article.title == "After Care"
    intro, avoid = article.sections
    assert intro.blocks == (
        Block("Drink plenty of water."),
        Block("", ("Rest today", "Avoid hot baths")),
    )
    assert avoid.heading == "What to Avoid"
    assert avoid.blocks == (
        Block("You may want to avoid the following:", ("Heavy lifting", "Alcohol")),
    )


def test_txt_with_only_a_title_has_no_text(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="no text found"):
        read_article(write(tmp_path / "title-only.txt", "Just A Title\n\n"))


# --------------------------------------------------------------------- markdown


def test_markdown_front_matter_and_lists(tmp_path: Path) -> None:
    article = read_article(write(tmp_path / "headaches.md", FRONT_MATTER_MD))
    assert article.article_id == "headaches-2024"
    assert article.title == "Acupuncture for Headaches"
    assert article.url == "https://clinic.example/blog/headaches"
    assert article.date == "2024-03-05"
    assert article.meta == {"author": "Dee"}
    assert [s.heading for s in article.sections] == ["", "Common Triggers", "Further Reading"]

    intro, triggers, reading = article.sections
    assert intro.blocks == (
        Block(
            "Many of our patients come to us with tension headaches. "
            "They often start in the neck and shoulders."
        ),
    )
    assert triggers.blocks == (
        Block(
            "Headaches are often set off by:",
            (
                "Stress at work",
                "Poor sleep, especially when it happens for weeks",
                "Skipping meals",
            ),
        ),
        Block("A list that follows its paragraph directly", ("Drink water", "Take screen breaks")),
        Block("Unrelated paragraph without a colon."),
        Block("", ("Orphan item one", "Orphan item two")),
    )
    assert reading.blocks == (Block("See our guide and the summary note."),)


def test_markdown_title_from_h1_or_file_name(tmp_path: Path) -> None:
    with_h1 = read_article(write(tmp_path / "a.markdown", "# Dry Needling FAQ\n\nIt is safe.\n"))
    assert with_h1.title == "Dry Needling FAQ"
    assert [s.heading for s in with_h1.sections] == [""]

    no_title = read_article(write(tmp_path / "what_is-cupping.md", "## Basics\n\nSuction cups.\n"))
    assert no_title.title == "What is cupping"
    assert no_title.sections[0].heading == "Basics"


def test_inline_markdown_is_stripped_but_words_kept(tmp_path: Path) -> None:
    text = ("**Bold** and __strong__, *em* and _em_. Use `snake_case` in [docs](http://x.y) ![img](a.png). "
            "5 * 3 * 2 and file_name_here stay.")
    article = read_article(write(tmp_path / "inline.md", text + "\n"))
    assert article.sections[0].blocks == (Block(
        "Bold and strong, em and em. Use snake_case in docs . 5 * 3 * 2 and file_name_here stay."),)


def test_invalid_front_matter_id_falls_back_to_slugified_stem(tmp_path: Path) -> None:
    path = write(tmp_path / "Neck Pain (2024).md", "---\nid: not a valid id!\n---\nSome text.\n")
    assert read_article(path).article_id == "neck-pain-2024"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("---\ntitle: [unclosed\n---\nBody.\n", "broken front matter: "),
        ("---\ntitle: a: b: c\n---\nBody.\n", "broken front matter: "),
        ("---\n- just\n- a list\n---\nBody.\n", "broken front matter: expected 'key: value'"),
        ("---\ntitle: Never closed\n\nBody.\n", "broken front matter: no closing"),
        ("---\ndate: 2024-13-45\n---\nBody.\n", "broken front matter: "),
    ],
)
def test_broken_front_matter(tmp_path: Path, content: str, reason: str) -> None:
    with pytest.raises(ArticleError, match=f"^{reason}"):
        read_article(write(tmp_path / "broken.md", content))


def test_markdown_with_only_headings_has_no_text(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="no text found"):
        read_article(write(tmp_path / "empty-body.md", "---\ntitle: X\n---\n# X\n## Y\n"))


# ---------------------------------------------------------------- bytes on disk


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n", b"\xef\xbb\xbf \n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(ArticleError, match=r"^file is empty$"):
        read_article(write(tmp_path / "empty.txt", content))


def test_binary_file(tmp_path: Path) -> None:
    path = write(tmp_path / "scan.md", b"%PDF-1.7\n\x00\x01\x02binary stuff")
    with pytest.raises(ArticleError, match="binary"):
        read_article(path)


def test_windows_1252_text_is_read_with_its_encoding(tmp_path: Path) -> None:
    raw = "Caf\u00e9 Talk\nA na\u00efve question \u2014 with \u2019curly\u2019 quotes.\n".encode("cp1252")
    article = read_article(write(tmp_path / "caf.txt", raw))
    assert article.title == "Caf\u00e9 Talk"
    assert article.sections[0].blocks == (Block("A na\u00efve question \u2014 with \u2019curly\u2019 quotes."),)


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    raw = "\ufeffRest Days\r\nTake it easy.\r\nWhy Rest Matters\r\nMuscles repair.\r\n"
    article = read_article(write(tmp_path / "rest.txt", raw.encode("utf-8")))
    assert article.title == "Rest Days"
    assert [s.heading for s in article.sections] == ["", "Why Rest Matters"]
    assert article.sections[1].blocks == (Block("Muscles repair."),)


# ----------------------------------------------------------------- load_corpus


def test_load_corpus_keeps_good_files_and_explains_bad_ones(tmp_path: Path) -> None:
    shutil.copy(RELIEVING, tmp_path / RELIEVING.name)
    shutil.copy(DATA / "clinic-blog-page.html", tmp_path / "cupping.html")
    write(tmp_path / "headaches.md", FRONT_MATTER_MD)
    (tmp_path / "drafts").mkdir()
    write(tmp_path / "drafts" / "empty.md", "")
    write(tmp_path / "broken.md", "---\ntitle: [oops\n---\nBody\n")
    write(tmp_path / "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(tmp_path / "old.txt", "Caf\u00e9\nOld text.\n".encode("latin-1"))
    write(tmp_path / "notes.rtf", b"{\\rtf1 hello}")
    write(tmp_path / ".hidden.md", "# Hidden\n\nNot indexed.\n")

    articles, skipped = load_corpus(tmp_path)

    assert sorted(a.article_id for a in articles) == [
        "cupping",
        "headaches-2024",
        "old",
        "relieving-upper-back-pain-with-acupuncture",
    ]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert set(reasons) == {"empty.md", "broken.md", "photo.txt", "notes.rtf"}
    assert reasons["empty.md"] == "file is empty"
    assert reasons["broken.md"].startswith("broken front matter")
    assert "binary" in reasons["photo.txt"]
    assert reasons["notes.rtf"] == "unsupported file type '.rtf'"


def test_every_format_has_a_reader() -> None:
    assert set(SUPPORTED_SUFFIXES) >= {".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx"}


def test_read_article_rejects_unsupported_extension(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="unsupported file type"):
        read_article(write(tmp_path / "notes.rtf", "{\\rtf1 hello}"))


# ------------------------------------------------------- markdown regressions (issue 8)


def test_markdown_link_with_brackets_in_its_url_keeps_its_words(tmp_path: Path) -> None:
    text = "Qi is described by the [WHO](https://en.wikipedia.org/wiki/Qi_(philosophy)) as energy.\n"
    block = read_article(write(tmp_path / "qi.md", text)).sections[0].blocks[0]
    assert block.text == "Qi is described by the WHO as energy."


def test_markdown_entities_are_characters(tmp_path: Path) -> None:
    text = "Heat &amp; cold &mdash; both&nbsp;help.\n"
    block = read_article(write(tmp_path / "entities.md", text)).sections[0].blocks[0]
    assert block.text == "Heat & cold \u2014 both help."


def test_markdown_line_starting_with_a_year_is_not_a_list(tmp_path: Path) -> None:
    text = "We opened in\n2019. Since then we have treated thousands of patients.\n"
    blocks = read_article(write(tmp_path / "history.md", text)).sections[0].blocks
    assert blocks == (Block("We opened in 2019. Since then we have treated thousands of patients."),)


def test_markdown_four_backtick_fence_is_not_closed_by_three(tmp_path: Path) -> None:
    text = "Intro text here.\n\n````\nline one\n```\nline two\n````\n\n## After\n\nClosing words.\n"
    article = read_article(write(tmp_path / "fence.md", text))
    assert [s.heading for s in article.sections] == ["", "After"]
    assert "line two" in all_text(article) and "```" in all_text(article)


def test_markdown_table_becomes_one_row_sentence_per_row(tmp_path: Path) -> None:
    text = ("## Fees\n\n| Service | Fee |\n|---|---|\n| First visit | $95 |\n| Follow-up | $75 |\n\n"
            "Prices include tax.\n")
    section = read_article(write(tmp_path / "fees.md", text)).sections[0]
    assert section.heading == "Fees"
    assert section.blocks == (Block("First visit: $95.", is_row=True), Block("Follow-up: $75.", is_row=True),
                              Block("Prices include tax."))


def test_markdown_bold_question_starts_an_faq_entry(tmp_path: Path) -> None:
    text = ("# FAQ\n\n**Is there parking?**\n\nYes, behind the building.\n\n"
            "Q: Do you take cards? A: Visa and Mastercard.\n")
    article = read_article(write(tmp_path / "faq.md", text))
    assert [(s.heading, s.blocks) for s in article.sections] == [
        ("Is there parking?", (Block("Yes, behind the building."),)),
        ("Do you take cards?", (Block("Visa and Mastercard."),)),
    ]


def test_markdown_details_blocks_are_faq_entries(tmp_path: Path) -> None:
    text = ("# FAQ\n\nSome intro text for the page.\n\n<details>\n<summary>Do you take walk-ins?</summary>\n\n"
            "Yes, before 10 am on weekdays.\n\n</details>\n\n"
            "<details><summary>Is there parking?</summary>Free parking &amp; a bike rack.</details>\n")
    article = read_article(write(tmp_path / "faq.md", text))
    assert [(s.heading, [b.text for b in s.blocks]) for s in article.sections] == [
        ("", ["Some intro text for the page."]),
        ("Do you take walk-ins?", ["Yes, before 10 am on weekdays."]),
        ("Is there parking?", ["Free parking & a bike rack."]),
    ]
