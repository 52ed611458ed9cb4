"""Understand: a patient's message as the pipeline weighs it.

Typos are repaired (never a real English word; a split compound is joined), a follow-up is read with the
question before it, every content word becomes a focus term weighted by how rare it is in this clinic's
articles, each term brings the corpus words the model's word vectors find close to it ("hurt" -> pain,
painful), and the kind of fact asked for (a price, a duration, a frequency, a count, a time) is noted.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from index.words import is_content, negated, stem, words
from service.answering.lay_terms import clinical_synonyms
from service.answering.spelling import Speller
from service.answering.vocabulary import Vocabulary
from service.privacy import redact
from service.schemas import Turn

NEGATING_SUFFIXES = ("less", "free")  # English suffixes that negate a noun: painless, pain-free, scarless
CONTEXT_WEIGHT = 0.5  # a word of the earlier question counts half as much as the follow-up's own words

AMOUNT = r"[$€£]\s?\d|\d+(?:[.,]\d+)?\s?(?:dollars|usd|eur|euros|pounds|gbp|cad|aud)\b"
_NUMBER = r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|once|twice|several|a few)\b"
_UNITS = r"(?:seconds?|minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|months?|years?)"
_DURATION = r"(?:" + _NUMBER + r")[^.;]{0,16}?\b" + _UNITS + r"\b"
# (question asks for..., a sentence that gives it): general English question forms, not any clinic's topic.
ANSWER_SHAPES: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "price": (re.compile(r"\bhow much\b(?! (?:time|longer|notice|of)\b)|\b(?:cost|costs|price|prices|pricing|fee|fees|"
                         r"charge|charges|expensive|cheap|cheaper|afford)\b"),
              re.compile(AMOUNT + r"|\bfree\b|\bno (?:extra )?(?:cost|charge)\b|\bat no\b")),
    "frequency": (re.compile(r"\bhow often\b|\bhow many times\b|\bhow frequent"),
                  re.compile(r"\b(?:every|each|per|a|once|twice|times a)\s+(?:(?:\d+|one|two|three|four|six)"
                             r"(?:\s?(?:-|to|or)\s?\d+)?\s+)?(?:hour|day|night|week|month|year|visit|session)s?\b"
                             r"|\b(?:hourly|daily|nightly|weekly|monthly|yearly|annual\w*)\b")),
    "duration": (re.compile(r"\bhow long\b|\bhow much time\b|\bduration\b|\bhow soon\b|\bhow quickly\b"),
                 re.compile(_DURATION + r"|\bovernight\b|\bright away\b|\bimmediately\b|\bsame day\b|\bnext day\b")),
    "count": (re.compile(r"\bhow many\b(?! times)|\bnumber of\b"), re.compile(_NUMBER)),
    "time": (re.compile(r"^(?:when|what time|what age|at what age)\b|\bwhen (?:can|should|will|do|does|is|are|would|"
                        r"could|may|might|must|am)\b|\b(?:what time|what age|how soon)\b"),
             re.compile(_NUMBER + r"|" + _DURATION + r"|\b(?:after|before|until|within|once|as soon as|right after|"
                        r"the next|morning|evening|night|age|week|day|month|year)s?\b")),
    "cause": (re.compile(r"^(?:why|how come)\b|\bwhat (?:causes|caused|cause|makes|made|is causing)\b"
                         r"|\bwhy (?:do|does|is|am|are|did)\b|\b(?:the )?reason (?:for|why)\b"),
              re.compile(r"\b(?:because|cause[sd]?|caused by|due to|result(?:s|ing)? (?:of|from)|linked to|comes? from|"
                         r"leads? to|triggers?|when)\b")),
}
_CONNECTOR = re.compile(r"^\s*(?:and|but|so|also|or|then|ok(?:ay)?|what about|how about|what if|same for|and if)\b",
                        re.IGNORECASE)
_BACK_REFERENCE = re.compile(r"\b(?:it|its|this|that|these|those|they|them|their|there|one|ones|the same)\b",
                             re.IGNORECASE)
FOLLOW_UP_MAX_TERMS = 3  # a question with this few content words of its own leans on the conversation


@dataclass(frozen=True)
class Question:
    """What the pipeline understood of one message."""

    typed: str  # as the patient typed it (outer whitespace removed)
    repaired: str  # typed, with typos repaired: what the safety checks read besides `typed`
    text: str  # what is embedded: personal data removed, typos repaired, a follow-up joined to its context
    terms: Mapping[str, float]  # focus stems -> weight (1 for the patient's own words, less for context)
    shapes: tuple[str, ...]  # kinds of fact asked for
    follow_up: bool = False
    previous: str = ""  # the earlier question a follow-up was read with
    own_terms: frozenset[str] = frozenset()  # stems of the message itself (not its context)
    synonyms: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # stem -> corpus stems, similarity
    term_words: Mapping[str, str] = field(default_factory=dict)  # stem -> the word as typed (repaired)
    negated: bool = False  # the message itself says "not" ("what if I can't do the forms online?")

    def weight(self, term: str, vocabulary: Vocabulary) -> float:
        """The term's weight in coverage: its importance times its rarity in the corpus."""
        return self.terms[term] * vocabulary.idf(term)

    def answer_pattern(self) -> list[re.Pattern[str]]:
        """Patterns of the facts asked for."""
        return [ANSWER_SHAPES[s][1] for s in self.shapes]


