"""Calibration: the answering pipeline in-process over the development clinics, with held-out articles.

The tuning defaults (service/answering/tuning.py) are chosen here, on our own clinics — acupuncture
(`corpus/` + `tests/articles/`, `tests/questions.yaml`), physiotherapy and optometry (`tests/clinics/`) — and
never on the visible dental set, which `--set-name dental` only reports. Besides each set's own questions,
every article is held out once: the index is built without it and the questions it alone answers are asked
again. They are now near-misses, questions about the clinic's field that no article answers, and the bot
should refuse them; "held-out refusals" is that share. This is how the decision learns what a near-miss
looks like on any corpus, without a single question written for it.

`--set name=value` overrides a tuning field, `--sweep name=v1,v2,...` compares values; `--signals FILE`
writes every decision's signals with whether answering was right (JSON lines); `--held-out --fit` fits the
decision's logistic weights on them (benchmarks/fit.py) and prints the tuning values and a cross-validated table.

Run from the repository root: `.venv/bin/python benchmarks/calibrate.py [--held-out] [--verbose]`.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.answers import tuning_variants  # noqa: E402
from benchmarks.fit import fit  # noqa: E402
from benchmarks.clinics import CLINIC, SET_NAMES, ClinicSet, Item, load_sets, normalise  # noqa: E402
from benchmarks.scoring import HEADER, Reply, Row, report_failures  # noqa: E402
from index.builder import build_index  # noqa: E402
from index.embedder import DEFAULT_MODEL, Embedder, load_embedder  # noqa: E402
from service.answering.answerer import Answer, Answerer  # noqa: E402
from service.answering.quote import quote  # noqa: E402
from service.answering.retrieve import Retriever  # noqa: E402
from service.answering.tuning import Tuning  # noqa: E402
from service.schemas import Turn  # noqa: E402
from service.settings import Settings  # noqa: E402

WORK = REPO_ROOT / "var" / "calibrate"
DEV_SETS = ["acupuncture", "physio", "optometry"]


def corpus_folder(clinic: ClinicSet, without: str | None = None) -> Path:
    """A folder with the set's articles (all, or all but one), refreshed from the sources."""
    target = WORK / clinic.name / (f"corpus-without-{without}" if without else "corpus")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for folder in clinic.folders:
        for path in folder.iterdir():
            if path.is_file() and path.stem != without:
                shutil.copy(path, target / path.name)
    return target


def answerer_for(clinic: ClinicSet, embedder: Embedder, tuning: Tuning, without: str | None = None) -> Answerer:
    """A real index over the set's articles (vectors reused between runs) and an answerer over it."""
    corpus = corpus_folder(clinic, without)
    index_dir = WORK / clinic.name / (f"index-without-{without}" if without else "index")
    build_index(corpus, index_dir, embedder)
    settings = Settings.model_validate({"index_dir": index_dir, "corpus_dir": corpus, "database": WORK / "unused.db",
                                        "tuning": tuning, **CLINIC})
    return Answerer(Retriever.load(index_dir, embedder), settings)


def ask(answerer: Answerer, item: Item) -> tuple[Reply, Answer]:
    """One item through the pipeline, its history given as questions only (as the sets give it)."""
    history = [Turn(question=q, answer="") for q in item.history]
    started = time.perf_counter()
    result = answerer.answer(item.question, history)
    ms = (time.perf_counter() - started) * 1000
    r = result.response
    return Reply(item, r.status, r.answer, r.sources[0].article_id if r.sources else "", r.reason or "", ms), result


def would_be_right(item: Item, result: Answer, tuning: Tuning) -> bool:
    """Whether quoting the best passage would have answered the item, whatever the decision was."""
    if result.nearest is None or item.kind not in ("answer", "followup"):
        return False
    said = normalise(" ".join(quote(result.nearest, tuning, (), item.question)))
    return any(a == result.nearest.article_id and normalise(f) in said for f, a in item.pairs)


def signal_row(clinic: str, reply: Reply, result: Answer, held_out: bool, tuning: Tuning) -> dict[str, Any]:
    """The decision's signals for one question, and whether answering it would have been right."""
    should_answer = reply.item.kind in ("answer", "followup") and not held_out
    return {"set": clinic, "id": reply.item.id, "kind": reply.item.kind, "held_out": held_out,
            "status": reply.status, "rule": result.decision.rule if result.decision else "",
            "signals": result.decision.signals if result.decision else {}, "should_answer": should_answer,
            "right": should_answer and would_be_right(reply.item, result, tuning)}


def held_out_items(clinic: ClinicSet, article: str) -> list[Item]:
    """The set's questions that only this article answers, as questions to refuse."""
    return [Item(f"{i.id}-without-{article}", "abstain", i.question, (), i.history)
            for i in clinic.items if i.kind in ("answer", "followup") and i.source_any == {article}]


def run(clinic: ClinicSet, embedder: Embedder, tuning: Tuning, held_out: bool, label: str,
        signals: list[dict[str, Any]]) -> tuple[Row, Row | None]:
    """The set's own questions, and (when asked) every article held out once."""
    row = Row(clinic.name, label)
    answerer = answerer_for(clinic, embedder, tuning)
    for item in clinic.items:
        reply, result = ask(answerer, item)
        row.replies.append(reply)
        signals.append(signal_row(clinic.name, reply, result, False, tuning))
    if not held_out:
        return row, None
    out = Row(f"{clinic.name} held out", label)
    articles = sorted({a for i in clinic.items for a in i.source_any})
    for article in articles:
        items = held_out_items(clinic, article)
        if not items:
            continue
        without = answerer_for(clinic, embedder, tuning, without=article)
        for item in items:
            reply, result = ask(without, item)
            out.replies.append(reply)
            signals.append(signal_row(clinic.name, reply, result, True, tuning))
    return row, out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set-name", action="append", choices=SET_NAMES,
                    help=f"only this set (repeatable; default: the development sets {', '.join(DEV_SETS)})")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--sweep", metavar="NAME=V1,V2,...")
    ap.add_argument("--held-out", action="store_true", help="also hold out each article once")
    ap.add_argument("--verbose", action="store_true", help="print every failed question")
    ap.add_argument("--signals", type=Path, help="write each decision's signals here (JSON lines)")
    ap.add_argument("--fit", action="store_true",
                    help="fit the decision's weights on these runs (use with --held-out) and print them")
    args = ap.parse_args(argv)
    variants = tuning_variants(args.overrides, args.sweep)
    embedder = load_embedder(DEFAULT_MODEL)
    clinics = load_sets(args.set_name or DEV_SETS)
    signals: list[dict[str, Any]] = []
    print(HEADER + " held-out refusals |")
    for overrides in variants:
        tuning = Tuning.model_validate(overrides)
        label = ", ".join(f"{k}={v}" for k, v in overrides.items())
        for clinic in clinics:
            row, held = run(clinic, embedder, tuning, args.held_out, label, signals)
            refusals = f" {held.figures()['refusals']:.2f} ({len(held.replies)}) |" if held else " — |"
            print(row.markdown() + refusals, flush=True)
            if args.verbose:
                print(f"  right fact by where the fact is: {row.by_format()}")
                report_failures(row)
                if held:
                    report_failures(held)
    if args.signals:
        args.signals.write_text("".join(json.dumps(s) + "\n" for s in signals), encoding="utf-8")
    if args.fit:
        print("\n" + fit(signals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
