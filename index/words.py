"""Words: tokens, stopwords and stems shared by the indexer, the lexical index and the answering pipeline.

Stems come from the Snowball English (Porter 2) stemmer through PyStemmer, the stemmer of the
information-retrieval field: "sessions" meets "session", "infected" meets "infection", while "cancer" and
"cancel" stay apart.
"""
from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

WORD = re.compile(r"[a-z0-9]+(?:[’'][a-z]+)?")
_COMPOUND = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
STOPWORDS = frozenset(
    """a about above after again all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he
    her here hers him his how i if in into is it its itself just me more most my myself no nor not now
    of off on once only or other our ours out over own same she should so some such than that the their
    them then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself im ive id dont doesnt isnt cant
    wont u ur pls please also get got thing things really much many lot lots go going one someone anyone
    something anything way ok okay""".split()  # noqa: SIM905 (a word list reads best as text)
)
_STEMMER = Stemmer.Stemmer("english")
_NEGATION = re.compile(r"\b(?:not|no|never|without|cannot|unable|can[’']?t|don[’']?t|doesn[’']?t|didn[’']?t|"
                       r"won[’']?t|isn[’']?t|aren[’']?t|wasn[’']?t|haven[’']?t|hasn[’']?t|couldn[’']?t|"
                       r"shouldn[’']?t|wouldn[’']?t|mustn[’']?t)\b", re.IGNORECASE)


def negated(text: str) -> bool:
    """Whether a text says "not" in some form ("can't", "without", "no insurance")."""
    return bool(_NEGATION.search(text))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball English stem of a lower-case word ("sessions" -> "session", "billing" -> "bill")."""
    word = word.replace("’", "'").split("'")[0]
    return str(_STEMMER.stemWord(word))


def words(text: str) -> list[str]:
    """Lower-case word tokens; a hyphenated compound also counts joined ("x-rays" -> x, rays, xrays)."""
    lowered = text.lower()
    tokens = WORD.findall(lowered)
    tokens.extend(m.group(0).replace("-", "") for m in _COMPOUND.finditer(lowered))
    return tokens


def is_content(word: str) -> bool:
    """A word that carries meaning: not a stopword, not a single character."""
    return len(word) > 1 and word not in STOPWORDS


def content_stems(text: str) -> set[str]:
    """The stems of a text's content words (no stopwords, no one-letter words)."""
    return {stem(w) for w in words(text) if is_content(w)}


def lexical_tokens(text: str) -> list[str]:
    """The stems of a text's content words in order, repeats kept: what the BM25 index counts."""
    return [stem(w) for w in words(text) if is_content(w)]
