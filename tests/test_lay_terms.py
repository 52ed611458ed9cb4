"""The lay-term vocabulary: patients' everyday phrases meet the clinical words the clinic's articles use."""
from __future__ import annotations

import re
from typing import Any

import faiss
import pytest

from index.words import stem
from service.answering.answerer import Answerer
from service.answering.lay_terms import clinical_synonyms, entries
from service.answering.understand import understand, with_synonyms
from service.answering.vocabulary import Vocabulary

ARTICLES = ["An extraction is quick; most patients feel pressure, not pain.", "Keep the socket clean.",
            "After an extraction, avoid alcohol and smoking for a day.",
            "A muscle strain heals in two to six weeks with gentle exercise.",
            "We see children from age three.", "Your tooth may feel sore after a filling."]


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary(ARTICLES, [], faiss.IndexFlatIP(8))  # no word vectors: only the vocabulary speaks


def _terms(text: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[a-z]+", text.lower())}


def test_a_lay_phrase_adds_the_clinical_word_the_articles_use(vocabulary: Vocabulary) -> None:
    text = "does getting a tooth pulled hurt"
    found = clinical_synonyms(text, _terms(text), vocabulary, 0.7)
    pulled = found[stem("pulled")]  # the phrase's rarest word carries it ("tooth" is in the articles)
    assert pulled[stem("extraction")] == 0.7
    assert stem("removal") not in pulled  # a clinical word the articles never use adds nothing
    assert stem("pain") in found[stem("hurt")]


def test_a_phrase_is_found_in_the_ways_patients_put_it(vocabulary: Vocabulary) -> None:
    text = "there is a hole where my tooth was pulled"
    close = {s for c in clinical_synonyms(text, _terms(text), vocabulary, 0.7).values() for s in c}
    assert {stem("extraction"), stem("socket")} <= close


def test_an_ambiguous_word_is_read_by_its_phrase(vocabulary: Vocabulary) -> None:
    muscle = "i pulled a muscle at the gym"
    found = clinical_synonyms(muscle, _terms(muscle), vocabulary, 0.7)
    close = {s for c in found.values() for s in c}
    assert stem("strain") in close and stem("extraction") not in close
    tooth = "i need my tooth pulled"
    close = {s for c in clinical_synonyms(tooth, _terms(tooth), vocabulary, 0.7).values() for s in c}
    assert stem("extraction") in close and stem("strain") not in close


def test_a_word_the_question_already_has_or_no_phrase_adds_nothing(vocabulary: Vocabulary) -> None:
    text = "is an extraction painful for my kids"
    found = clinical_synonyms(text, _terms(text), vocabulary, 0.7)
    assert set(found) == {stem("kids")} and stem("children") in found[stem("kids")]
    assert clinical_synonyms("what are your opening hours", _terms("what are your opening hours"),
                             vocabulary, 0.7) == {}


def test_every_entry_compiles_names_clinical_words_and_never_matches_nothing() -> None:
    bank = entries()
    assert len(bank) > 50
    for entry in bank:
        assert entry.clinical, entry.lay.pattern
        assert entry.lay.search("") is None and entry.lay.search("the and of a") is None, entry.lay.pattern
        assert entry.lay.pattern.isprintable(), entry.lay.pattern  # no "\b" read as a backspace by YAML


def test_a_phrase_with_an_apostrophe_is_found_with_or_without_it() -> None:
    bank = entries()
    for typed in ("what if i don't show up", "what if i dont show up"):
        assert any(entry.lay.search(typed) for entry in bank), typed


def test_the_pipeline_merges_them_below_the_word_itself_and_zero_turns_them_off(client: Any) -> None:
    answerer: Answerer = client.app.state.answerer
    vocabulary = answerer.retriever.vocabulary
    assert vocabulary.knows(stem("alcohol")) and not vocabulary.knows(stem("beers"))
    q = understand("can i have a few beers after my session", [], answerer.speller)
    on = with_synonyms(q, vocabulary, {}, answerer.tuning.synonym_similarity, 1.01, 0.7)
    assert on.synonyms[stem("beers")] == {stem("alcohol"): 0.7}
    off = with_synonyms(q, vocabulary, {}, answerer.tuning.synonym_similarity, 1.01, 0.0)
    assert stem("beers") not in off.synonyms


def test_a_patients_lay_words_reach_the_articles_sentence(client: Any) -> None:
    body = client.post("/api/ask", json={"question": "can i have a few beers after my session?"}).json()
    assert body["status"] == "answered" and "alcohol" in body["answer"].lower(), body["answer"]
