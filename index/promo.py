"""Promotion: recognise calls to action and product plugs, which never belong in an answer."""
from __future__ import annotations

import re

_PATTERNS = [
    r"\bbook (?:a|an|your|now|online|today)\b",
    r"\b(?:free|discovery) (?:discovery )?call\b",
    r"\bfollow (?:me|us)\b",
    r"\b(?:instagram|facebook|tiktok|twitter|youtube|linkedin)\b",
    r"(?<![\w.])@[a-z0-9_.]{3,}",
    r"\bcheck out (?:our |my )?(?:products?|shop|store)\b",
    r"\bproducts? like\b",
    r"\b(?:learn|read|find out) more about (?:me|us|dee|our|my)\b",
    r"\bclick here\b",
    r"\bsubscribe\b",
    r"\bsign up\b",
    r"\bnewsletter\b",
    r"\b(?:discount|promo) code\b",
    r"\buse code\b",
    r"\bshop now\b",
    r"\bcall (?:us )?(?:today|now) to\b",
]
_PROMO = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
_HERE = re.compile(r"\bHERE\b")  # shouted link text, case-sensitive


def is_promotional(sentence: str) -> bool:
    """True for a call to action, a social-media plug or a product plug."""
    letters = [c for c in sentence if c.isalpha()]
    if len(letters) >= 8 and all(c.isupper() for c in letters):
        return True  # a shouted banner such as "BOOK A FREE DISCOVERY CALL WITH DEE"
    return bool(_PROMO.search(sentence) or _HERE.search(sentence))
