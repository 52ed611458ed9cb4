"""Decide: whether the best passage answers the question, or the bot should say the articles don't.

The decision reads signals that mean the same on any clinic's articles: the hit score, the similarity of the
best sentence, the share of the question's focus words the sentence (with its heading) names, the share that
no article uses at all, whether the sentence holds the kind of fact asked for, and the lead over the next
article. A logistic model turns them into the chance that the quote answers; its weights are fitted by
`benchmarks/calibrate.py --fit` on the development clinics with held-out articles. Every signal, its weight
and the rule that decided are kept, so staff see why the bot answered or refused.
"""
from __future__ import annotations

import math
import re

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from index.words import content_stems
from service.answering.quote import selection_scores
from service.answering.score import Hit
from service.answering.spelling import english_counts
from service.answering.tuning import Tuning
from service.answering.understand import AMOUNT, ANSWER_SHAPES, Question, has_shape
from service.answering.vocabulary import Vocabulary
from service.schemas import AskResponse, Explanation, Reason, Signal

if TYPE_CHECKING:
    from service.answering.safety import Verdict



@dataclass(frozen=True)
class Decision:
    """Answer or refuse, why, and the values it was decided on."""

    answer: bool
    reason: Reason | None  # for a refusal
    rule: str  # the rule that decided, in words
    signals: dict[str, float] = field(default_factory=dict)


def novelty(question: Question, vocabulary: Vocabulary) -> float:
    """The weighted share of the question's focus terms that no article uses, nor a close synonym of them."""
    total = sum(question.weight(t, vocabulary) for t in question.terms)
    if total <= 0:
        return 0.0
    new = [t for t in question.terms if not vocabulary.knows(t) and not question.synonyms.get(t)]
    return sum(question.weight(t, vocabulary) for t in new) / total


def chosen_sentence(hit: Hit, tuning: Tuning) -> int:
    """The sentence the quote would lead with (the fact asked for counts extra, as in quote.py)."""
    scores = selection_scores(hit, tuning)
    return max(range(len(scores)), key=lambda i: scores[i]) if scores else 0


def signals(question: Question, hits: list[Hit], vocabulary: Vocabulary, tuning: Tuning) -> dict[str, float]:
    """The deciding values for the best hit (an empty dict when nothing was found)."""
    if not hits:
        return {}
    best = hits[0]
    i = chosen_sentence(best, tuning)
    other = next((h.score for h in hits[1:] if h.article_id != best.article_id), 0.0)
    values = {
        "score": best.score,
        "sentence_similarity": best.sentence_dense[i] if best.sentence_dense else best.passage_score,
        "passage_similarity": best.passage_score,
        "coverage": best.context_coverage[i] if best.context_coverage else 0.0,
        "sentence_coverage": best.sentence_coverage[i] if best.sentence_coverage else 0.0,
        "novelty": novelty(question, vocabulary),
        "lexical": best.lexical,
        "margin": best.score - other,
        "best_similarity": max(max(h.passage_score, *h.sentence_dense) for h in hits),
    }
    asked = [shape for shape in question.shapes if shape != "cause"]  # a reason can be given without "because"
    if asked:
        values["shape"] = float(has_shape(best.passage.sentences[i], asked))
    if "price" in question.shapes:
        values["price_unnamed"] = price_unnamed(question, best, i, vocabulary)
    return values


# Asking the price of a named thing ("how much is a bridge", "the cost of X"), not whether care is affordable.
_PRICE_OF = re.compile(r"\bhow much\b(?! (?:time|longer|notice|of)\b)|\b(?:cost|costs|price|prices|pricing|fee|fees|"
                       r"charge|charges)\b")


_AMOUNT = re.compile(AMOUNT)  # a sum of money: what a quote put first instead of the best hit must state


def priced_thing(question: Question, vocabulary: Vocabulary) -> str:
    """The thing a price question asks the price of: its weightiest own focus term that is not a word asking
    for a price ("cost", "fee"); '' when no price of a thing is asked ("is it expensive?") or nothing is named."""
    if "price" not in question.shapes or not _PRICE_OF.search(question.text.lower()):
        return ""
    asking = {s for m in ANSWER_SHAPES["price"][0].finditer(question.text.lower()) for s in content_stems(m.group(0))}
    own = [t for t in question.terms if t not in asking and (not question.own_terms or t in question.own_terms)]
    english = english_counts()  # between words the articles never use, the rarer in English ("voucher", not "gift")
    return max(own, key=lambda t: (question.weight(t, vocabulary),
                                   -english.get(question.term_words.get(t, t), 0)), default="")


def price_unnamed(question: Question, hit: Hit, i: int, vocabulary: Vocabulary) -> float:
    """1 when a price is asked for a thing the quoted sentence, its heading and its article never name (nor a
    close synonym of it): a fee table's rows all look alike to the model, and a price is only the answer if
    it is the price of what was asked ("how much is a bridge" is not answered by the implant's row)."""
    thing = priced_thing(question, vocabulary)
    if not thing:
        return 0.0
    sentence = hit.passage.sentences[i]
    if hit.passage.row:  # a table row prices the thing its first cell names, not what its notes mention
        sentence = re.split(r" — |: ", sentence, maxsplit=1)[0]
    named = content_stems(f"{sentence} {hit.passage.section} {hit.passage.title}")
    if ({thing} | set(question.synonyms.get(thing, {}))) & named:
        return 0.0
    # A derived word the stemmer leaves apart names it too ("pack": a package, "orthodont": an orthodontist).
    return 0.0 if len(thing) >= 4 and any(w.startswith(thing) for w in named) else 1.0


