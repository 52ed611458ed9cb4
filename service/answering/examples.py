"""Example banks: labelled example messages, embedded with the loaded model, for nearest-neighbour checks.

`banks/emergency.yaml` holds a few hundred emergencies by kind and as many alarming-but-ordinary look-alikes;
`banks/advice.yaml` holds dose, medication, diagnosis and cure questions and ordinary look-alikes. A message
is labelled like its nearest example when that example is close enough and nearer than the nearest ordinary
one. The vectors are cached on disk per model and bank content, so only the first start embeds them.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

BANKS = Path(__file__).resolve().parent / "banks"
ORDINARY = "ordinary"
log = logging.getLogger(__name__)

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Nearest:
    """How near a message is to the labelled examples and to the ordinary ones (mean of the k nearest each)."""

    label: str  # the kind of the nearest labelled example
    similarity: float  # mean similarity of the k nearest labelled examples
    example: str  # the nearest labelled example
    ordinary_similarity: float  # mean similarity of the k nearest ordinary examples
    ordinary_example: str

    @property
    def margin(self) -> float:
        """How much nearer the labelled example is than the nearest ordinary one."""
        return self.similarity - self.ordinary_similarity


def read_bank(path: Path, section: str) -> list[tuple[str, str]]:
    """(label, text) pairs of a bank file: each kind under `section`, then the ordinary look-alikes."""
    # libyaml's parser where PyYAML has it (a tenth of the pure-Python parser's start-up time), the same data.
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    pairs = [(kind, str(text)) for kind, texts in data[section].items() for text in texts]
    pairs += [(ORDINARY, str(text)) for text in data[ORDINARY]]
    return pairs


class ExampleBank:
    """Examples with their vectors; `nearest` labels a message vector."""

    def __init__(self, pairs: Sequence[tuple[str, str]], vectors: np.ndarray) -> None:
        self.labels = [label for label, _ in pairs]
        self.texts = [text for _, text in pairs]
        is_ordinary = np.array([label == ORDINARY for label in self.labels], dtype=bool)
        self._labelled, self._ordinary = np.flatnonzero(~is_ordinary), np.flatnonzero(is_ordinary)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    @classmethod
    def load(cls, name: str, section: str, model: str, embed: Embed, cache_dir: Path | None) -> ExampleBank:
        """Read `banks/<name>.yaml`; vectors from the cache when this model embedded this content before."""
        path = BANKS / f"{name}.yaml"
        pairs = read_bank(path, section)
        digest = hashlib.sha256((model + "\n" + path.read_text(encoding="utf-8")).encode()).hexdigest()[:16]
        cached = cache_dir / f"{name}-{digest}.npy" if cache_dir else None
        if cached is not None and cached.is_file():
            vectors = np.load(cached)
            if vectors.shape[0] == len(pairs):
                return cls(pairs, vectors)
        vectors = embed([text for _, text in pairs])
        if cached is not None:
            _save(cached, vectors)
        return cls(pairs, vectors)

    def words(self) -> set[str]:
        """Every word of the examples (lower case): a typo near one is probably that word."""
        return {w for text in self.texts for w in text.lower().split() if w.isalpha()}

    def nearest(self, vectors: np.ndarray, k: int = 3) -> Nearest:
        """How near the message (as typed, as repaired: one vector per row) is to each side of the bank.

        Each side counts the mean of its k nearest examples, so one odd example cannot label a message alone.
        """
        best = (np.atleast_2d(vectors) @ self.vectors.T).max(axis=0)
        labelled, ordinary = best[self._labelled], best[self._ordinary]
        i = int(self._labelled[np.argmax(labelled)])
        j = int(self._ordinary[np.argmax(ordinary)]) if len(ordinary) else -1
        return Nearest(self.labels[i], _top_mean(labelled, k), self.texts[i], _top_mean(ordinary, k),
                       self.texts[j] if j >= 0 else "")


def _top_mean(values: np.ndarray, k: int) -> float:
    """The mean of the k largest values (0 for none)."""
    if not len(values):
        return 0.0
    k = min(k, len(values))
    return float(np.partition(values, len(values) - k)[-k:].mean())


def _save(path: Path, vectors: np.ndarray) -> None:
    """Write the cache atomically; a read-only place just means embedding again next start."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npy", delete=False) as fh:
            np.save(fh, vectors)
        os.replace(fh.name, path)
    except OSError as exc:
        log.warning("could not cache example vectors in %s: %s", path.parent, exc)
