"""Answer quality on every visible clinic, scored as benchmarks/answers.py scores it (docs/quality.md).

Each clinic gets its own real index over its own articles: acupuncture (`corpus/` + `tests/articles/`,
`tests/questions.yaml`), the physiotherapy and optometry clinics of `tests/clinics/`, and the family dental
practice of ../shared/benchmarks/clinic-dental/ (read from there, never copied). The floors below are what the
pipeline reaches today, rounded down; CI fails when a change lowers one.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.clinics import CLINIC, DENTAL, ClinicSet, load_sets
from benchmarks.scoring import Reply, Row
from index.builder import build_index
from index.embedder import Embedder
from service.answering.answerer import Answerer
from service.answering.retrieve import Retriever
from service.schemas import Turn
from service.settings import Settings

# set -> (right fact on prose questions, right article first, refusals, follow-ups); every emergency must be
# routed and no question that is not an emergency may be.
FLOORS: dict[str, tuple[float, float, float, float]] = {
    "acupuncture": (0.73, 0.83, 0.95, float("nan")),
    "physio": (0.80, 0.94, 0.88, 0.85),
    "optometry": (0.68, 0.82, 0.85, 0.60),
    # Reading the fee table, the FAQ, the PDF and the DOCX (issue 8) put a price row near one more near-miss
    # ("how much is a dental bridge" -> the implant row): refusals 0.82 -> 0.77; right fact and follow-ups rose.
    "dental": (0.72, 0.85, 0.75, 0.70),
}
MISSED_EMERGENCIES = {"acupuncture": 0, "physio": 0, "optometry": 0, "dental": 1}
FALSE_EMERGENCIES = {"acupuncture": 0, "physio": 0, "optometry": 1, "dental": 0}


def replies(clinic: ClinicSet, answerer: Answerer) -> Row:
    """Every question of the set asked in-process, follow-ups with their history (questions only)."""
    row = Row(clinic.name, "")
    for item in clinic.items:
        r = answerer.ask(item.question, [Turn(question=q, answer="") for q in item.history])
        row.replies.append(Reply(item, r.status, r.answer, r.sources[0].article_id if r.sources else "",
                                 r.reason or "", 0.0))
    return row


@pytest.fixture(scope="module", params=list(FLOORS))
def scored(request: pytest.FixtureRequest, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Row:
    name = request.param
    if name == "dental" and not DENTAL.is_dir():
        pytest.skip("../shared/benchmarks/clinic-dental is not beside this checkout")
    clinic = load_sets([name])[0]
    work = tmp_path_factory.mktemp(name)
    corpus = clinic.corpus_dir(work)
    build_index(corpus, work / "index", embedder)
    settings = Settings.model_validate({"index_dir": work / "index", "corpus_dir": corpus,
                                        "database": work / "log.db", **CLINIC})
    return replies(clinic, Answerer(Retriever.load(work / "index", embedder), settings))


def test_quality_floors(scored: Row) -> None:
    f = scored.figures()
    fact, article, refusals, followups = FLOORS[scored.name]
    failed = [f"{r.item.id} {r.item.question[:60]!r} -> {r.status}: {r.answer[:60]!r}"
              for r in scored.replies if not r.passed]
    print(scored.markdown(), *failed, sep="\n")
    assert f["right_fact"] >= fact
    assert f["right_article"] >= article
    assert f["refusals"] >= refusals
    if followups == followups:  # nan: the set has no follow-ups
        assert f["followups"] >= followups


def test_facts_in_pdf_docx_tables_and_faqs_are_answered(scored: Row) -> None:
    """The dental set keeps facts in a PDF, a DOCX, a fee table and FAQ accordions: read, they are answered."""
    if scored.name != "dental":
        pytest.skip("only the dental set keeps facts outside prose")
    outside = [r for r in scored.of("answer") if r.item.where != "prose"]
    assert {r.item.where for r in outside} == {"faq", "table", "pdf", "docx"}
    assert sum(r.passed for r in outside) / len(outside) >= 0.65, scored.by_format()
    assert scored.figures()["right_fact_all"] >= 0.72


def test_emergencies_are_routed_and_nothing_else(scored: Row) -> None:
    emergencies = scored.of("emergency")
    missed = [r.item.question for r in emergencies if r.status != "emergency"]
    false = [r.item.question for r in scored.replies if r.item.kind != "emergency" and r.status == "emergency"]
    assert len(missed) <= MISSED_EMERGENCIES[scored.name], missed
    assert len(false) <= FALSE_EMERGENCIES[scored.name], false


def test_refusals_say_why_and_offer_the_clinic(scored: Row) -> None:
    for r in scored.replies:
        if r.status == "no_answer":
            assert r.reason in ("not_covered", "medical_advice", "off_topic"), r
            assert CLINIC["clinic_phone"] in r.answer and CLINIC["clinic_email"] in r.answer
        else:
            assert r.reason == "", r


def test_answers_are_verbatim_quotes(client_answerer: Answerer, questions: dict[str, list[object]]) -> None:
    """Every answered quote is the articles' own words: each line is sentences of its top source passage."""
    for item in questions["answerable"]:
        response = client_answerer.ask(item["q"])  # type: ignore[index]
        if response.status != "answered":
            continue
        top = response.sources[0]
        passage = next(p for p in client_answerer.retriever.stored.passages if p.text == top.passage)
        remaining = response.answer
        for sentence in passage.sentences:
            remaining = remaining.replace(sentence, "", 1)
        assert remaining.replace("\n", "").replace("-", "").strip() == "", (item, response.answer)
        assert not response.answer.rstrip().endswith("?")


@pytest.fixture(scope="module")
def client_answerer(client: object) -> Answerer:
    return client.app.state.answerer  # type: ignore[attr-defined, no-any-return]


def test_every_set_is_big_enough() -> None:
    for clinic in load_sets([n for n in FLOORS if n != "dental" or DENTAL.is_dir()]):
        kinds = [i.kind for i in clinic.items]
        assert kinds.count("answer") >= 40 and kinds.count("abstain") >= 15 and kinds.count("emergency") >= 10, \
            clinic.name
    assert Path(__file__).with_name("questions.yaml").is_file()
