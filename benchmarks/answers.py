"""Answer-quality benchmark: every question of each visible clinic, asked through the real HTTP API.

For each set it builds an index over that set's corpus with the real `clinicbot index`, starts the real
`clinicbot serve` on 127.0.0.1 (default model all-MiniLM-L6-v2, default settings unless `--set` says otherwise)
and posts every question to `POST /api/ask`, follow-ups after their history questions (with the answers the
server gave them, as the widget sends them). Scoring follows ../shared/benchmarks/clinic-dental/README.md:
text is lower-cased with unicode dashes and quotes mapped to ASCII; an answer passes when one expected string
is in it and its first source is an expected article; an abstain question passes on `no_answer`; an
emergency on `emergency`.

The sets:
* `acupuncture`: `corpus/` plus `tests/articles/`, questions from `tests/questions.yaml`;
* `dental`: ../shared/benchmarks/clinic-dental/ (10 documents, 114 questions). "right fact" and "right article"
  count the questions whose expected fact is in the prose of a .md, .txt or .html document (not a PDF, a
  DOCX or an HTML table); the figure over all answerable questions is printed beside it.

`--set name=value` overrides one field of the tuning object (`service/answering/tuning.py`) for the served
app, `--sweep name=v1,v2,...` serves once per value (the index is built once per set). `--write` puts the
table into docs/quality.md and adds a dated history row (`--change` says what changed).

Run from the repository root: `.venv/bin/python benchmarks/answers.py [--set-name dental] [--verbose]`.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.clinics import CLINIC, SET_NAMES, ClinicSet, Item, load_sets  # noqa: E402
from benchmarks.common import code_state  # noqa: E402
from benchmarks.scoring import HEADER, Reply, Row, report_failures  # noqa: E402
from benchmarks.serving import build, start_server  # noqa: E402

DOC_PATH = REPO_ROOT / "docs" / "quality.md"
BEGIN, END = "<!-- answers:begin (written by benchmarks/answers.py --write) -->", "<!-- answers:end -->"
HISTORY = "<!-- history:next -->"


def ask_all(base_url: str, items: list[Item], with_answers: bool) -> list[Reply]:
    """Ask every item; a follow-up carries its history (with the answers the server gave, if asked to)."""
    replies: list[Reply] = []
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        for item in items:
            history: list[dict[str, str]] = []
            for earlier in item.history:
                said = client.post("/api/ask", json={"question": earlier, "history": history}).json() \
                    if with_answers else {}
                history.append({"question": earlier, "answer": said.get("answer", "")})
            started = time.perf_counter()
            response = client.post("/api/ask", json={"question": item.question, "history": history})
            ms = (time.perf_counter() - started) * 1000
            body = response.json()
            if response.status_code != 200:
                raise SystemExit(f"{item.id}: HTTP {response.status_code} {body}")
            sources = body.get("sources") or []
            replies.append(Reply(item, body["status"], body.get("answer", ""),
                                 sources[0]["article_id"] if sources else "", body.get("reason") or "", ms))
    return replies


def serve_and_ask(clinic: ClinicSet, index_dir: Path, work: Path, overrides: dict[str, str],
                  with_answers: bool) -> list[Reply]:
    """One server over the set's index with these tuning overrides, every item asked."""
    env = {f"CLINICBOT_{k.upper()}": v for k, v in CLINIC.items()}
    env["CLINICBOT_DATABASE"] = str(work / f"log-{time.monotonic_ns()}.db")
    if overrides:
        env["CLINICBOT_TUNING"] = json.dumps(overrides)
    server = start_server(index_dir, work / "serve.log", env)
    try:
        return ask_all(server.base_url, clinic.items, with_answers)
    finally:
        server.stop()


def parse_pairs(values: Sequence[str]) -> dict[str, str]:
    """`name=value` flags as a dict."""
    pairs = {}
    for value in values:
        name, sep, raw = value.partition("=")
        if not sep:
            raise SystemExit(f"expected name=value, got {value!r}")
        pairs[name.strip()] = raw.strip()
    return pairs


def tuning_variants(overrides: Sequence[str], sweep: str | None) -> list[dict[str, str]]:
    """The tuning overrides of each run: `--set` pairs, once per value of the `--sweep` field if there is one."""
    base = parse_pairs(overrides)
    if not sweep:
        return [base]
    name, values = next(iter(parse_pairs([sweep]).items()))
    return [{**base, name: v} for v in values.split(",")]


def write_doc(rows: list[Row], change: str) -> None:
    """The table between the markers of docs/quality.md, and a dated history row per set."""
    text = DOC_PATH.read_text(encoding="utf-8")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    body = (f"Measured {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} ({code_state()}), default model, "
            "default settings unless the set says otherwise.\n\n" + HEADER + "\n"
            + "\n".join(r.markdown() for r in rows))
    body += "\n\nRight fact by where the fact is (answerable questions): " + "; ".join(
        f"{r.name} — {r.by_format()}" for r in rows) + "."
    start, stop = text.index(BEGIN), text.index(END) + len(END)
    text = text[:start] + f"{BEGIN}\n{body}\n{END}" + text[stop:]
    history = "\n".join(f"| {stamp} | {change} " + r.markdown() for r in rows)
    text = text.replace(HISTORY, history + "\n" + HISTORY)
    DOC_PATH.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set-name", action="append", choices=SET_NAMES,
                    help="only this set (repeatable; default: acupuncture and dental, the sets the issue names)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                    help="override a tuning field for the served app")
    ap.add_argument("--sweep", metavar="NAME=V1,V2,...", help="serve once per value of one tuning field")
    ap.add_argument("--verbose", action="store_true", help="print every failed question")
    ap.add_argument("--history-answers", action="store_true",
                    help="send follow-ups the answers given to their history (as the widget does); default: the "
                         "history as the set gives it, questions only")
    ap.add_argument("--write", action="store_true", help=f"update {DOC_PATH.relative_to(REPO_ROOT)}")
    ap.add_argument("--change", default="", help="what changed, for the history row of --write")
    args = ap.parse_args(argv)
    variants = tuning_variants(args.overrides, args.sweep)
    if args.write and (args.sweep or not args.change):
        raise SystemExit("--write needs --change and no --sweep")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="clinicbot-answers-") as tmp:
        for clinic in load_sets(args.set_name or ["acupuncture", "dental"]):
            work = Path(tmp) / clinic.name
            work.mkdir()
            built = build(clinic.corpus_dir(work), work / "index")
            print(f"{clinic.name}: {built.line}", file=sys.stderr)
            for overrides in variants:
                row = Row(clinic.name, ", ".join(f"{k}={v}" for k, v in overrides.items()))
                row.replies = serve_and_ask(clinic, work / "index", work, overrides, args.history_answers)
                rows.append(row)
                print(HEADER.split("\n")[0] + "\n" + row.markdown() + "\n" + row.by_format(), file=sys.stderr)
                if args.verbose:
                    report_failures(row)
    print(HEADER)
    for row in rows:
        print(row.markdown())
    if args.write:
        write_doc(rows, args.change)
    return 0


if __name__ == "__main__":
    sys.exit(main())
