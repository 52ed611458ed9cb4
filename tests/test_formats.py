"""Tests for index.formats: reading .txt, .md and .html articles into `Article`s."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.article import Article, ArticleError, Block, Section, load_corpus
from index.formats import looks_like_heading, read_article
from index.markdown import strip_markdown_inline

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


def test_inline_markdown_is_stripped_but_words_kept() -> None:
    assert strip_markdown_inline("**Bold** and __strong__, *em* and _em_") == (
        "Bold and strong, em and em"
    )
    assert strip_markdown_inline("Use `snake_case` in [docs](http://x.y) ![img](a.png)") == (
        "Use snake_case in docs"
    )
    assert strip_markdown_inline("5 * 3 * 2 and file_name_here stay") == (
        "5 * 3 * 2 and file_name_here stay"
    )


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


def test_latin1_file(tmp_path: Path) -> None:
    path = write(tmp_path / "caf.txt", "Caf\u00e9 Talk\nA na\u00efve question.\n".encode("latin-1"))
    with pytest.raises(ArticleError, match="not valid UTF-8"):
        read_article(path)


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    raw = "\ufeffRest Days\r\nTake it easy.\r\nWhy Rest Matters\r\nMuscles repair.\r\n"
    article = read_article(write(tmp_path / "rest.txt", raw.encode("utf-8")))
    assert article.title == "Rest Days"
    assert [s.heading for s in article.sections] == ["", "Why Rest Matters"]
    assert article.sections[1].blocks == (Block("Muscles repair."),)


# ------------------------------------------------------------------------- html


def test_html_page(tmp_path: Path) -> None:
    path = Path(shutil.copy(DATA / "clinic-blog-page.html", tmp_path / "cupping.html"))
    article = read_article(path)
    assert article.title == "Cupping Therapy & Neck Pain"
    assert article.url == "https://harbour-clinic.example/blog/cupping-neck-pain/"
    assert article.date == "2024-05-14T09:30:00+00:00"
    assert article.article_id == "cupping"
    assert [s.heading for s in article.sections] == ["", "How Cupping Works", "What to Expect"]

    intro, works, expect = article.sections
    assert Block("Neck pain is one of the most common reasons people visit our clinic.") in (
        intro.blocks
    )
    assert works.blocks == (
        Block(
            "Cupping uses gentle suction on the skin. It can help in several ways:",
            (
                "Circulation: it draws blood to tight muscles.",
                "Relaxation: many patients feel calmer — even sleepy.",
                "Range of motion: stretching is easier afterwards.",
            ),
        ),
    )
    assert expect.blocks == (
        Block("A session lasts about 30 minutes."),
        Block("Marks on the skin fade within a week."),
        Block("", ("Tell us about your symptoms.", "Lie down comfortably.")),
    )
    text = all_text(article)
    assert "LEAK" not in text
    assert "cookies" not in text


def test_html_title_falls_back_to_title_tag_without_site_name(tmp_path: Path) -> None:
    page = (
        "<html><head><title>Self-Care After Acupuncture - Harbour Clinic</title></head>"
        "<body><p>Rest &amp; hydrate.</p><ul><li>Water</li></ul></body></html>"
    )
    article = read_article(write(tmp_path / "self-care.htm", page))
    assert article.title == "Self-Care After Acupuncture"
    assert article.url == ""
    assert article.sections[0].blocks == (Block("Rest & hydrate."), Block("", ("Water",)))


def test_html_without_article_reads_body_and_time_element(tmp_path: Path) -> None:
    page = (
        "<html><body><div class='top-nav'><a>Home</a></div>"
        "<h1>Winter Wellness</h1><p>Posted <time datetime='2023-12-01'>Dec 1</time></p>"
        "<div>Loose text in a div<br>still counts.</div>"
        "<h3>Warm Foods</h3><p>Soups help.</p>"
        "<div class='cookie-notice'><p>Accept cookies</p></div></body></html>"
    )
    article = read_article(write(tmp_path / "winter.html", page))
    assert article.title == "Winter Wellness"
    assert article.date == "2023-12-01"
    assert article.sections[0].blocks == (
        Block("Posted Dec 1"),
        Block("Loose text in a div still counts."),
    )
    assert article.sections[1] == Section("Warm Foods", (Block("Soups help."),))
    assert "Home" not in all_text(article) and "cookies" not in all_text(article)


def test_html_with_odd_markup_still_parses(tmp_path: Path) -> None:
    page = (
        "<h1>Word Export</h1><p><![if !supportLists]>1.<![endif]>First point"
        "<![foo[ignored]]></p><p>Unclosed <b>bold <i>text</p></div></span>"
    )
    article = read_article(write(tmp_path / "word.html", page))
    assert article.title == "Word Export"
    assert article.sections[0].blocks == (Block("1.First point"), Block("Unclosed bold text"))


def test_html_without_body_text(tmp_path: Path) -> None:
    page = "<html><body><nav><p>Home</p></nav><script>x = 1</script></body></html>"
    with pytest.raises(ArticleError, match="no text found"):
        read_article(write(tmp_path / "shell.html", page))


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
    write(tmp_path / "notes.docx", b"PK\x03\x04")
    write(tmp_path / ".hidden.md", "# Hidden\n\nNot indexed.\n")

    articles, skipped = load_corpus(tmp_path)

    assert sorted(a.article_id for a in articles) == [
        "cupping",
        "headaches-2024",
        "relieving-upper-back-pain-with-acupuncture",
    ]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert set(reasons) == {"empty.md", "broken.md", "photo.txt", "old.txt", "notes.docx"}
    assert reasons["empty.md"] == "file is empty"
    assert reasons["broken.md"].startswith("broken front matter")
    assert "binary" in reasons["photo.txt"]
    assert "UTF-8" in reasons["old.txt"]
    assert reasons["notes.docx"] == "unsupported file type '.docx'"


def test_read_article_rejects_unsupported_extension(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="unsupported file type"):
        read_article(write(tmp_path / "notes.rtf", "{\\rtf1 hello}"))
