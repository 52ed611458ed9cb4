"""Tests for index/readers/web_page/: saved web pages (.html/.htm) read into `Article`s, through read_article."""
from __future__ import annotations

import json
import logging
import re
import shutil
import statistics
import time
from pathlib import Path

import pytest

from index.document import Article, ArticleError, Block, Section
from index.readers import read_article

DATA = Path(__file__).resolve().parent / "data" / "formats"
DENTAL = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "clinic-dental"


def write(path: Path, content: str | bytes) -> Path:
    """Write `content` to `path` (bytes as-is, text as UTF-8) and return the path."""
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def copy(name: str, tmp_path: Path, as_name: str | None = None) -> Path:
    """A test page copied to tmp_path (so the article id comes from `as_name`)."""
    return Path(shutil.copy(DATA / name, tmp_path / (as_name or name)))


def norm(text: str) -> str:
    """Lower case, unicode dashes to '-', curly quotes straight, whitespace collapsed."""
    text = re.sub(r"[‐‑‒–—−]", "-", text.lower())
    text = re.sub(r"[‘’‚′]", "'", re.sub(r"[“”„″]", '"', text))
    return " ".join(text.split())


def block_texts(article: Article) -> list[str]:
    """Every block's text and every list item, normalised."""
    return [norm(t) for s in article.sections for b in s.blocks for t in (b.text, *b.items) if t]


def all_text(article: Article) -> str:
    """Title, headings, block texts and list items in one string."""
    parts = [article.title]
    for section in article.sections:
        parts.append(section.heading)
        parts += [t for b in section.blocks for t in (b.text, *b.items)]
    return " ".join(parts)


# ------------------------------------------------------------------ WordPress page


def test_wordpress_page_metadata_and_body(tmp_path: Path) -> None:
    article = read_article(copy("wordpress-fees.html", tmp_path))
    assert article.article_id == "wordpress-fees"
    assert article.title == "Fees and Payment"
    assert article.url == "https://lakeside-physio.test/fees-and-payment/"  # canonical before og:url
    assert article.date == "2024-03-04T10:15:00+00:00"  # the <time> in the article's <header>
    assert [s.heading for s in article.sections] == ["", "Our prices", "How to pay"]
    intro, prices, pay = article.sections
    assert intro.blocks[0].text.startswith("We want you to know what your treatment costs")
    # The rows stay under the page's heading; the caption is kept as text before them.
    assert prices.blocks[0] == Block("Prices from 1 January 2024")
    assert prices.blocks[1:5] == tuple(
        Block(text, is_row=True)
        for text in (
            "Initial assessment — Length: 60 minutes; Fee: $115.",
            "Follow-up treatment — Length: 30 minutes; Fee: $85.",
            "Extended follow-up — Length: 45 minutes; Fee: $105.",
            "Home visit — Length: 60 minutes; Fee: $160.",
        )
    )
    assert prices.blocks[5:] == (Block("Students and seniors aged 65 and over get 10% off every appointment."),)
    assert pay.blocks[-1] == Block(
        "Ask at reception for a payment plan:", ("up to three monthly payments", "no interest and no credit check")
    )


def test_wordpress_page_leaks_no_chrome(tmp_path: Path) -> None:
    article = read_article(copy("wordpress-fees.html", tmp_path))
    text = all_text(article)
    assert not {"home", "home / fees and payment", "fees"} & set(block_texts(article))  # nav, breadcrumbs
    for chrome in ("We use cookies", "Accept all", "Skip to content", "Our Team", "Treatments", "Book an Appointment",
                   "Share this", "Facebook", "thoughts on", "COMMENT_LEAK", "Related Posts",
                   "Five exercises", "Newsletter", "monthly tips", "Subscribe", "77 Harbour Street", "(555) 013-7700",
                   "7:00 am", "All rights reserved", "STYLE_LEAK", "SCRIPT_LEAK", "Updated 4 March"):
        assert chrome not in text, chrome


# ----------------------------------------------------------- FAQ and definition lists


def test_faq_accordions_and_definition_lists_become_questions(tmp_path: Path) -> None:
    article = read_article(copy("faq-details.html", tmp_path))
    assert article.title == "Frequently Asked Questions"
    assert article.url == "https://lakeside-physio.test/faq/"  # og:url without a canonical link
    assert article.date == "2024-02-20"
    assert article.sections == (
        Section("", (Block("The questions our reception team hears most often."),)),
        Section("Do I need a referral?", (Block(
            "No. You can book with us directly, although some insurers ask for a doctor’s referral before they pay."
        ),)),
        Section("What are your opening hours?", (Block(
            "We are open Monday to Thursday 8:00 am to 6:00 pm and Friday 8:00 am to 4:00 pm."
            " We are closed at weekends."
        ),)),
        Section("What should I bring to my first visit?", (Block("Please bring:", (
            "your insurance card", "a list of your medicines: including vitamins and supplements",
            "shorts or loose clothing",
        )),)),
        Section("Can I park at the clinic?", (
            Block("Yes, there are six free spaces behind the building, two of them accessible."),)),
        Section("Is there a late-cancellation fee?", (
            Block("Yes. Cancelling with less than 24 hours’ notice costs $40."),)),
        Section("Good to know", (
            Block("Languages: English, Spanish and Hindi.", is_row=True),
            Block("Wheelchair access: Step-free entrance and an accessible washroom.", is_row=True),
        )),
    )
    text = all_text(article)
    assert "cookies" not in text and "77 Harbour Street" not in text and "Mon–Thu" not in text


