"""Safety, the first stage: emergencies before anything else, and the medical-advice boundary.

An emergency is found three ways:
1. the rules of `alarm_rules` (deterministic, instant; they know past events and general questions), on the
   text the patient typed and on its typo-repaired form ("chest pian" is read as "chest pain");
2. the nearest examples of `banks/emergency.yaml` with the loaded model, for wordings no rule foresaw;
3. the clinic's own urgent guidance in its articles (`guidance`), for red flags of its own field
   (2 and 3 compare the repaired message's vector, embedded once with the question).
A question asking for a dose, a change of medication, a diagnosis or a cure is found by rules and by the
nearest examples of `banks/advice.yaml`.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from service.answering import alarm_rules, advice_rules
from service.answering.examples import Embed, ExampleBank, Nearest
from service.answering.guidance import URGENT, Condition, Guidance, conditions
from service.answering.retrieve import Retriever
from service.answering.tuning import Tuning

# A question about emergencies in general ("what are the signs of a stroke?") reports nothing happening now.
GENERAL = re.compile(
    r"\b(?:what|which)\s+(?:are\s+)?(?:the\s+)?(?:\w+\s+)?(?:signs?|symptoms?|warning signs?|red flags?)\b"
    r"|\bsigns of\b|\bwhen should (?:i|you|we|someone|a person)\b|\bwhat happens if\b"
    r"|\bhow (?:do|can|would) (?:i|you) (?:know|tell)\b|\b(?:is it|is that) (?:normal|common|possible)\b"
    r"|\bwhat should (?:i|you|we) do if\b|\bcan (?:it|that|this) cause\b",
    re.IGNORECASE)
HARD_ADVICE = ("dose", "cure")  # refused outright; a diagnosis or medication question only gets an exact quote


@dataclass(frozen=True)
class Verdict:
    """What the safety stage found: an emergency kind, a medical-advice kind, or neither."""

    emergency: str | None = None
    advice: str | None = None
    how: str = ""  # which check found it, for the staff page and the log
    guidance: Condition | None = None  # the clinic's red flag the message matched


class Safety:
    """The checks of the first stage, loaded for one index and model."""

    def __init__(self, alarms: ExampleBank, advice: ExampleBank, guidance: Guidance, tuning: Tuning) -> None:
        self.alarms = alarms
        self.advice = advice
        self.guidance = guidance
        self.tuning = tuning

    @classmethod
    def load(cls, retriever: Retriever, tuning: Tuning, cache_dir: Path | None) -> Safety:
        """The banks (vectors cached per model) and the red flags of this index's articles."""
        embed: Embed = retriever.embedder.encode
        alarms, advice = load_banks(retriever.embedder.name, embed, cache_dir)
        passages = retriever.stored.passages
        flags = conditions(passages)
        urgent: set[int] = set()
        for row, passage in enumerate(passages):
            start = int(retriever.first_sentence[row])
            lead_end = passage.item_starts[0] if passage.item_starts else len(passage.sentences)
            for i, sentence in enumerate(passage.sentences):
                if URGENT.search(sentence):
                    urgent.add(start + i)
                    if i == lead_end - 1 and passage.item_starts:
                        urgent.update(range(start + lead_end, start + len(passage.sentences)))
        vectors = embed([c.text for c in flags]) if flags else np.zeros((0, retriever.embedder.dimension), np.float32)
        return cls(alarms, advice, Guidance(flags, vectors, retriever.sentence_matrix, urgent), tuning)

    def words(self) -> set[str]:
        """Words of the banks: typos near them are repaired towards them ("chest pian" -> pain)."""
        return self.alarms.words() | self.advice.words()

    def check(self, texts: Sequence[str], vectors: np.ndarray) -> Verdict:
        """The emergency or medical-advice verdict for a message: the rules read it as typed and as repaired,
        the banks and the clinic's red flags compare its vectors (the repaired form's)."""
        t = self.tuning
        for text in texts:
            found = alarm_rules.detect_emergency(text)
            if found is not None:
                return Verdict(emergency=found.kind, how=f"rule: {found.matched!r}")
        general = any(GENERAL.search(text) for text in texts)
        if not general:
            near = self.alarms.nearest(vectors, t.neighbours)
            if near.similarity >= t.alarm_similarity and near.margin >= t.alarm_margin:
                return Verdict(emergency=near.label, how=_nearness(near))
            flag, similarity, ordinary = self.guidance.match(vectors)
            if flag is not None and similarity >= t.guidance_similarity and similarity > ordinary:
                return Verdict(emergency="guidance", guidance=flag,
                               how=f"the clinic's guidance {flag.text!r} ({similarity:.2f}, ordinary {ordinary:.2f})")
        for text in texts:
            kind = advice_rules.detect_advice(text)
            if kind is not None:
                return Verdict(advice=kind, how="rule")
        near = self.advice.nearest(vectors, t.neighbours)
        if near.similarity >= t.advice_similarity and near.margin >= t.advice_margin:
            return Verdict(advice=near.label, how=_nearness(near))
        return Verdict()


def load_banks(model: str, embed: Embed, cache_dir: Path | None) -> tuple[ExampleBank, ExampleBank]:
    """The emergency and advice banks; `clinicbot index` calls this so the server starts with them cached."""
    return (ExampleBank.load("emergency", "emergency", model, embed, cache_dir),
            ExampleBank.load("advice", "advice", model, embed, cache_dir))


def bank_cache(index_dir: Path) -> Path:
    """Where the banks' vectors are cached: beside the index folder, shared by every build of it."""
    return Path(index_dir).absolute().parent / ".cache"


def _nearness(near: Nearest) -> str:
    """How a bank found a message, for staff."""
    return (f"the nearest examples, e.g. {near.example!r} (mean similarity {near.similarity:.2f}, "
            f"ordinary {near.ordinary_similarity:.2f})")
