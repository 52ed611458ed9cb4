"""Promotion: recognise calls to action, social plugs, product plugs and sign-ups, which never belong in an answer.

General marks of marketing copy, not any clinic's strings: a shouted line; an imperative to book, call or
buy that carries urgency or a channel ("today", "online", "free", "here"), while the same verb in advice
("Call us if the bleeding does not stop", "Book morning appointments for toddlers") or in a fact ("You can
book your first visit online or by phone") is text; social handles and networks; product plugs (testimonial
verbs, trademarks, "now available at our front desk"), discount codes and newsletter sign-ups.
"""
from __future__ import annotations

import re

_ACTION = r"(?:book|schedule|reserve|call|phone|ring|contact|message|text|email|e-mail|claim|grab|shop|order|buy|" \
          r"sign up|register|join|download|get started|start|visit)"
# Urgency or a sales channel; not "now" or "right away", which the clinic's emergency advice uses.
_URGE = re.compile(r"\b(?:today|online|free|here|this (?:week|month)|limited|spots?|discount|offer)\b", re.IGNORECASE)
# The imperative opens the sentence or a clause ("..., so book today"), or a nudge precedes it.
_IMPERATIVE = re.compile(rf"(?:^|[.!?;:,]\s+|\b(?:so|then)\s+)(?:please\s+|just\s+)?{_ACTION}\b", re.IGNORECASE)
_CONDITION = re.compile(r"\b(?:if|when|unless|until|within|before|after|while)\b", re.IGNORECASE)
_NUDGE = re.compile(rf"\b(?:ready to|why not|what are you waiting for\W+)\s*{_ACTION}\b", re.IGNORECASE)
_PLUGS = re.compile("|".join(f"(?:{p})" for p in (
    r"\b(?:follow|tag|like|dm|message) (?:me|us)\b",
    r"\b(?:instagram|facebook|tiktok|twitter|youtube|linkedin|pinterest|snapchat)\b",
    r"(?<![\w.])@[a-z0-9_.]{3,}",
    r"\blink in (?:my |our )?bio\b",
    r"\bcheck out (?:our |my |these |this )?(?:products?|shop|store|range|kit|collection)\b",
    r"\bproducts? like\b",
    r"^(?:learn|read|find out|discover) more\b",
    r"\bclick (?:here|the link|below)\b",
    r"\bsubscribe\b",
    r"\bsign up (?:for|to)\b",
    r"\bnewsletter\b",
    r"\bmailing list\b",
    r"\b(?:discount|promo|coupon|voucher) code\b",
    r"\buse (?:the )?code\b",
    r"\b\d{1,2}\s?% off your\b",
    r"[™®]",
    r"\b(?:swear by|rave about|can'?t get enough of|can'?t live without)\b",
    r"\b(?:now )?(?:available|on sale|in stock) (?:at|from|in) (?:our|the) (?:front desk|reception|shop|store|online)",
    r"\b(?:buy|get|pick up|ask for) (?:one|it|yours|some) (?:at|from) (?:our|the) "
    r"(?:front desk|reception|shop|store)\b",
)), re.IGNORECASE)
_HERE = re.compile(r"\bHERE\b")  # shouted link text, case-sensitive


def is_promotional(sentence: str) -> bool:
    """True for a call to action, a social-media or product plug, or a sign-up."""
    text = sentence.strip()
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 8 and all(c.isupper() for c in letters):
        return True  # a shouted banner such as "BOOK YOUR FIRST VISIT TODAY"
    if _PLUGS.search(text) or _HERE.search(text) or _NUDGE.search(text):
        return True
    # "Call us today if the swelling spreads" is advice: a condition makes the imperative a step of care.
    if _CONDITION.search(text) or not _IMPERATIVE.search(text):
        return False
    return bool(_URGE.search(text)) or text.endswith("!")  # "Book now!"
