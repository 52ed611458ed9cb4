"""The understand stage: typo repair that never replaces a real word, focus terms, shapes, follow-ups, synonyms."""
from __future__ import annotations

from typing import Any

import pytest

from index.words import stem
from service.answering.answerer import Answerer
from service.answering.spelling import Speller
from service.answering.understand import has_shape, is_follow_up, shapes_asked, understand, with_synonyms
from service.schemas import Turn

CORPUS_WORDS = {"acupuncture": 40, "pain": 30, "plan": 30, "cancel": 5, "cancellation": 3, "whitening": 8,
                "sealants": 2, "insurance": 9, "session": 20}


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(CORPUS_WORDS, ["breathe", "breath", "chest", "bleeding", "seizure", "pian"])


@pytest.mark.parametrize(("typed", "meant"), [
    ("acupunture", "acupuncture"), ("whitning", "whitening"), ("sealents", "sealants"), ("insurence", "insurance"),
    ("pian", "pain"),  # a swap beats a substitution ("plan") at the same distance
    ("breth", "breath"),  # a word of the safety banks
    ("siezure", "seizure"),  # a word of the safety banks ("pian", a typo in a bank, is no correction)
    ("cnt", "cant"), ("u", "you"), ("pls", "please"),  # text-speak
])
def test_typos_are_repaired(speller: Speller, typed: str, meant: str) -> None:
    assert speller.correct(typed) == meant


@pytest.mark.parametrize("word", ["cancer", "sings", "patients", "braces", "invisalign", "mny", "2024", "physio",
                                  "dont", "doesnt", "theyre", "youre"])  # contractions typed without the apostrophe
def test_real_words_short_words_and_unknown_names_are_kept(speller: Speller, word: str) -> None:
    assert speller.correct(word) == word.lower()


def test_a_contraction_typed_without_its_apostrophe_is_a_word() -> None:
    speller = Speller({"done": 5, "wont": 2, "theyve": 1, "ive": 3, "youve": 1})
    assert speller.repair("what if i dont show up and theyre late") == "what if i dont show up and theyre late"


def test_repair_keeps_the_rest_of_the_text(speller: Speller) -> None:
    assert speller.repair("Does acupunture help cancer pian?") == "does acupuncture help cancer pain?"


def test_a_compound_split_in_two_is_joined_when_the_clinic_writes_it_as_one() -> None:
    speller = Speller({"wheelchair": 2, "checkup": 3, "aftercare": 1, "check": 4, "chair": 1})
    assert speller.repair("Is there room for a wheel chair?") == "is there room for a wheelchair?"
    assert speller.repair("a check up and after care") == "a checkup and aftercare"  # overlapping pairs
    assert speller.repair("check upstairs, a chair lift") == "check upstairs, a chair lift"  # no such word
    assert speller.repair("wheel-chair") == "wheel-chair"  # a hyphenated compound already meets its joined form


@pytest.mark.parametrize(("question", "shapes"), [
    ("how much is a session?", ("price",)), ("what does it cost", ("price",)),
    ("how much notice do you need", ()), ("how long does it take", ("duration",)),
    ("how often should i come", ("frequency",)), ("how many sessions will i need", ("count",)),
    ("when can i exercise", ("time",)), ("why is my back worse in winter", ("cause",)),
    ("does it hurt?", ()),
])
def test_the_kind_of_fact_asked_for(question: str, shapes: tuple[str, ...]) -> None:
    assert shapes_asked(question) == shapes


def test_a_sentence_holds_the_fact_asked_for() -> None:
    assert has_shape("A session costs $85.", ["price"])
    assert not has_shape("This often costs more than saving the tooth.", ["price"])
    assert has_shape("Ice it for 15 minutes every 2 to 3 hours.", ["frequency"])
    assert has_shape("Sessions last 30–60 minutes.", ["duration"])


@pytest.mark.parametrize(("text", "terms", "expected"), [
    ("and for kids?", 1, True), ("ok and how long?", 1, True), ("does it hurt?", 1, True),
    ("what time do you close on fridays and saturdays", 4, False),
])
def test_follow_up_detection(text: str, terms: int, expected: bool) -> None:
    assert is_follow_up(text, terms) is expected


def test_a_follow_up_is_read_with_the_question_before(speller: Speller) -> None:
    q = understand("and how long?", [Turn(question="does acupunture hurt?", answer="")], speller)
    assert q.follow_up and q.previous == "does acupunture hurt?"
    assert q.text == "does acupuncture hurt? and how long?"
    assert q.terms[stem("acupuncture")] == 0.5 and q.terms[stem("hurt")] == 0.5  # context counts half
    assert stem("long") not in q.terms and q.shapes == ("duration",)  # "how long" is the kind of fact asked for
    standalone = understand("how much is a session?", [], speller)
    assert not standalone.follow_up and standalone.text == "how much is a session?"


