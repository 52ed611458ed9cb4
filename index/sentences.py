"""Sentences: cut a passage into sentences without losing a character of the author's text."""
from __future__ import annotations

import re

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace and
# a capital, digit or opening quote. Abbreviations below never end a sentence.
_BOUNDARY = re.compile(r"""(?<=[.!?])["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9])""")
_ABBREVIATIONS = (
    "e.g.", "i.e.", "etc.", "vs.", "dr.", "mr.", "mrs.", "ms.", "st.", "no.", "approx.", "fig.", "ca.", "u.s.",
)


def split_sentences(text: str) -> list[str]:
    """Split `text` into sentences; joining them with single spaces gives `text` back (whitespace folded)."""
    text = " ".join(text.split())
    if not text:
        return []
    out: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        candidate = text[start:match.start()].rstrip()
        last_word = candidate.rsplit(" ", 1)[-1].lower()
        if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]\.", last_word):
            continue  # "e.g. Wind" or an initial: not a sentence end
        out.append(text[start:match.end()].strip())
        start = match.end()
    out.append(text[start:].strip())
    return [s for s in out if s]
