"""Tests for index.document: the shapes every reader builds (tables, FAQ entries, lists) and text decoding."""
from __future__ import annotations

import pytest

from index.document import ArticleError, Block, SectionBuilder, decode_text, row_sentence


@pytest.mark.parametrize(
    ("cells", "header", "sentence"),
    [
        (["In-office whitening", "$450"], ["Service", "Fee"], "In-office whitening: $450."),
        (["Root canal, molar", "from $1,250", "Crown not included"], ["Service", "Fee", "Notes"],
         "Root canal, molar — Fee: from $1,250; Notes: Crown not included."),
        (["Porcelain crown", "$1,200", ""], ["Service", "Fee", "Notes"], "Porcelain crown — Fee: $1,200."),
        (["Monday", "8 am", "6 pm"], [], "Monday — 8 am; 6 pm."),
        (["", "", ""], ["A", "B", "C"], ""),
    ],
)
def test_row_sentence_states_each_value_with_its_header(cells: list[str], header: list[str], sentence: str) -> None:
    assert row_sentence(cells, header) == sentence


def test_table_rows_go_under_the_heading_with_the_caption_kept() -> None:
    builder = SectionBuilder()
    builder.heading("Fees")
    builder.paragraph("We publish our prices.")
    builder.table([["Check-up", "$180"]], ["Service", "Fee"], caption="Fees as of 2024")
    builder.paragraph("Insurance is billed directly.")
    assert [(s.heading, s.blocks) for s in builder.sections()] == [
        ("Fees", (Block("We publish our prices."), Block("Fees as of 2024"), Block("Check-up: $180.", is_row=True),
                  Block("Insurance is billed directly."))),
    ]
    alone = SectionBuilder()
    alone.table([["Check-up", "$180"]], ["Service", "Fee"], caption="Our prices")
    assert [(s.heading, s.blocks) for s in alone.sections()] == [("Our prices", (Block("Check-up: $180.",
                                                                                       is_row=True),))]


def test_one_column_table_is_a_list() -> None:
    builder = SectionBuilder()
    builder.paragraph("What to bring:")
    builder.table([["Your insurance card"], ["A list of medicines"]])
    assert builder.sections()[0].blocks == (Block("What to bring:", ("Your insurance card", "A list of medicines")),)


def test_faq_patterns_make_the_question_the_section() -> None:
    builder = SectionBuilder()
    builder.paragraph("Q: Can I park here? A: Yes, for free.")
    builder.paragraph("Q: Do you open on Sundays?")
    builder.paragraph("A: No, we are closed on Sundays.")
    builder.paragraph("Is there a lift?", bold=True)
    builder.paragraph("Yes, from the main lobby.")
    builder.paragraph("This bold line is not a question", bold=True)
    assert [(s.heading, [b.text for b in s.blocks]) for s in builder.sections()] == [
        ("Can I park here?", ["Yes, for free."]),
        ("Do you open on Sundays?", ["No, we are closed on Sundays."]),
        ("Is there a lift?", ["Yes, from the main lobby.", "This bold line is not a question"]),
    ]


def test_a_list_after_a_list_does_not_take_it_as_lead_in() -> None:
    builder = SectionBuilder()
    builder.paragraph("Bring:")
    builder.add_list(["a towel"])
    builder.add_list(["water"])
    builder.add_list(["snacks"], continues=True)
    assert builder.sections()[0].blocks == (Block("Bring:", ("a towel",)), Block("", ("water", "snacks")))


def test_decode_text_reads_utf8_with_bom_and_windows_1252() -> None:
    assert decode_text("\ufeffCaf\u00e9\r\nOK".encode()) == "Caf\u00e9\nOK"
    legacy = "Caf\u00e9 \u2014 na\u00efve \u2019quotes\u2019 for our patients.".encode("cp1252")
    assert decode_text(legacy) == "Caf\u00e9 \u2014 na\u00efve \u2019quotes\u2019 for our patients."


@pytest.mark.parametrize(("raw", "reason"), [(b"\x00\x01binary", "binary"), (b"  \n ", "empty")])
def test_decode_text_refuses_binary_and_empty(raw: bytes, reason: str) -> None:
    with pytest.raises(ArticleError, match=reason):
        decode_text(raw)