def test_bold_question_paragraphs_and_quotes(tmp_path: Path) -> None:
    page = (
        "<html><head><title>Aftercare | Clinic</title></head><body><main><article><h1>Aftercare</h1>"
        "<p>What to do in the first days after your treatment at our clinic.</p>"
        "<p><strong>Can I exercise afterwards?</strong></p><p>Gentle walking is fine on the same day.</p>"
        "<blockquote><p>I was back on my bike within a week.</p><cite>Jo, a patient</cite></blockquote>"
        "</article></main></body></html>"
    )
    article = read_article(write(tmp_path / "aftercare.html", page))
    assert article.sections[-1] == Section("Can I exercise afterwards?", (
        Block("Gentle walking is fine on the same day."), Block("I was back on my bike within a week. — Jo, a patient"),
    ))


# ------------------------------------------------------------------------- charset


def test_windows_1252_page_declared_in_meta(tmp_path: Path) -> None:
    path = copy("windows-1252.html", tmp_path)
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    article = read_article(path)
    assert article.title == "Our Café Corner"
    assert article.sections[0].blocks == (
        Block("Our waiting room has a café corner with “free” tea – it’s open whenever we are."),
        Block("Naïve questions are welcome: ask your physiotherapist anything, even about the €5 parking meter."),
    )


@pytest.mark.parametrize("head", ['<meta charset="iso-8859-1">', "", '<meta charset="utf-8">'])
def test_windows_1252_page_labelled_latin_1_undeclared_or_mislabelled(tmp_path: Path, head: str) -> None:
    # Browsers read a latin-1 label as windows-1252; no label, or a wrong one, is left to detection.
    page = f"<html><head>{head}</head><body><p>Le caf\u00e9 \u201cMaison\u201d \u2013 open daily.</p></body></html>"
    article = read_article(write(tmp_path / "cafe.html", page.encode("cp1252")))
    assert article.sections[0].blocks == (Block("Le café “Maison” – open daily."),)


# ------------------------------------------------- behaviours of the old reader


def test_blog_page(tmp_path: Path) -> None:
    article = read_article(copy("clinic-blog-page.html", tmp_path, "cupping.html"))
    assert article.title == "Cupping Therapy & Neck Pain"
    assert article.url == "https://harbour-clinic.example/blog/cupping-neck-pain/"
    assert article.date == "2024-05-14T09:30:00+00:00"
    assert article.article_id == "cupping"
    assert [s.heading for s in article.sections] == ["", "How Cupping Works", "What to Expect"]
    intro, works, expect = article.sections
    assert Block("Neck pain is one of the most common reasons people visit our clinic.") in intro.blocks
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


def test_title_falls_back_to_title_tag_without_site_name(tmp_path: Path) -> None:
    page = (
        "<html><head><title>Self-Care After Acupuncture - Harbour Clinic</title></head>"
        "<body><p>Rest &amp; hydrate.</p><ul><li>Water</li></ul></body></html>"
    )
    article = read_article(write(tmp_path / "self-care.htm", page))
    assert article.title == "Self-Care After Acupuncture"
    assert article.url == ""
    assert article.sections[0].blocks == (Block("Rest & hydrate."), Block("", ("Water",)))


def test_page_without_article_reads_body_and_time_element(tmp_path: Path) -> None:
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
    assert article.sections[0].blocks == (Block("Posted Dec 1"), Block("Loose text in a div still counts."))
    assert article.sections[1] == Section("Warm Foods", (Block("Soups help."),))
    assert "Home" not in all_text(article) and "cookies" not in all_text(article)


def test_odd_markup_still_parses(tmp_path: Path) -> None:
    page = (
        "<h1>Word Export</h1><p><![if !supportLists]>1.<![endif]>First point"
        "<![foo[ignored]]></p><p>Unclosed <b>bold <i>text</p></div></span>"
    )
    article = read_article(write(tmp_path / "word.html", page))
    assert article.title == "Word Export"
    assert article.sections[0].blocks == (Block("1.First point"), Block("Unclosed bold text"))


