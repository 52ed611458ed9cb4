"""Tuning: every knob of the answering pipeline in one frozen object, each with the reason it exists.

The defaults are calibrated with `benchmarks/calibrate.py` on the development clinics with held-out articles
(docs/quality.md) and hold for any clinic's articles: they weigh meanings (similarities, shares of the
question's words), never particular words. Override one from the environment, e.g.
`CLINICBOT_TUNING='{"answer_threshold": 0.45}'` or `CLINICBOT_TUNING__ANSWER_THRESHOLD=0.45`;
`benchmarks/answers.py --sweep answer_threshold=0.4,0.45` compares values.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Tuning(BaseModel):
    """The answering pipeline's weights, thresholds, candidate counts and margins."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- retrieve
    dense_candidates: int = Field(
        50, ge=1, le=1000, description="Passages taken from the dense passage search (twice as many sentences).")
    lexical_candidates: int = Field(
        50, ge=0, le=1000, description="Passages taken from the BM25 search, so rare words are found.")
    # --- score
    passage_weight: float = Field(
        0.5, ge=0, le=1, description="Share of the passage's own similarity in a hit's score; the rest is its best "
                                     "sentence's.")
    lexical_weight: float = Field(
        0.5, ge=0, le=2, description="Weight of the passage's BM25 score (as a share of the best possible) in a "
                                      "hit's score.")
    coverage_weight: float = Field(
        0.3, ge=0, le=2, description="Bonus for a sentence naming the question's focus words (idf-weighted share "
                                     "found).")
    shape_weight: float = Field(
        0.2, ge=0, le=1, description="Bonus for a sentence holding the kind of fact asked for (a price, a duration, "
                                     "a count).")
    polarity_weight: float = Field(
        0.1, ge=0, le=1, description="Bonus for a sentence that says \"not\" when the question does (\"what if I "
                                     "can't...\" meets \"If you can't...\").")
    synonym_similarity: float = Field(
        0.70, ge=0, le=1, description="Word-vector cosine at which a corpus word stands for a question's word "
                                      "(hurt ~ pain).")
    rare_synonym_similarity: float = Field(
        0.85, ge=0, le=1.01, description="Word-vector cosine at which a much commoner corpus word stands for a "
                                         "word the articles use only once or twice (above 1: never).")
    lay_similarity: float = Field(
        0.70, ge=0, le=1, description="Similarity given to a clinical word the lay-term vocabulary links to the "
                                      "patient's phrase (\"tooth pulled\" -> extraction; 0: off).")
    followup_boost: float = Field(
        0.3, ge=0, le=1, description="Bonus for the conversation's article when a follow-up does not name a topic "
                                      "of its own.")
    followup_alone_share: float = Field(
        0.5, ge=0, le=1, description="Share of a follow-up's own words, read without the conversation, in its "
                                     "similarities (the rest: read with it).")
    # --- decide: a logistic model over signals that mean the same on any corpus (fitted by benchmarks/calibrate.py)
    answer_threshold: float = Field(
        0.40, ge=0, le=2, description="Lowest hit score that can count as the articles answering, whatever else.")
    answer_confidence: float = Field(
        0.33, ge=0, le=1, description="Least modelled chance that the quote answers; below it the bot refuses "
                                      "(a wrong quote costs more than a refusal).")
    decision_bias: float = Field(
        -3.21, ge=-20, le=20, description="The model's intercept: how unlikely an answer is with every signal at 0.")
    weight_score: float = Field(
        1.88, ge=-20, le=20, description="Weight of the hit score (dense, coverage and BM25 together).")
    weight_sentence_similarity: float = Field(
        1.56, ge=-20, le=20, description="Weight of the best sentence's dense similarity to the question.")
    weight_coverage: float = Field(
        1.46, ge=-20, le=20, description="Weight of the share of focus words the sentence and its heading name.")
    weight_novelty: float = Field(
        -0.79, ge=-20, le=20, description="Weight of the share of focus words no article uses (a topic not written "
                                          "about).")
    weight_margin: float = Field(
        2.25, ge=-20, le=20, description="Weight of the lead over the best passage of another article.")
    weight_shape_missing: float = Field(
        -1.02, ge=-20, le=20, description="Weight when a price, duration or count is asked and the sentence has "
                                          "none.")
    off_topic_similarity: float = Field(
        0.35, ge=0, le=1, description="Below this similarity to every passage (or naming nothing the articles "
                                      "know) a refusal is 'off_topic', not 'not_covered'.")
    # --- quote and sources
    quote_shape_bonus: float = Field(
        0.2, ge=0, le=1, description="Extra weight, when choosing the passage's sentence to quote, for one holding "
                                     "the fact asked for.")
    close_sentence: float = Field(
        0.10, ge=0, le=1, description="A sentence of the same paragraph this close to the best is quoted too.")
    max_sentences: int = Field(3, ge=1, le=5, description="Most sentences quoted in one answer.")
    source_margin: float = Field(
        0.08, ge=0, le=1, description="Another article is listed as a source when it scores this close to the best.")
    # --- safety
    neighbours: int = Field(
        3, ge=1, le=20, description="Examples of a bank averaged on each side when a message is compared with it.")
    alarm_similarity: float = Field(
        0.50, ge=0, le=1, description="Mean cosine to the nearest emergency examples at which a message counts as "
                                      "one.")
    alarm_margin: float = Field(
        0.06, ge=0, le=1, description="How much nearer the emergency examples must be than the nearest ordinary "
                                      "ones.")
    guidance_similarity: float = Field(
        0.55, ge=0, le=1, description="Cosine to the clinic's own 'go to the emergency department if...' condition "
                                      "that routes a message.")
    advice_similarity: float = Field(
        0.65, ge=0, le=1, description="Cosine to the nearest dose, diagnosis or cure example at which a question is "
                                      "medical advice.")
    advice_margin: float = Field(
        0.06, ge=0, le=1, description="How much nearer the medical-advice example must be than the nearest ordinary "
                                      "one.")


def tuning_rows() -> list[tuple[str, object, str]]:
    """(name, default, reason) of every knob, for the README and the staff page."""
    return [(name, field.default, field.description or "") for name, field in Tuning.model_fields.items()]
