"""The decide, quote and sources stages, on real hits from the test index."""
from __future__ import annotations

from typing import Any

import pytest

from index.passage import Passage
from service.answering.answerer import Answerer
from service.answering.decide import confidence, decide, price_unnamed, priced_first, priced_thing
from service.answering.quote import answer_text, quotable, quote
from service.answering.score import Hit
from service.answering.sources import sources
from service.answering.tuning import Tuning
from service.answering.understand import understand


@pytest.fixture(scope="module")
def answerer(client: Any) -> Answerer:
    return client.app.state.answerer  # type: ignore[no-any-return]


def test_confidence_rises_with_every_positive_signal() -> None:
    tuning = Tuning()
    base = {"score": 0.6, "sentence_similarity": 0.6, "coverage": 0.5, "novelty": 0.1, "margin": 0.1,
            "shape_missing": 0.0}
    for name in ("score", "sentence_similarity", "coverage", "margin"):
        assert confidence({**base, name: base[name] + 0.2}, tuning) > confidence(base, tuning), name
    assert confidence({**base, "novelty": 0.8}, tuning) < confidence(base, tuning)
    assert confidence({**base, "shape_missing": 1.0}, tuning) < confidence(base, tuning)


def test_answered_and_refused_questions_show_why(answerer: Answerer) -> None:
    answered = answerer.answer("how long does a session last")
    assert answered.response.status == "answered" and answered.decision and answered.decision.answer
    assert answered.decision.signals["confidence"] >= answerer.tuning.answer_confidence
    refused = answerer.answer("can acupuncture help me quit smoking")
    assert refused.response.status == "no_answer" and refused.decision and not refused.decision.answer
    assert refused.response.reason == "not_covered"
    assert "confidence" in refused.decision.rule or "answer_threshold" in refused.decision.rule
    off = answerer.answer("whats the weather tomorrow")
    assert off.response.reason == "off_topic"


def test_raising_the_confidence_bar_refuses_more(answerer: Answerer) -> None:
    result = answerer.answer("how long does a session last")
    q, hits = result.question, list(result.hits)
    assert q is not None and decide(q, hits, answerer.retriever.vocabulary, answerer.tuning).answer
    strict = answerer.tuning.model_copy(update={"answer_confidence": 0.999})
    assert not decide(q, hits, answerer.retriever.vocabulary, strict).answer


@pytest.mark.parametrize(("sentence", "in_list", "ok"), [
    ("Sessions typically last 30–60 minutes.", False, True),
    ("Does acupuncture hurt?", False, False),
    ("BOOK A FREE DISCOVERY CALL WITH DEE", False, False),
    ("Check-up exam and cleaning (adult)", False, False),  # a table cell or label, no sentence
    ("Rest today", True, False),  # too short
    ("Avoid hot baths and saunas today", True, True),  # a list item needs no full stop
    ("Follow us on Instagram @clinic for more tips.", False, False),
])
def test_what_may_be_quoted(sentence: str, in_list: bool, ok: bool) -> None:
    assert quotable(sentence, in_list) is ok


def _hit(passage: Passage, scores: list[float], shapes: list[bool] | None = None) -> Hit:
    n = len(passage.sentences)
    return Hit(row=0, passage=passage, score=max(scores), passage_score=0.5, lexical=0.0,
               sentence_scores=tuple(scores), sentence_dense=tuple(scores), sentence_coverage=(0.5,) * n,
               context_coverage=(0.5,) * n, sentence_shape=tuple(shapes or [False] * n))


LIST = Passage("a#1", "a", "Aftercare", "", "At home", "at-home", 1,
               ("Bring these to your first visit:", "Your photo ID.", "A list of your medicines.",
                "Your insurance card if you have one."), (1, 2, 3))
PARAGRAPH = Passage("b#0", "b", "Fees", "", "Prices", "prices", 0,
                    ("We keep prices simple.", "A first visit costs $120 and takes 90 minutes.",
                     "This includes your first treatment.", "Parking behind the clinic is free."))


def test_a_list_is_quoted_with_its_lead_in() -> None:
    quoted = quote(_hit(LIST, [0.4, 0.5, 0.7, 0.45]), Tuning(), (), "what should i bring?")
    assert quoted[0] == "Bring these to your first visit:" and "A list of your medicines." in quoted
    text = answer_text(_hit(LIST, [0.4, 0.5, 0.7, 0.45]), quoted)
    assert text.startswith("Bring these to your first visit:\n- ")


def test_the_sentence_a_quote_needs_comes_with_it() -> None:
    quoted = quote(_hit(PARAGRAPH, [0.2, 0.5, 0.9, 0.1]), Tuning())
    assert quoted == ["A first visit costs $120 and takes 90 minutes.", "This includes your first treatment."]


def test_a_sentence_already_said_is_not_repeated() -> None:
    said = ["A first visit costs $120 and takes 90 minutes."]
    quoted = quote(_hit(PARAGRAPH, [0.2, 0.9, 0.3, 0.6]), Tuning(max_sentences=1), said)
    assert quoted == ["Parking behind the clinic is free."]


def test_the_fact_asked_for_wins_within_the_passage() -> None:
    scores = [0.62, 0.55, 0.2, 0.1]
    assert quote(_hit(PARAGRAPH, scores), Tuning(max_sentences=1, quote_shape_bonus=0)) == ["We keep prices simple."]
    shaped = quote(_hit(PARAGRAPH, scores, [False, True, False, False]), Tuning(max_sentences=1))
    assert shaped == ["A first visit costs $120 and takes 90 minutes."]


