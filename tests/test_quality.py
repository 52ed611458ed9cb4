"""Answer quality over the patient question set: answer rate, quote accuracy, refusals, emergencies.

Thresholds are what the current pipeline honestly reaches on tests/questions.yaml, rounded down;
raise them as quality improves (docs/quality.md has the history).
"""
from __future__ import annotations

from typing import Any

import pytest

from service.answerer import Answerer
from service.schemas import AskResponse

MIN_ANSWER_RATE = 0.90  # answerable questions that get an answer
MIN_ACCURACY = 0.72  # answered questions whose quote holds the expected fact, from the expected article
MIN_REFUSAL_RATE = 0.85  # out-of-scope questions that get the fallback


def correct(item: dict[str, Any], response: AskResponse) -> bool:
    """The quote contains the expected fact and the top source is the expected article."""
    top = response.sources[0].article_id if response.sources else None
    expected = [item, *item.get("also", [])]
    return any(top == e["article"] and e["fact"].lower() in response.answer.lower() for e in expected)


@pytest.fixture(scope="module")
def answerer(client: Any) -> Answerer:
    return client.app.state.answerer  # type: ignore[no-any-return]


def test_question_set_is_big_enough(questions: dict[str, list[Any]]) -> None:
    assert len(questions["answerable"]) >= 40
    assert len(questions["out_of_scope"]) >= 10
    assert len(questions["emergency"]) >= 10


def test_answer_rate_and_accuracy(answerer: Answerer, questions: dict[str, list[Any]]) -> None:
    items = questions["answerable"]
    responses = [answerer.ask(item["q"]) for item in items]
    answered = [(i, r) for i, r in zip(items, responses, strict=False) if r.status == "answered"]
    rate = len(answered) / len(items)
    accuracy = sum(correct(i, r) for i, r in answered) / max(len(answered), 1)
    wrong = [(i["q"], r.answer[:80]) for i, r in answered if not correct(i, r)]
    print(f"answer rate {rate:.3f}, accuracy {accuracy:.3f}; wrong: {wrong}")
    assert rate >= MIN_ANSWER_RATE
    assert accuracy >= MIN_ACCURACY


def test_answers_are_verbatim_quotes(answerer: Answerer, questions: dict[str, list[Any]]) -> None:
    """Every answered quote is the articles' own words: each sentence occurs in its top source passage."""
    for item in questions["answerable"]:
        response = answerer.ask(item["q"])
        if response.status != "answered":
            continue
        top = response.sources[0]
        passage = next(p for p in answerer.retriever.stored.passages if p.text == top.passage)
        remaining = response.answer
        for sentence in passage.sentences:
            remaining = remaining.replace(sentence, "", 1)
        assert remaining.strip() == "", (item["q"], response.answer)
        assert not response.answer.rstrip().endswith("?")


def test_out_of_scope_questions_are_refused(answerer: Answerer, questions: dict[str, list[Any]]) -> None:
    responses = {q: answerer.ask(q) for q in questions["out_of_scope"]}
    refused = [q for q, r in responses.items() if r.status == "no_answer"]
    rate = len(refused) / len(responses)
    print(f"refusal rate {rate:.3f}; answered: {[q for q in responses if q not in refused]}")
    assert rate >= MIN_REFUSAL_RATE
    for q in refused:
        assert responses[q].sources == []
        assert "+1 555 0100" in responses[q].answer


@pytest.mark.parametrize("kind", ["emergency", "not_emergency"])
def test_emergencies(answerer: Answerer, questions: dict[str, list[Any]], kind: str) -> None:
    statuses = {q: answerer.ask(q).status for q in questions[kind]}
    if kind == "emergency":
        assert all(s == "emergency" for s in statuses.values()), statuses
    else:
        assert not any(s == "emergency" for s in statuses.values()), statuses
