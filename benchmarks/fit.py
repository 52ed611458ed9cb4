"""Fitting the answer decision: a logistic model over the decision's signals, from calibration runs.

Each question of the development clinics is a row: its signals (service/answering/decide.py) and whether
quoting the best passage would have answered it right (1) or not (0: the wrong fact, or a question the articles
do not answer — the set's own abstain questions and every question asked again with its article held out).
Held-out rows weigh less (HELD_OUT_WEIGHT): another article may still answer them, so their label is noisy.
The model is cross-validated one clinic at a time, so the table shows what a clinic the model never saw gets.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from service.answering.decide import WEIGHTED

HELD_OUT_WEIGHT = 0.4
THRESHOLDS = (0.25, 0.3, 0.33, 0.35, 0.4, 0.5)


def rows(signals: Sequence[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """(features, labels, sample weights, the rows used): questions the decision saw (no emergencies)."""
    used = [r for r in signals if r["signals"] and r["kind"] != "emergency" and "confidence" in r["signals"]]
    x = np.array([[r["signals"][name] for name in WEIGHTED] for r in used], dtype=float)
    y = np.array([1 if r["should_answer"] and r["right"] else 0 for r in used])
    w = np.array([HELD_OUT_WEIGHT if r["held_out"] else 1.0 for r in used])
    return x, y, w, used


def fit(signals: Sequence[dict[str, Any]]) -> str:
    """The fitted tuning values and a cross-validated table of what each confidence bar gives."""
    from sklearn.linear_model import LogisticRegression  # a dependency of sentence-transformers

    x, y, w, used = rows(signals)
    sets = np.array([r["set"] for r in used])
    should = np.array([r["should_answer"] for r in used])
    abstain = np.array([r["kind"] == "abstain" and not r["held_out"] for r in used])
    held = np.array([r["held_out"] for r in used])
    chance = np.zeros(len(y))
    for name in sorted(set(sets)):
        model = LogisticRegression(C=1.0, max_iter=5000).fit(x[sets != name], y[sets != name], w[sets != name])
        chance[sets == name] = model.predict_proba(x[sets == name])[:, 1]
    lines = ["| answer_confidence | right fact | answered wrong | refusals | held-out refusals |",
             "|---|---|---|---|---|"]
    for bar in THRESHOLDS:
        answer = chance >= bar
        right = (answer & (y == 1)).sum() / max(should.sum(), 1)
        refused = (~answer & abstain).sum() / max(abstain.sum(), 1)
        lines.append(f"| {bar:.2f} | {right:.2f} | {(answer & should & (y == 0)).sum()} | {refused:.2f} "
                     f"| {(~answer & held).sum() / max(held.sum(), 1):.2f} |")
    model = LogisticRegression(C=1.0, max_iter=5000).fit(x, y, w)
    fields = [f"decision_bias = {model.intercept_[0]:.2f}"]
    fields += [f"weight_{name} = {coef:.2f}" for name, coef in zip(WEIGHTED, model.coef_[0], strict=True)]
    return ("Fitted on " + ", ".join(f"{n} ({int((sets == n).sum())} rows)" for n in sorted(set(sets)))
            + ":\n" + "\n".join(fields) + "\n\nCross-validated, one clinic left out at a time:\n" + "\n".join(lines))
