"""Words: tokens, stopwords and light stems shared by the indexer and the retriever."""
from __future__ import annotations

import re

WORD = re.compile(r"[a-z0-9]+(?:[’'][a-z]+)?")
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


def stem(word: str) -> str:
    """A light suffix-stripping stem, enough to meet "sessions" with "session" and "billing" with "bill"."""
    word = word.replace("’", "'").split("'")[0]
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ings", ""), ("ing", ""), ("edly", ""), ("ed", ""),
                         ("ly", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def words(text: str) -> list[str]:
    """Lower-case word tokens."""
    return WORD.findall(text.lower())


def content_stems(text: str) -> set[str]:
    """The stems of a text's content words (no stopwords, no one-letter words)."""
    return {stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1}
