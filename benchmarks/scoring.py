"""Scoring the replies of one clinic set the way ../shared/benchmarks/clinic-dental/README.md describes."""
from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass, field
from typing import Any

from benchmarks.clinics import Item, normalise


@dataclass
class Reply:
    """What the server said to one item."""

    item: Item
    status: str
    answer: str
    first_source: str
    reason: str
    ms: float

    @property
    def passed(self) -> bool:
        """Scored the way the clinic-dental README says."""
        if self.item.kind == "abstain":
            return self.status == "no_answer"
        if self.item.kind == "emergency":
            return self.status == "emergency"
        if self.item.kind == "calm":
            return self.status != "emergency"
        return self.status == "answered" and any(
            article == self.first_source and normalise(fact) in normalise(self.answer)
            for fact, article in self.item.pairs)

    @property
    def right_article(self) -> bool:
        """The first source is one the question may be answered from."""
        return self.status == "answered" and self.first_source in self.item.source_any


@dataclass
class Row:
    """One table row: a set's figures under one tuning."""

    name: str
    overrides: str
    replies: list[Reply] = field(default_factory=list)

    def of(self, *kinds: str, prose: bool | None = None, calm: bool | None = None) -> list[Reply]:
        """The replies to items of these kinds (optionally only prose-answerable, or only alarming-but-ordinary)."""
        return [r for r in self.replies if r.item.kind in kinds and (prose is None or r.item.prose == prose)
                and (calm is None or r.item.calm == calm)]

    def figures(self) -> dict[str, Any]:
        """Every figure of the row, by name."""
        answers, prose = self.of("answer"), self.of("answer", prose=True)
        emergencies = self.of("emergency")
        not_emergency = [r for r in self.replies if r.item.kind != "emergency"]
        calm = self.of("answer", "calm", calm=True)
        followups = self.of("followup")
        return {
            "right_fact": share(r.passed for r in prose), "right_fact_all": share(r.passed for r in answers),
            "right_article": share(r.right_article for r in prose),
            "refusals": share(r.passed for r in self.of("abstain")),
            "emergencies": f"{sum(r.passed for r in emergencies)}/{len(emergencies)}",
            "false_emergencies": f"{sum(r.status == 'emergency' for r in not_emergency)}",
            "calm_routed": f"{sum(r.status == 'emergency' for r in calm)}/{len(calm)}",
            "followups": share(r.passed for r in followups) if followups else float("nan"),
            "p50_ms": statistics.median(r.ms for r in self.replies) if self.replies else float("nan"),
            "n_prose": len(prose), "n_answers": len(answers),
            # Of the answerable questions the bot answered, the share answered right (the old test's "accuracy").
            "answered": share(r.status == "answered" for r in answers),
            "right_of_answered": share(r.passed for r in answers if r.status == "answered"),
        }

    def by_format(self) -> str:
        """Right fact of the answerable questions by where their fact is (prose, FAQ, table, PDF, DOCX)."""
        parts: dict[str, list[bool]] = {}
        for r in self.of("answer"):
            parts.setdefault(r.item.where, []).append(r.passed)
        order = ["prose", "faq", "table", "pdf", "docx"]
        return " · ".join(f"{w} {share(v):.2f} ({len(v)})" for w, v in
                          sorted(parts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 9))

    def markdown(self) -> str:
        """The row as a markdown table row."""
        f = self.figures()
        follow = "—" if f["followups"] != f["followups"] else f"{f['followups']:.2f}"
        return (f"| {self.name}{' (' + self.overrides + ')' if self.overrides else ''} "
                f"| {f['right_fact']:.2f} ({f['n_prose']}) | {f['right_fact_all']:.2f} ({f['n_answers']}) "
                f"| {f['answered']:.2f}: {f['right_of_answered']:.2f} "
                f"| {f['right_article']:.2f} | {f['refusals']:.2f} | {f['emergencies']} | {f['false_emergencies']} "
                f"({f['calm_routed']} alarming-but-ordinary) | {follow} | {f['p50_ms']:.0f} |")


HEADER = ("| set | right fact (prose questions) | right fact (all answerable) | answered: right of those "
          "| right article first | refusals | emergencies routed | false emergencies | follow-ups | p50 ms |\n"
          "|---|---|---|---|---|---|---|---|---|---|")


def share(flags: Any) -> float:
    """The share of true values (nan for none)."""
    values = list(flags)
    return sum(values) / len(values) if values else float("nan")


def report_failures(row: Row) -> None:
    """Every item that failed, with what the server said."""
    for r in row.replies:
        wrong_calm = r.item.calm and r.status == "emergency"
        if r.passed and not wrong_calm:
            continue
        if r.item.kind in ("answer", "followup") and not r.passed and not wrong_calm:
            tag = "wrong-article" if r.status == "answered" and not r.right_article else r.status
        else:
            tag = r.status + (f"/{r.reason}" if r.reason else "")
        print(f"  FAIL {r.item.id:<5} [{tag}] {r.item.question[:90]!r}\n        -> {r.answer[:150]!r}"
              + (f" ({r.first_source})" if r.first_source else ""), file=sys.stderr)


