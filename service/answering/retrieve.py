"""Retrieve: the loaded index and the model, and the candidate passages for one question.

Candidates come from four searches over the same passages: dense passage vectors, dense sentence vectors
(FAISS, exact inner product), and BM25 over passages and over sentences (bm25s), so a passage is found by
what it means and by the rare words it shares with the question. Scoring the candidates is the next stage.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embedder import Embedder
from index.store import IndexUnavailable, StoredIndex, all_vectors, read_index
from index.words import negated
from service.answering.postings import Postings, passage_stems
from service.answering.tuning import Tuning
from service.answering.understand import Question
from service.answering.vocabulary import Vocabulary

SYNONYM_TERM_WEIGHT = 0.5  # a synonym counts in BM25 at half its similarity, below the word the patient typed


@dataclass(frozen=True)
class Candidates:
    """The passage rows worth scoring, with each passage's BM25 share of the best possible score."""

    rows: list[int]
    lexical: Mapping[int, float]


class Retriever:
    """Search over one loaded index with the model it was built with."""

    def __init__(self, stored: StoredIndex, embedder: Embedder) -> None:
        if stored.manifest.get("model") != embedder.name:
            raise IndexUnavailable(
                f"the index at {stored.path} was built with model '{stored.manifest.get('model')}' but the "
                f"configured model is '{embedder.name}': rebuild it with `clinicbot index` "
                f"(or set CLINICBOT_MODEL={stored.manifest.get('model')})"
            )
        built_by = stored.manifest.get("encoder", "torch")  # indexes from before the ONNX encoder: torch
        if built_by != embedder.encoder:
            raise IndexUnavailable(
                f"the index at {stored.path} was built with the {built_by} encoder but the configured encoder is "
                f"{embedder.encoder}: rebuild it with `clinicbot index` (or set CLINICBOT_ENCODER={built_by})"
            )
        if stored.lexical is None:
            raise IndexUnavailable(f"the index at {stored.path} has no lexical index: rebuild it with "
                                   "`clinicbot index`")
        self.stored = stored
        self.embedder = embedder
        self.lexical = stored.lexical
        self.passage_matrix = all_vectors(stored.passage_vectors)
        self.sentence_matrix = all_vectors(stored.sentence_vectors)
        self.first_sentence = np.zeros(len(stored.passages) + 1, dtype=np.int64)
        np.cumsum([len(p.sentences) for p in stored.passages], out=self.first_sentence[1:])
        self.vocabulary = Vocabulary((p.embed_text for p in stored.passages), stored.words, stored.word_vectors)
        self.sentence_stems, self.context_stems = passage_stems(stored.passages)
        self.postings = Postings(stored.passages, self.sentence_stems, self.context_stems)
        # Whether each sentence (under its heading) says "not": the polarity a negated question asks about.
        self.sentence_negated = np.array([negated(f"{p.section} {s}") for p in stored.passages for s in p.sentences],
                                         dtype=np.float32)
        self.article_stems: dict[str, set[str]] = {}
        for row, p in enumerate(stored.passages):
            start, end = int(self.first_sentence[row]), int(self.first_sentence[row + 1])
            self.article_stems.setdefault(p.article_id, set()).update(self.context_stems[row],
                                                                         *self.sentence_stems[start:end])

    @classmethod
    def load(cls, index_dir: Path, embedder: Embedder) -> Retriever:
        """Read an index folder and check it was built with the embedder's model."""
        return cls(read_index(index_dir), embedder)

    @property
    def manifest(self) -> dict[str, object]:
        """The loaded index's manifest."""
        return self.stored.manifest

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of the texts, one batch for those not seen before (repeats come from the cache)."""
        return self.embedder.queries(texts)

    def lexical_terms(self, question: Question) -> dict[str, float]:
        """The stems BM25 looks for: the question's terms, and their synonyms at a lower weight."""
        terms = dict(question.terms)
        for term, close in question.synonyms.items():
            for corpus_stem, similarity in close.items():
                weight = question.terms.get(term, 0.0) * similarity * SYNONYM_TERM_WEIGHT
                terms[corpus_stem] = max(terms.get(corpus_stem, 0.0), weight)
        return terms

    def candidates(self, question: Question, vector: np.ndarray, tuning: Tuning) -> Candidates:
        """Passage rows from the dense and the BM25 searches, and every passage's BM25 share."""
        n_passages = len(self.stored.passages)
        if n_passages == 0:
            return Candidates([], {})
        row_vector = vector.reshape(1, -1).astype(np.float32)
        rows: dict[int, None] = {}
        # A small clinic's every passage is a candidate: the searches could only find what is already there.
        everything = n_passages <= tuning.dense_candidates
        if everything:
            rows.update(dict.fromkeys(range(n_passages)))
        else:
            _, passage_ids = self.stored.passage_vectors.search(row_vector, tuning.dense_candidates)
            rows.update(dict.fromkeys(int(i) for i in passage_ids[0] if i >= 0))
        n_sentences = self.stored.sentence_vectors.ntotal
        if n_sentences and not everything:
            k = min(tuning.dense_candidates * 2, n_sentences)
            _, sentence_ids = self.stored.sentence_vectors.search(row_vector, k)
            rows.update(dict.fromkeys(int(self.stored.sentence_owner[i]) for i in sentence_ids[0] if i >= 0))
        terms = self.lexical_terms(question)
        lexical: dict[int, float] = {}
        if terms and tuning.lexical_candidates:
            best = self.lexical.best_possible("passages", terms) or 1.0
            passage_bm25 = self.lexical.scores("passages", terms, n_passages) / best
            if not everything:
                top = np.argsort(-passage_bm25)[: tuning.lexical_candidates]
                rows.update(dict.fromkeys(int(i) for i in top if passage_bm25[i] > 0))
                sentence_bm25 = self.lexical.scores("sentences", terms, n_sentences)
                top_sentences = np.argsort(-sentence_bm25)[: tuning.lexical_candidates]
                rows.update(dict.fromkeys(int(self.stored.sentence_owner[i]) for i in top_sentences
                                          if sentence_bm25[i] > 0))
            lexical = {row: float(passage_bm25[row]) for row in rows}
        return Candidates(list(rows), lexical)
