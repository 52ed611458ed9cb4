"""Spelling: repair a patient's typos without ever replacing a real English word.

A word is left alone when the clinic's articles use it or it is one of the 82,765 English words of
symspellpy's bundled frequency dictionary, so "cancer" never becomes "cancel" however the clinic writes.
Any other word is looked up with symspellpy (symmetric-delete, edit distance 1, or 2 for long words) among the
clinic's own words and the real English words of the safety banks ("chest pian" -> pain); a word that is close
to none of them is kept as typed (it cannot match an article either way). Common text-speak ("u", "cnt",
"pls") is spelled out first, and two words the clinic writes as one ("wheel chair") are joined last.
"""
from __future__ import annotations

import importlib.resources
import re
from collections.abc import Iterable, Mapping
from functools import cache

from symspellpy import SymSpell, Verbosity

MIN_LENGTH = 4  # shorter words are too ambiguous to repair ("mny": my, many, any)
LONG_WORD = 8  # from this length two edits are allowed
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
# A word and the next (one space apart, the second not consumed): a compound the patient may have split.
_PAIR = re.compile(r"(?<![a-z'’-])([a-z]{3,}) (?=([a-z]{2,})(?![a-z'’-]))")

# Text-speak of English chat, spelled out (general English, not any clinic's vocabulary).
TEXT_SPEAK: dict[str, str] = {
    "u": "you", "ur": "your", "r": "are", "ya": "you", "pls": "please", "plz": "please", "cnt": "cant",
    "cudnt": "couldnt", "dnt": "dont", "b4": "before", "2day": "today", "2nite": "tonight",
    "tmrw": "tomorrow", "tmr": "tomorrow", "bc": "because", "cuz": "because", "coz": "because", "ppl": "people",
    "thx": "thanks", "idk": "i dont know", "rn": "right now", "abt": "about", "wat": "what", "wen": "when",
    "hw": "how", "appt": "appointment", "asap": "as soon as possible", "msg": "message", "ty": "thank you",
    "nvm": "never mind", "sry": "sorry", "bf": "boyfriend", "gf": "girlfriend", "yr": "year", "yrs": "years",
    "hr": "hour", "hrs": "hours", "min": "minute", "mins": "minutes", "wk": "week", "wks": "weeks",
}


@cache
def english_counts() -> Mapping[str, int]:
    """symspellpy's English frequency dictionary (82,765 words and their corpus counts), loaded once per process."""
    text = importlib.resources.files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt").read_text("utf-8")
    rows = (line.split() for line in text.splitlines() if line.strip())
    return {row[0]: int(row[1]) for row in rows}


@cache
def english_words() -> frozenset[str]:
    """The words of English, as symspellpy's frequency dictionary has them, and its contractions as patients
    type them without the apostrophe ("dont", "im", "theyre": never "corrected" to "done" or "wont")."""
    words = set(english_counts())
    return frozenset(words | {w.replace("'", "") for w in words if "'" in w})


class Speller:
    """Repairs the words of one corpus's questions; the clinic's own words are preferred corrections."""

    def __init__(self, corpus_counts: Mapping[str, int], domain_words: Iterable[str] = ()) -> None:
        self.known = {w for w in corpus_counts if w.isalpha()}
        self._local = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in corpus_counts.items():
            if word.isalpha() and len(word) >= MIN_LENGTH - 1:
                self._local.create_dictionary_entry(word, count * 1000 + 1)
        english = english_words()
        for word in domain_words:
            # The banks are written as patients type, typos included: only their real words are corrections.
            if word.isalpha() and len(word) >= MIN_LENGTH - 1 and word not in self.known and word in english:
                self._local.create_dictionary_entry(word, 1)

    def is_word(self, word: str) -> bool:
        """A real word: the clinic uses it or English has it."""
        return word in self.known or word in english_words()

    def correct(self, word: str) -> str:
        """The word a typo most likely meant; a real word, a number or a short word is returned unchanged."""
        lower = word.lower()
        if lower in TEXT_SPEAK:
            return TEXT_SPEAK[lower]
        if len(lower) < MIN_LENGTH or not lower.isalpha() or self.is_word(lower):
            return lower
        distance = 2 if len(lower) >= LONG_WORD else 1
        found = self._local.lookup(lower, Verbosity.CLOSEST, max_edit_distance=distance)
        if not found:
            return lower
        # Among equally close words prefer one with the same letters: a swap is the commonest typo ("pian").
        best = max(found, key=lambda s: (sorted(s.term) == sorted(lower), s.count))
        return str(best.term)

    def repair(self, text: str) -> str:
        """The text with each word replaced by its repair; punctuation and spacing kept, lower-cased.

        Two words the clinic writes as one are joined: "wheel chair" -> wheelchair, "check up" -> checkup.
        """
        repaired = _TOKEN.sub(lambda m: self.correct(m.group(0)), text).lower()
        return _PAIR.sub(self._join, repaired) if " " in repaired else repaired

    def _join(self, match: re.Match[str]) -> str:
        """A word and its space, or the word alone when it and the next one make a word of the clinic's."""
        first, second = match.group(1), match.group(2)
        return first if first + second in self.known else match.group(0)
