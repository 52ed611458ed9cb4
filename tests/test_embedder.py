"""The embedder: the bundled model, unit vectors, and repeated questions served from the cache."""
from __future__ import annotations

import numpy as np

from index.embedder import Embedder, load_embedder
from tests.conftest import ENCODERS


def test_vectors_are_unit_length(embedder: Embedder) -> None:
    vectors = embedder.encode(["does it hurt?", "Sessions typically last 30–60 minutes."])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_repeated_question_is_not_embedded_twice(embedder: Embedder) -> None:
    first = embedder.query("How long do the needles stay in?")
    hits = embedder.cache_hits
    again = embedder.query("  how long do the NEEDLES stay in?  ")
    assert embedder.cache_hits == hits + 1
    assert again is first and not again.flags.writeable
    assert np.allclose(first, embedder.encode(["how long do the needles stay in?"])[0], atol=1e-6)


def test_cache_is_bounded() -> None:
    small = load_embedder("all-MiniLM-L6-v2", "onnx", ENCODERS, cache_size=2)
    for text in ("one", "two", "three"):
        small.query(text)
    hits = small.cache_hits
    small.query("one")  # evicted: embedded again
    assert small.cache_hits == hits
    small.query("three")
    assert small.cache_hits == hits + 1


def test_questions_take_the_direct_path_with_the_same_vectors(embedder: Embedder) -> None:
    """A few short texts skip encode()'s batching; with padding in the batch the vectors are still encode()'s."""
    texts = ["hurtz", "how long does a session last for upper back pain, direct?", "kidz"]  # not cached yet
    direct = embedder.queries(texts)
    assert np.allclose(direct, embedder.encode(texts), atol=1e-5)
    assert np.allclose(np.linalg.norm(direct, axis=1), 1.0, atol=1e-5)
