"""The lexical index: BM25 (bm25s) over the same passages and sentences the dense index holds.

Dense vectors find "does it hurt?" near "the treatment is painless"; BM25 finds the passage that names the
question's rare words ("tetracycline", "pericoronitis") however the model embeds them. The answering
pipeline fuses both. Documents are the stems of content words (index.words.lexical_tokens): a passage is its
title, section heading and sentences, a sentence is its heading and itself, as for the dense vectors.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import bm25s
import numpy as np

from index.passage import Passage
from index.words import lexical_tokens

K1 = 1.2  # term-frequency saturation (the Lucene default range 1.2-2.0; short passages saturate early)
B = 0.75  # length normalisation (the usual default)
KINDS = ("passages", "sentences")

logging.getLogger("bm25s").setLevel(logging.WARNING)


def _bm25(documents: Sequence[list[str]]) -> bm25s.BM25:
    model = bm25s.BM25(k1=K1, b=B, method="lucene")
    # An empty document would make bm25s drop the row; a placeholder token keeps rows aligned with passages.
    model.index([doc or ["\x00"] for doc in documents] or [["\x00"]], show_progress=False)
    return model


class LexicalIndex:
    """BM25 scores of every passage and every sentence for a weighted set of query stems."""

    def __init__(self, passages: bm25s.BM25, sentences: bm25s.BM25) -> None:
        self._models = {"passages": passages, "sentences": sentences}

    @classmethod
    def build(cls, passages: Sequence[Passage]) -> LexicalIndex:
        """Index the passages (title, heading, text) and their sentences (heading, sentence)."""
        passage_docs = [lexical_tokens(p.embed_text) for p in passages]
        sentence_docs = [lexical_tokens(t) for p in passages for t in p.sentence_embed_texts]
        return cls(_bm25(passage_docs), _bm25(sentence_docs))

    def save(self, folder: Path) -> None:
        """Write both BM25 indexes below `folder` (one sub-folder each)."""
        for kind, model in self._models.items():
            model.save(str(folder / kind), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read what `save` wrote."""
        models = [bm25s.BM25.load(str(folder / kind), show_progress=False) for kind in KINDS]
        return cls(*models)

    def best_possible(self, kind: str, terms: Mapping[str, float]) -> float:
        """The BM25 score a document holding every term many times would reach: idf x (k1 + 1) per term.

        Dividing by it makes a score an absolute share (0..1) that means the same for any question and corpus;
        a term no document has counts with the highest idf, so it lowers every share.
        """
        model = self._models[kind]
        n = int(model.scores["num_docs"])
        indptr = model.scores["indptr"]
        total = 0.0
        for term, weight in terms.items():
            row = model.vocab_dict.get(term)
            df = int(indptr[row + 1] - indptr[row]) if row is not None and row + 1 < len(indptr) else 0
            total += weight * math.log(1 + (n - df + 0.5) / (df + 0.5)) * (K1 + 1)
        return total

    def scores(self, kind: str, terms: Mapping[str, float], size: int) -> np.ndarray:
        """BM25 of every document of `kind` for stems weighted by importance (1 = a word the patient typed)."""
        model = self._models[kind]
        total = np.zeros(size, dtype=np.float32)
        vocab = model.vocab_dict
        for term, weight in terms.items():
            if term in vocab and weight > 0:
                total += weight * model.get_scores([term])[:size]
        return total
