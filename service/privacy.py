"""Privacy: what the question log keeps of a visitor — masked questions and a daily keyed visitor hash."""
from __future__ import annotations

import hashlib
import hmac
import re

# Order matters: e-mails before phone numbers, dates before long digit runs.
_MASKS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(
        r"\b(?:born|dob|d\.o\.b\.?|date of birth|birthday)\b[^.?!\n]{0,12}?"
        r"(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}(?:st|nd|rd|th)?\s+\w+\s+\d{2,4}|\w+\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{2,4})",
        re.I), "[date of birth]"),
    (re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b"), "[date]"),
    (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), "[number]"),  # card and account numbers, whole
    (re.compile(r"(?<![\w$])(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}[\s.-]\d{3,4}[\s.-]?\d{0,4}(?!\w)"),
     "[phone]"),
    (re.compile(r"\d[\d\s-]{5,}\d"), "[number]"),
]


def mask(text: str) -> str:
    """The question with e-mail addresses, phone numbers, dates of birth and long digit runs replaced."""
    for pattern, label in _MASKS:
        text = pattern.sub(label, text)
    return text


def visitor_hash(secret: str, address: str, day: str) -> str:
    """A keyed hash of the visitor's address that changes every day: counts visitors, never stores the IP."""
    return hmac.new(secret.encode(), f"{day}|{address}".encode(), hashlib.sha256).hexdigest()[:16]


_LABEL = re.compile(r"\[(?:email|date of birth|date|phone|number)\]")


def redact(text: str) -> str:
    """The question without any personal data at all, for retrieval: the model never sees it."""
    return " ".join(_LABEL.sub(" ", mask(text)).split())
