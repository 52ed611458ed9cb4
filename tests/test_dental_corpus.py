"""The real readers over the dental clinic's ten documents (md, txt, html, pdf, docx): nothing lost, no chrome.

Every fact an answerable question of `../shared/benchmarks/clinic-dental/` expects is inside some passage of a
document it may be cited from, and no passage holds the saved pages' chrome. The questions stay in ../shared.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from index.corpus import load_corpus
from index.passage import Passage, split_article

DENTAL = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "clinic-dental"
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_QUOTES = {ord(c): "'" for c in "\u2018\u2019\u201a\u201b"} | {ord(c): '"' for c in "\u201c\u201d\u201e\u201f"}
CHROME = ("we use cookies", "share this", "related posts", "1420 maple grove road", "all rights reserved",
          "skip to content")

pytestmark = pytest.mark.skipif(not DENTAL.is_dir(), reason="../shared/benchmarks/clinic-dental is not beside the repo")


def normalise(text: str) -> str:
    """The benchmark's comparison: lower case, ASCII dashes and quotes, single spaces."""
    return re.sub(r"\s+", " ", text.translate(_DASHES).translate(_QUOTES).lower()).strip()


@pytest.fixture(scope="module")
def passages() -> dict[str, list[Passage]]:
    articles, skipped = load_corpus(DENTAL / "corpus")
    assert not skipped, skipped
    return {a.article_id: split_article(a) for a in articles}


def test_all_ten_documents_are_read(passages: dict[str, list[Passage]]) -> None:
    assert len(passages) == 10
    assert all(passages.values())


def test_every_expected_fact_is_in_a_passage_of_its_source(passages: dict[str, list[Passage]]) -> None:
    lost = []
    for line in (DENTAL / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["kind"] not in ("answer", "followup"):
            continue
        texts = [normalise(p.text) for doc in item["source_any"] for p in passages[doc]]
        if not any(normalise(fact) in t for fact in item["expect_any"] for t in texts):
            lost.append((item["id"], item["expect_any"]))
    assert not lost


def test_no_passage_holds_page_chrome(passages: dict[str, list[Passage]]) -> None:
    leaks = [(p.passage_id, c) for ps in passages.values() for p in ps for c in CHROME
             if c in normalise(f"{p.section} {p.text}")]
    assert not leaks


def test_the_price_table_is_one_passage_per_row_with_its_fee(passages: dict[str, list[Passage]]) -> None:
    rows = [p for p in passages["fees-insurance-payment"] if p.row]
    assert len(rows) >= 10
    whitening = [p.text for p in rows if "in-office whitening" in p.text.lower()]
    assert whitening and "$450" in whitening[0]
    assert not any(p.text.strip().rstrip(".") in ("Service", "Fee", "Notes") for ps in passages.values() for p in ps)


def test_faq_entries_are_sections_named_by_their_question(passages: dict[str, list[Passage]]) -> None:
    sections = {p.section for p in passages["faq"]}
    assert "Where can I park?" in sections
    assert sum(1 for s in sections if s.endswith("?")) >= 10