def shapes_asked(text: str) -> tuple[str, ...]:
    """The kinds of fact a question asks for."""
    lowered = text.lower().strip()
    return tuple(name for name, (asks, _) in ANSWER_SHAPES.items() if asks.search(lowered))


def has_shape(sentence: str, shapes: Sequence[str]) -> bool:
    """The sentence holds a fact of one of these kinds."""
    lowered = sentence.lower()
    return any(ANSWER_SHAPES[s][1].search(lowered) for s in shapes)


def is_follow_up(text: str, own_terms: int) -> bool:
    """A message that leans on the conversation: it opens with "and"/"what about", points back, or is bare."""
    return bool(_CONNECTOR.search(text) or _BACK_REFERENCE.search(text)) or own_terms <= FOLLOW_UP_MAX_TERMS


# The adverb of "how long", "how often"... names the kind of fact asked for (its answer shape), not the topic.
_ASKING = re.compile(r"\bhow\s+(?:long|often|soon|quickly|frequently|frequent|many\s+times|much\s+time)\b")


def _terms(text: str) -> dict[str, str]:
    """Content stems of a text, each with the word it came from: no stopword, even inflected ("getting")."""
    found: dict[str, str] = {}
    for w in words(_ASKING.sub("how", text.lower())):
        s = stem(w)
        if is_content(w) and is_content(s):
            found.setdefault(s, w)
    return found


def understand(typed: str, history: Sequence[Turn], speller: Speller) -> Question:
    """Repair, put in context, and weigh one message (synonyms come later, with the word vectors)."""
    repaired = speller.repair(typed)
    cleaned = speller.repair(redact(typed))
    own = _terms(cleaned)
    previous = next((t.question.strip() for t in reversed(history) if t.question.strip()), "")
    follow_up = bool(previous) and is_follow_up(cleaned, len(own))
    terms: dict[str, float] = {}
    term_words = dict(own)
    text = cleaned
    if follow_up:
        context = speller.repair(redact(previous))
        for s, w in _terms(context).items():
            terms[s] = CONTEXT_WEIGHT
            term_words.setdefault(s, w)
        text = f"{context} {cleaned}"
    terms.update(dict.fromkeys(own, 1.0))
    shapes = shapes_asked(cleaned) or (shapes_asked(previous) if follow_up else ())
    return Question(typed=typed, repaired=repaired, text=text, terms=terms, shapes=shapes, follow_up=follow_up,
                    previous=previous if follow_up else "", own_terms=frozenset(own), term_words=term_words,
                    negated=negated(cleaned))


def words_needing_vectors(question: Question, vocabulary: Vocabulary) -> list[str]:
    """The question's words the articles never use and the index has no vector for: their synonyms are looked up.

    They are embedded in the same batch as the question; a word the articles use needs no synonyms.
    """
    return sorted({w for t, w in question.term_words.items()
                   if w.isalpha() and not vocabulary.knows(t) and vocabulary.vector_of(w) is None})


RARE_DF = 2  # a word the articles use at most this often...
COMMONER = 3  # ...meets a close word they use at least this many times as often ("kids" -> children)


def with_synonyms(question: Question, vocabulary: Vocabulary, vectors: Mapping[str, np.ndarray],
                  threshold: float, rare_threshold: float = 1.01, lay_similarity: float = 0.0) -> Question:
    """The question with, for each term the articles never use, the corpus words whose vectors are close to it.

    A word the articles use is matched as itself: word vectors also put antonyms close ("often" ~ "rarely").
    Every term, and every such synonym, also brings its negation by suffix when the articles use it: "is it
    painful?" is answered by "painless".
    """
    found: dict[str, dict[str, float]] = {}
    for term, word in question.term_words.items():
        close: dict[str, float] = {}
        if not vocabulary.knows(term) and word.isalpha():
            vector = vocabulary.vector_of(word)
            if vector is None:
                vector = vectors.get(word)
            if vector is not None:
                close = vocabulary.synonyms(word, vector, threshold)
        elif word.isalpha() and vocabulary.df.get(term, 0) <= RARE_DF and rare_threshold <= 1:
            # The articles use the word once or twice, but say the thing another way far more often: the
            # patient's "kids" is the clinic's "children". Only much commoner, very close words count, since word
            # vectors also put antonyms close.
            vector = vocabulary.vector_of(word)
            if vector is not None:
                floor = COMMONER * vocabulary.df.get(term, 0)
                close = {c: v for c, v in vocabulary.synonyms(word, vector, rare_threshold).items()
                         if vocabulary.df.get(c, 0) >= floor}
        # "Does it hurt?" / "is it painful?" is answered by "painless": a word's negation by suffix answers it.
        for base, similarity in [(term, 1.0), *close.items()]:
            for negation in (stem(base + suffix) for suffix in NEGATING_SUFFIXES):
                if negation != term and vocabulary.knows(negation):
                    close[negation] = max(close.get(negation, 0.0), similarity)
        if close:
            found[term] = close
    if lay_similarity > 0:
        # "tooth pulled" is the clinic's "extraction": a general lay-clinical vocabulary (lay_terms.py).
        for term, close in clinical_synonyms(question.text, set(question.terms), vocabulary, lay_similarity).items():
            mine = found.setdefault(term, {})
            for corpus_stem, similarity in close.items():
                mine[corpus_stem] = max(mine.get(corpus_stem, 0.0), similarity)
    return replace(question, synonyms=found)
