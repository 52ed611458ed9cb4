"""Sentences: cut a passage into sentences with pysbd, without losing a character of the author's text.

pysbd (a port of the Golden Rules sentence boundary rules) knows abbreviations ("etc.", "Prof.", "e.g."),
decimals, initials and quotations, which a hand-written boundary pattern kept getting wrong.
"""
from __future__ import annotations

import threading

import pysbd

_local = threading.local()  # a Segmenter keeps per-call state, so each thread has its own


def _segmenter() -> pysbd.Segmenter:
    segmenter = getattr(_local, "segmenter", None)
    if segmenter is None:
        segmenter = _local.segmenter = pysbd.Segmenter(language="en", clean=False)
    return segmenter


def split_sentences(text: str) -> list[str]:
    """Split `text` into sentences; joining them with single spaces gives `text` back (whitespace folded)."""
    text = " ".join(text.split())
    if not text:
        return []
    pieces = [s.strip() for s in _segmenter().segment(text)]
    sentences = [s for s in pieces if s]
    if " ".join(sentences) != text:
        return [text]  # never quote a patient a sentence the splitter changed
    return sentences