def test_page_without_body_text(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    page = "<html><body><nav><p>Home</p></nav><script>x = 1</script></body></html>"
    with caplog.at_level(logging.DEBUG), pytest.raises(ArticleError, match="no text found"):
        read_article(write(tmp_path / "shell.html", page))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # trafilatura kept quiet


# ---------------------------------------------------------------- regressions


def test_wrappers_with_chrome_like_classes_keep_the_article(tmp_path: Path) -> None:
    page = (
        "<html><head><title>Tips | Clinic</title></head><body class='share-buttons-enabled menu-open'>"
        "<div class='has-sidebar'><div class='navigation-wrapper'><article><header><h1>Travel Tips</h1>"
        "<time datetime='2024-02-02'>2 February 2024</time></header>"
        "<p class='navigating-tips'>Navigating airports is easier with a printed list of your medicines.</p>"
        "<p class='unavailable'>Dr Lee is unavailable on Mondays in August.</p>"
        "<ul class='checklist'><li class='navigation-step'>Pack your insoles in your hand luggage.</li></ul>"
        "</article></div><aside class='sidebar'><p>Popular posts</p></aside></div></body></html>"
    )
    article = read_article(write(tmp_path / "tips.html", page))
    assert article.title == "Travel Tips"  # from the <header> inside the <article>
    assert article.date == "2024-02-02"
    assert article.sections == (Section("", (
        Block("Navigating airports is easier with a printed list of your medicines."),
        Block("Dr Lee is unavailable on Mondays in August."),
        Block("", ("Pack your insoles in your hand luggage.",)),
    )),)


# ------------------------------------------------- the real pages of clinic-dental


def dental_page(doc_id: str) -> Path:
    """A page of the clinic-dental benchmark corpus, or skip when ../shared is not there."""
    path = DENTAL / "corpus" / f"{doc_id}.html"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return path


@pytest.mark.parametrize("doc_id", ["faq", "fees-insurance-payment", "dental-implants"])
def test_dental_pages_keep_every_expected_answer_and_no_chrome(doc_id: str) -> None:
    path = dental_page(doc_id)
    page = norm(path.read_text(encoding="utf-8"))
    blocks = block_texts(read_article(path))
    questions = [json.loads(line) for line in (DENTAL / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    checked = 0
    for q in questions:
        if doc_id not in q.get("source_any", []):
            continue
        # A question answered by several documents may quote another one: check the strings this page has.
        here = [s for s in q["expect_any"] if norm(s) in page]
        assert here, q["id"]
        for expected in here:
            assert any(norm(expected) in b for b in blocks), (q["id"], expected)
            checked += 1
    assert checked >= 5
    for chrome in ("we use cookies", "share this:", "related posts", "1420 maple grove road", "book online",
                   "all rights reserved", "gentle dental care for the whole family"):
        assert not any(chrome in b for b in blocks), chrome


def test_dental_faq_gives_one_section_per_accordion() -> None:
    path = dental_page("faq")
    summaries = re.findall(r"<summary>(.*?)</summary>", path.read_text(encoding="utf-8"))
    article = read_article(path)
    assert len(summaries) == 10
    assert [s.heading for s in article.sections] == ["", *(s.replace("&#39;", "'") for s in summaries)]
    hours = next(s for s in article.sections if s.heading == "What are your opening hours?")
    assert hours.blocks[0].text.startswith("We are open Monday to Thursday 8:00 am to 6:00 pm")  # body, not footer


def test_dental_fee_table_gives_one_row_per_service() -> None:
    path = dental_page("fees-insurance-payment")
    body = path.read_text(encoding="utf-8").partition("<tbody>")[2].partition("</tbody>")[0]
    services = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>", body)
    article = read_article(path)
    rows = [b.text for s in article.sections for b in s.blocks if b.is_row]
    assert len(rows) == len(services) == 16
    for (service, fee), row in zip(services, rows, strict=True):
        assert row.startswith(f"{service} — Fee: {fee}")
    assert "In-office whitening — Fee: $450; Notes: One visit of about 90 minutes." in rows
    table = next(s for s in article.sections if any(b.is_row for b in s.blocks))
    assert table.heading == "Our fees"  # the rows stay under the page's heading, with the <figcaption> kept as text
    assert Block("Fees as of January 2024, before insurance.") in table.blocks


def test_reading_a_saved_page_is_fast() -> None:
    path = DATA / "wordpress-fees.html"
    read_article(path)  # the first read loads trafilatura's lazily built parts
    times = []
    for _ in range(5):
        start = time.perf_counter()
        read_article(path)
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.1


def test_theme_accordion_buttons_and_bold_styles_start_faq_entries(tmp_path: Path) -> None:
    # Bootstrap-style accordions put the question in a <button>, which trafilatura drops; a page builder's
    # bold is a styled <span>.
    article = read_article(copy("theme-accordion.html", tmp_path))
    assert [(s.heading, [b.text for b in s.blocks]) for s in article.sections] == [
        ("", ["Answers to the questions we hear most at the front desk of our practice."]),
        ("Do you offer payment plans?",
         ["Yes. For treatment over $1,000 we offer interest-free plans over 12 months."]),
        ("Is parking available?", ["There is free parking behind the building."]),
        ("Can I bring my child along?", ["Yes, children are welcome in the waiting room with an adult."]),
        ("Do you see emergencies?", ["We keep time free every day for patients in pain."]),
    ]
    assert "cookie" not in all_text(article).lower()