def test_sources_one_per_article_best_first(answerer: Answerer) -> None:
    hits = list(answerer.answer("does cupping leave marks").hits)
    found = sources(hits, answerer.tuning, 3)
    assert found and found[0].article_id == hits[0].article_id
    assert len({s.article_id for s in found}) == len(found) <= 3
    assert all(s.score >= hits[0].score - answerer.tuning.source_margin - 1e-4 for s in found[1:])


def test_a_repeated_question_is_answered_from_memory_with_its_best_hits(answerer: Answerer) -> None:
    """The second asking reuses the first answer (a new id, no stage timings) and keeps the hits staff see."""
    first = answerer.answer("does acupuncture hurt when the needle goes in")
    again = answerer.answer("Does  acupuncture hurt when the needle goes in")
    assert first.timings and not again.timings
    assert again.response.id != first.response.id and again.response.answer == first.response.answer
    assert [h.row for h in again.hits] == [h.row for h in first.hits[: len(again.hits)]] and again.hits
    search = answerer.search("does acupuncture hurt when the needle goes in", 20)
    assert len(search.results) == min(20, len(first.hits))


STEPS = Passage("c#0", "c", "New patients", "", "Records", "records", 0,
                ("Your old x-rays can save you new ones.", "Here is how it works:",
                 "Fill in the release form.", "We send the request for you.", "Records arrive in 5-10 days."),
                (2, 3, 4))


def test_a_quote_never_ends_on_a_lead_in() -> None:
    scores = [0.8, 0.5, 0.6, 0.7, 0.55]
    quoted = quote(_hit(STEPS, scores), Tuning(), (), "will my old x-rays help?")
    assert quoted == ["Your old x-rays can save you new ones.", "Here is how it works:",
                      "We send the request for you."]
    # Asked how to do it, the steps come with their lead-in.
    steps = quote(_hit(STEPS, scores), Tuning(), (), "how do I get my x-rays sent over?")
    assert steps == ["Here is how it works:", "Fill in the release form.", "We send the request for you."]
    # With no room for an item, the dangling lead-in is left out.
    short = quote(_hit(STEPS, scores), Tuning(max_sentences=2), (), "will my old x-rays help?")
    assert short == ["Your old x-rays can save you new ones."]


def test_a_price_is_only_an_answer_for_the_thing_it_prices(answerer: Answerer) -> None:
    vocabulary, speller = answerer.retriever.vocabulary, answerer.speller
    visit = understand("how much is a first visit?", [], speller)
    voucher = understand("how much does a gift voucher cost?", [], speller)
    assert priced_thing(voucher, vocabulary) == "voucher"  # "cost" asks for the price, it is not the thing
    hit = _hit(PARAGRAPH, [0.2, 0.9, 0.3, 0.1])
    assert price_unnamed(visit, hit, 1, vocabulary) == 0.0  # "A first visit costs $120..."
    assert price_unnamed(voucher, hit, 1, vocabulary) == 1.0
    assert priced_thing(understand("is it expensive?", [], speller), vocabulary) == ""  # nothing else named
    assert priced_thing(understand("how long does it take?", [], speller), vocabulary) == ""  # no price asked


def test_a_fee_of_something_else_is_refused_and_the_page_says_why(answerer: Answerer) -> None:
    refused = answerer.answer("how much is a home visit?")  # the fees article prices other things
    assert refused.response.status == "no_answer" and refused.decision is not None
    assert refused.response.reason == "not_covered"
    assert refused.decision.signals["price_unnamed"] == 1.0 and "'home'" in refused.decision.rule
    assert refused.decision.signals["confidence"] >= answerer.tuning.answer_confidence  # the rule decided
    answered = answerer.answer("how much is a package of 10 treatments?")
    assert answered.response.status == "answered" and "$765" in answered.response.answer
    assert answered.decision is not None and answered.decision.signals["price_unnamed"] == 0.0


FEE_ROW = Passage("fees#3", "fees", "Fees", "", "Our fees", "our-fees", 3,
                  ("Dental implant with crown — Fee: $3,800; Notes: Bone graft extra.",), row=True)
GRAFT = Passage("implants#2", "implants", "Implants", "", "Costs", "costs", 2,
                ("A bone graft adds $400-$900.", "It is done on the same day."))


def test_a_table_row_prices_what_its_first_cell_names_and_a_close_hit_that_prices_it_goes_first(
        answerer: Answerer) -> None:
    vocabulary, tuning = answerer.retriever.vocabulary, answerer.tuning
    graft = understand("how much extra is a bone graft?", [], answerer.speller)
    row, article = _hit(FEE_ROW, [0.9]), _hit(GRAFT, [0.88, 0.2])
    assert price_unnamed(graft, row, 0, vocabulary) == 1.0  # "Bone graft" is in the notes, the fee is the implant's
    assert price_unnamed(graft, article, 0, vocabulary) == 0.0
    assert priced_first(graft, [row, article], vocabulary, tuning) == [article, row]
    far = _hit(GRAFT, [0.9 - tuning.source_margin - 0.05, 0.2])
    assert priced_first(graft, [row, far], vocabulary, tuning) == [row, far]  # too far behind: left as ranked
    implant = understand("how much is a dental implant?", [], answerer.speller)
    assert priced_first(implant, [row, article], vocabulary, tuning) == [row, article]  # the row prices it