def priced_first(question: Question, hits: list[Hit], vocabulary: Vocabulary, tuning: Tuning) -> list[Hit]:
    """The hits with, when the best prices something other than what was asked, the next one within
    `source_margin` whose sentence states a sum for the thing asked put first (the fee table's implant row
    names "bone graft" in its notes; the implants article says what a bone graft adds)."""
    if len(hits) < 2 or not priced_thing(question, vocabulary):
        return hits
    if not price_unnamed(question, hits[0], chosen_sentence(hits[0], tuning), vocabulary):
        return hits
    for k, hit in enumerate(hits[1:], start=1):
        if hits[0].score - hit.score > tuning.source_margin:
            break
        i = chosen_sentence(hit, tuning)
        if _AMOUNT.search(hit.passage.sentences[i]) and not price_unnamed(question, hit, i, vocabulary):
            return [hit, *hits[:k], *hits[k + 1:]]
    return hits


WEIGHTED = ("score", "sentence_similarity", "coverage", "novelty", "margin", "shape_missing")


def confidence(values: dict[str, float], tuning: Tuning) -> float:
    """The modelled chance that quoting the best passage answers the question (logistic over the signals)."""
    z = tuning.decision_bias + sum(getattr(tuning, f"weight_{name}") * values[name] for name in WEIGHTED)
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def decide(question: Question, hits: list[Hit], vocabulary: Vocabulary, tuning: Tuning) -> Decision:
    """Answer only when the best passage is likely enough to answer what was asked."""
    values = signals(question, hits, vocabulary, tuning)
    if not values:
        return Decision(False, "not_covered", "no passage found", values)
    values["shape_missing"] = 1.0 if values.get("shape") == 0.0 else 0.0
    values["confidence"] = confidence(values, tuning)
    # Off the clinic's field: nothing in the articles is close, or the question names nothing they know of.
    off = values["best_similarity"] < tuning.off_topic_similarity or (values["coverage"] < 0.05
                                                                      and values["novelty"] >= 0.6)
    reason: Reason = "off_topic" if off else "not_covered"
    if values["score"] < tuning.answer_threshold:
        return Decision(False, reason, f"score {values['score']:.2f} < answer_threshold {tuning.answer_threshold:.2f}",
                        values)
    if values["confidence"] < tuning.answer_confidence:
        return Decision(False, reason, f"confidence {values['confidence']:.2f} < answer_confidence "
                                       f"{tuning.answer_confidence:.2f}", values)
    if values.get("price_unnamed"):
        thing = priced_thing(question, vocabulary)
        return Decision(False, "not_covered", f"a price is asked for '{question.term_words.get(thing, thing)}' and "
                                              "the sentence, its heading and its article do not name it", values)
    return Decision(True, None, f"confidence {values['confidence']:.2f} >= answer_confidence "
                                f"{tuning.answer_confidence:.2f}", values)


REASON_TEXT = {"not_covered": "the articles do not cover it", "medical_advice": "it asks for medical advice",
               "off_topic": "it is not about the clinic's field"}

# What each signal means, the tuning field it is held to, and the weight it has in the confidence.
SIGNALS: dict[str, tuple[str, str, str]] = {
    "confidence": ("Modelled chance that the quote answers", "answer_confidence", ""),
    "score": ("Hit score of the best passage", "answer_threshold", "weight_score"),
    "sentence_similarity": ("Similarity of its best sentence to the question", "", "weight_sentence_similarity"),
    "coverage": ("Share of the question's focus words it names, with its heading", "", "weight_coverage"),
    "novelty": ("Share of the focus words no article uses", "", "weight_novelty"),
    "margin": ("Lead over the best passage of another article", "", "weight_margin"),
    "shape_missing": ("A price, duration or count is asked and the sentence has none", "", "weight_shape_missing"),
    "price_unnamed": ("A price is asked and the sentence, its heading and article do not name the thing priced",
                      "", ""),
    "sentence_coverage": ("Share of the focus words the sentence itself names", "", ""),
    "passage_similarity": ("Similarity of the whole passage", "", ""),
    "lexical": ("BM25 score as a share of the best possible", "", ""),
    "best_similarity": ("Best similarity of any passage (off-topic below the limit)", "off_topic_similarity", ""),
}


def explain(response: AskResponse, verdict: Verdict | None, decision: Decision | None, tuning: Tuning) -> Explanation:
    """Why this answer: the safety verdict, the rule that decided and the signals, with limits and weights."""
    safety = ""
    if verdict is not None and (verdict.emergency or verdict.advice):
        safety = f"{'emergency' if verdict.emergency else 'medical advice'} ({verdict.emergency or verdict.advice})"
        safety += f", found by {verdict.how}" if verdict.how else ""
    values = decision.signals if decision else {}
    signals = [Signal(name=name, label=label, value=round(values[name], 4), limit_name=limit,
                      limit=float(getattr(tuning, limit)) if limit else None,
                      weight=float(getattr(tuning, weight)) if weight else None)
               for name, (label, limit, weight) in SIGNALS.items() if name in values]
    return Explanation(status=response.status, reason=response.reason,
                       reason_text=REASON_TEXT.get(response.reason or "", ""),
                       rule=decision.rule if decision else ("emergency first" if safety else ""), safety=safety,
                       signals=signals)