def test_the_adverb_of_how_long_and_inflected_stopwords_are_not_focus_words(speller: Speller) -> None:
    """"how long"/"how often" name the answer's shape, "getting" is "get": neither is what the question is about."""
    q = understand("how long is recovery after the surgery", [], speller)
    assert set(q.terms) == {stem("recovery"), stem("surgery")} and "duration" in q.shapes
    q = understand("how often should i be getting my teeth cleaned", [], speller)
    assert set(q.terms) == {stem("teeth"), stem("cleaned")} and q.shapes == ("frequency",)
    q = understand("is it ok to go for a long walk afterwards", [], speller)
    assert stem("long") in q.terms and stem("walk") in q.terms  # "long" as a word of the question stays


def test_personal_data_never_reaches_retrieval(speller: Speller) -> None:
    q = understand("call me on 555 123 4567 about my appointment", [], speller)
    assert "555" not in q.text and "appointment" in q.text
    assert "555" in q.typed  # the safety checks read what was typed


def test_synonyms_come_from_the_model_for_words_the_articles_never_use(client: Any) -> None:
    answerer: Answerer = client.app.state.answerer
    vocabulary = answerer.retriever.vocabulary
    q = understand("can kids have it", [], answerer.speller)
    assert not vocabulary.knows(stem("kids"))
    vectors = {"kids": answerer.retriever.embedder.query("kids")}
    q = with_synonyms(q, vocabulary, vectors, answerer.tuning.synonym_similarity)
    assert stem("children") in q.synonyms[stem("kids")]
    known = with_synonyms(understand("how long is a session", [], answerer.speller), vocabulary, {},
                          answerer.tuning.synonym_similarity)
    assert known.synonyms == {}  # words the articles use are matched as themselves ("often" is not "rarely")


def test_a_word_meets_its_negation_by_suffix_in_the_articles(client: Any) -> None:
    """"is it painful?" is answered by "painless" or "pain-free", and so is a word the model finds close to pain."""
    answerer: Answerer = client.app.state.answerer
    vocabulary = answerer.retriever.vocabulary
    assert vocabulary.knows(stem("painless")) and not vocabulary.knows(stem("agony"))
    painful = with_synonyms(understand("is acupuncture painful", [], answerer.speller), vocabulary, {},
                            answerer.tuning.synonym_similarity)
    assert painful.synonyms[stem("painful")][stem("painless")] == 1.0
    assert stem("acupuncture") not in painful.synonyms  # "acupunctureless" is no word of the articles
    agony = understand("is it agony", [], answerer.speller)
    vectors = {"agony": answerer.retriever.embedder.query("agony")}
    agony = with_synonyms(agony, vocabulary, vectors, answerer.tuning.synonym_similarity)
    close = agony.synonyms[stem("agony")]
    assert close[stem("painless")] == close[stem("pain")] >= answerer.tuning.synonym_similarity


def test_a_word_the_articles_use_rarely_meets_the_word_they_use_for_it(client: Any) -> None:
    """The clinic writes "kids" once and "children" everywhere: the patient's "kids" also counts as children."""
    import faiss
    import numpy as np

    from service.answering.vocabulary import Vocabulary

    answerer: Answerer = client.app.state.answerer
    embedder = answerer.retriever.embedder
    docs = ["We love seeing kids.", *(f"Children need a check-up every 6 months ({i})." for i in range(4)),
            "Visits are rarely long.", "Visits are often short."]
    vocab_words = ["kids", "children", "check", "months", "visits", "rarely", "often", "long", "short"]
    vectors = faiss.IndexFlatIP(len(embedder.query("kids")))
    vectors.add(np.stack([embedder.query(w) for w in vocab_words]).astype(np.float32))
    vocabulary = Vocabulary(docs, vocab_words, vectors)
    tuning = answerer.tuning
    kids = with_synonyms(understand("and for kids?", [], answerer.speller), vocabulary, {},
                         tuning.synonym_similarity, tuning.rare_synonym_similarity)
    assert stem("children") in kids.synonyms[stem("kids")]
    off = with_synonyms(understand("and for kids?", [], answerer.speller), vocabulary, {}, tuning.synonym_similarity)
    assert stem("kids") not in off.synonyms  # the default of with_synonyms: words the articles use stay themselves
    rarely = with_synonyms(understand("are visits rarely long", [], answerer.speller), vocabulary, {},
                           tuning.synonym_similarity, tuning.rare_synonym_similarity)
    assert stem("often") not in rarely.synonyms.get(stem("rarely"), {})  # no commoner: the antonym stays apart
