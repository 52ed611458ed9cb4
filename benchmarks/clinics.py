"""The visible clinics the answer benchmark asks: their corpus folders and questions in one shape."""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DENTAL = REPO_ROOT.parent / "shared" / "benchmarks" / "clinic-dental"
CLINIC = {"clinic_name": "the clinic", "clinic_phone": "+1 555 0100", "clinic_email": "hello@clinic.test"}
PROSE_SUFFIXES = (".md", ".txt", ".html", ".htm")

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_QUOTES = {ord(c): "'" for c in "\u2018\u2019\u201a\u201b\u2032"} | {
    ord(c): '"' for c in "\u201c\u201d\u201e\u201f\u2033"}


def normalise(text: str) -> str:
    """Lower case, unicode dashes and quotes as ASCII, whitespace collapsed (the clinic-dental scoring)."""
    text = text.translate(_DASHES).translate(_QUOTES).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text.lower()).strip()


@dataclass(frozen=True)
class Item:
    """One question and what counts as a right reply.

    kind: `answer`, `followup`, `abstain`, `emergency`, or `calm` (must only not be routed as an emergency).
    An answer passes when, for one (fact, article) pair, the fact is in the answer and the article is first.
    """

    id: str
    kind: str
    question: str
    pairs: tuple[tuple[str, str], ...] = ()
    history: tuple[str, ...] = ()
    calm: bool = False  # sounds alarming but is ordinary
    where: str = "prose"  # where the fact is: prose, faq (an FAQ accordion or list), table, pdf or docx

    @property
    def prose(self) -> bool:
        """The expected fact is in an article's prose or FAQ text (not only in a PDF, DOCX or table)."""
        return self.where in ("prose", "faq")

    @property
    def expect_any(self) -> list[str]:
        return [fact for fact, _ in self.pairs]

    @property
    def source_any(self) -> set[str]:
        return {article for _, article in self.pairs}


@dataclass
class ClinicSet:
    """A clinic: where its articles are and what is asked of them."""

    name: str
    folders: list[Path]
    items: list[Item] = field(default_factory=list)

    def corpus_dir(self, work: Path) -> Path:
        """One folder holding every article of the set."""
        if len(self.folders) == 1:
            return self.folders[0]
        target = work / "corpus"
        target.mkdir()
        for folder in self.folders:
            for path in folder.iterdir():
                shutil.copy(path, target / path.name)
        return target


def acupuncture() -> ClinicSet:
    """`corpus/` plus `tests/articles/`, asked the questions of `tests/questions.yaml`."""
    data = yaml.safe_load((REPO_ROOT / "tests" / "questions.yaml").read_text(encoding="utf-8"))
    items: list[Item] = []
    for n, q in enumerate(data["answerable"]):
        pairs = [(q["fact"], q["article"]), *((a["fact"], a["article"]) for a in q.get("also", []))]
        items.append(Item(f"q{n:02d}", "answer", q["q"], tuple(pairs)))
    items += [Item(f"o{n:02d}", "abstain", q) for n, q in enumerate(data["out_of_scope"])]
    items += [Item(f"e{n:02d}", "emergency", q) for n, q in enumerate(data["emergency"])]
    items += [Item(f"c{n:02d}", "calm", q, calm=True) for n, q in enumerate(data["not_emergency"])]
    return ClinicSet("acupuncture", [REPO_ROOT / "corpus", REPO_ROOT / "tests" / "articles"], items)


def _dental_checker() -> ModuleType:
    """The benchmark's own check.py, whose body-text extraction defines what a document says."""
    spec = importlib.util.spec_from_file_location("clinic_dental_check", DENTAL / "check.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_FAQ = re.compile(r"(?is)<details\b.*?</details>|<dl\b.*?</dl>")
_TABLE = re.compile(r"(?is)<table\b.*?</table>")


def document_texts(corpus: Path) -> dict[str, dict[str, str]]:
    """doc_id -> {part: normalised text}: the prose, FAQ entries and tables of each .md, .txt and .html document.

    What a document says is read with the benchmark's own check.py (not with our readers), so a fact lost by a
    reader still counts. PDF and DOCX documents are told by their suffix.
    """
    check = _dental_checker()
    texts: dict[str, dict[str, str]] = {}
    for path in sorted(corpus.iterdir()):
        suffix = path.suffix.lower()
        if suffix not in PROSE_SUFFIXES:
            texts[path.stem] = {suffix.lstrip("."): ""}
            continue
        raw = path.read_text(encoding="utf-8")
        if suffix == ".md":
            texts[path.stem] = {"prose": normalise(check.md_text(raw))}
        elif suffix == ".txt":
            texts[path.stem] = {"prose": normalise(raw)}
        else:
            faq = " ".join(check.html_text(m) for m in _FAQ.findall(raw))
            table = " ".join(check.html_text(m) for m in _TABLE.findall(raw))
            texts[path.stem] = {"prose": normalise(check.html_text(_TABLE.sub(" ", _FAQ.sub(" ", raw)))),
                                "faq": normalise(faq), "table": normalise(table)}
    return texts


def where_fact(pairs: tuple[tuple[str, str], ...], texts: dict[str, dict[str, str]]) -> str:
    """The first of prose, faq, table, pdf, docx that holds one of the expected facts in a document allowed."""
    for part in ("prose", "faq", "table"):
        if any(normalise(fact) in texts.get(doc, {}).get(part, "") for fact, doc in pairs):
            return part
    kinds = {part for _, doc in pairs for part in texts.get(doc, {})} - {"prose", "faq", "table"}
    return min(kinds) if kinds else "prose"


def jsonl_set(name: str, folder: Path) -> ClinicSet:
    """A clinic kept as the clinic-dental benchmark is: `corpus/` and `questions.jsonl` in one folder."""
    texts = document_texts(folder / "corpus")
    items: list[Item] = []
    for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        pairs = tuple((fact, doc) for fact in q.get("expect_any", []) for doc in q.get("source_any", []))
        where = where_fact(pairs, texts) if pairs else "prose"
        history = tuple(h["question"] for h in q.get("history", []))
        items.append(Item(q["id"], q["kind"], q["question"], pairs, history, calm=q["id"].startswith("s"),
                          where=where))
    return ClinicSet(name, [folder / "corpus"], items)


# Our own development clinics (tests/clinics/) and the visible held-out one (clinic-dental).
JSONL_SETS = {"physio": REPO_ROOT / "tests" / "clinics" / "physio",
              "optometry": REPO_ROOT / "tests" / "clinics" / "optometry",
              "dental": DENTAL}
SET_NAMES = ["acupuncture", *JSONL_SETS]


def load_sets(names: list[str]) -> list[ClinicSet]:
    """The named sets, in the order given."""
    return [acupuncture() if name == "acupuncture" else jsonl_set(name, JSONL_SETS[name]) for name in names]
