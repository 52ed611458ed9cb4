"""The retrieve and score stages: hybrid dense + BM25 candidates over the real test index."""
from __future__ import annotations

from typing import Any

import pytest

from index.lexical import LexicalIndex
from index.store import read_index
from index.words import lexical_tokens, stem
from service.answering.answerer import Answerer
from service.answering.score import coverage, score_hits
from service.answering.understand import has_shape, understand, with_synonyms


@pytest.fixture(scope="module")
def answerer(client: Any) -> Answerer:
    return client.app.state.answerer  # type: ignore[no-any-return]


def hits_for(answerer: Answerer, question: str) -> list[Any]:
    q = understand(question, [], answerer.speller)
    vector = answerer.retriever.embed([q.text])[0]
    q = with_synonyms(q, answerer.retriever.vocabulary, {}, answerer.tuning.synonym_similarity)
    return score_hits(q, vector, answerer.retriever.candidates(q, vector, answerer.tuning), answerer.retriever,
                      answerer.tuning)


def test_bm25_finds_the_passage_naming_a_rare_word(answerer: Answerer) -> None:
    lexical = answerer.retriever.lexical
    terms = {stem("hsa"): 1.0}
    scores = lexical.scores("passages", terms, len(answerer.retriever.stored.passages))
    best = answerer.retriever.stored.passages[int(scores.argmax())]
    assert "HSA" in best.text
    share = scores.max() / lexical.best_possible("passages", terms)
    assert 0 < share < 1  # an absolute share of the best possible score


def test_a_word_no_article_uses_lowers_every_share(answerer: Answerer) -> None:
    lexical = answerer.retriever.lexical
    n = len(answerer.retriever.stored.passages)
    known = {stem("cupping"): 1.0}
    with_unknown = {**known, stem("zzxq"): 1.0}
    alone = (lexical.scores("passages", known, n) / lexical.best_possible("passages", known)).max()
    diluted = (lexical.scores("passages", with_unknown, n) / lexical.best_possible("passages", with_unknown)).max()
    assert diluted < alone


def test_lexical_index_round_trips(tmp_path: Any, index_dir: Any) -> None:
    stored = read_index(index_dir)
    built = LexicalIndex.build(stored.passages)
    built.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    terms = {t: 1.0 for t in lexical_tokens("cupping marks bruise")}
    n = len(stored.passages)
    assert (built.scores("passages", terms, n) == loaded.scores("passages", terms, n)).all()


def test_hybrid_candidates_rank_the_answer_first(answerer: Answerer) -> None:
    hits = hits_for(answerer, "how long is a session")
    assert hits[0].article_id == "relieving-upper-back-pain-with-acupuncture"
    assert any("30–60 minutes" in s for s in hits[0].passage.sentences)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_every_hit_carries_its_sentences_signals(answerer: Answerer) -> None:
    for hit in hits_for(answerer, "can i use my hsa card for this")[:5]:
        n = len(hit.passage.sentences)
        assert len(hit.sentence_scores) == len(hit.sentence_dense) == len(hit.sentence_coverage) == n
        assert all(0 <= c <= 1 for c in hit.sentence_coverage)
        assert all(a <= b + 1e-9 for a, b in zip(hit.sentence_coverage, hit.context_coverage, strict=True))
    assert "HSA" in hits_for(answerer, "can i use my hsa card for this")[0].passage.text


def test_coverage_counts_synonyms_at_their_similarity(answerer: Answerer) -> None:
    q = understand("can kids have cupping", [], answerer.speller)
    vocabulary = answerer.retriever.vocabulary
    q = with_synonyms(q, vocabulary, {"kids": answerer.retriever.embedder.query("kids")},
                      answerer.tuning.synonym_similarity)
    plain = coverage(q, {stem("cupping")}, vocabulary)
    with_children = coverage(q, {stem("cupping"), stem("children")}, vocabulary)
    with_kids = coverage(q, {stem("cupping"), stem("kids")}, vocabulary)
    assert plain < with_children < with_kids == pytest.approx(1.0)


def test_postings_give_every_sentence_the_coverage_of_its_own_words(answerer: Answerer) -> None:
    """The vectorised coverage of all sentences at once equals the coverage of each sentence's stems."""
    from service.answering.score import Focus

    r = answerer.retriever
    q = understand("can kids have cupping marks on their back for 3 days", [], answerer.speller)
    q = with_synonyms(q, r.vocabulary, {"kids": r.embedder.query("kids")}, answerer.tuning.synonym_similarity)
    focus = Focus(q, r.vocabulary)
    covered, with_context = r.postings.coverage(q, focus.weights)
    start = 0
    for row, passage in enumerate(r.stored.passages):
        stems = r.sentence_stems[start:start + len(passage.sentences)]
        lead = set().union(*stems[: passage.item_starts[0]]) if passage.item_starts else set()
        for i, stems_of_sentence in enumerate(stems):
            own = stems_of_sentence | lead if passage.unit_of(i) > 0 else stems_of_sentence
            assert covered[start + i] == pytest.approx(focus.coverage(own), abs=1e-6)
            assert with_context[start + i] == pytest.approx(focus.coverage(own | r.context_stems[row]), abs=1e-6)
        start += len(stems)
    assert covered.max() > 0 and (with_context >= covered - 1e-6).all()
    sentences = [s for p in r.stored.passages for s in p.sentences]
    for shapes in (["duration"], ["price", "count"]):
        assert r.postings.shaped(shapes).tolist() == [has_shape(s, shapes) for s in sentences]
    assert sum(r.postings.shaped(["price"])) > 0


def test_a_negated_question_lifts_the_sentences_that_say_not(answerer: Answerer) -> None:
    from index.words import negated

    question = "what if I can't come to my appointment?"
    q = understand(question, [], answerer.speller)
    assert q.negated and not understand("can I come to my appointment?", [], answerer.speller).negated
    vector = answerer.retriever.embed([q.text])[0]
    candidates = answerer.retriever.candidates(q, vector, answerer.tuning)
    flat = answerer.tuning.model_copy(update={"polarity_weight": 0.0})
    lifted = {h.row: h for h in score_hits(q, vector, candidates, answerer.retriever, answerer.tuning)}
    plain = {h.row: h for h in score_hits(q, vector, candidates, answerer.retriever, flat)}
    seen = set()
    for row, hit in lifted.items():
        for sentence, with_bonus, without in zip(hit.passage.sentences, hit.sentence_scores,
                                                 plain[row].sentence_scores, strict=True):
            says_not = negated(f"{hit.passage.section} {sentence}")
            seen.add(says_not)
            assert with_bonus - without == pytest.approx(answerer.tuning.polarity_weight if says_not else 0.0, abs=1e-6)
    assert seen == {True, False}
