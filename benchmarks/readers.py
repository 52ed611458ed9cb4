"""Web page readers compared on the saved pages we have: body recall, chrome leaked, time per page.

Readers: the trafilatura-based `index/readers/web_page/` (recall focus, as shipped, and balanced focus) and
the old hand-written stdlib reader `index/html_page.py` (skipped if it has been deleted).

* body recall: the share of the page's own article sentences found in the extracted text. The reference is
  read here with lxml from the page's longest `<article>`, minus its header, share buttons, related posts,
  forms, scripts and what a hand-written page marks `data-chrome`: the sentences of its paragraphs, list
  items, FAQ summaries and definition lists, and the text of each table data cell. Both sides are normalised
  (case, dashes, quotes, spaces).
* chrome leaked: how many chrome strings appear in the extracted text but not in the article itself: the fixed
  ones ("We use cookies", "Share this", "Related Posts") and every line of 2+ words of the page's own
  `<nav>`, `<footer>`, `<aside>`, site `<header>` and cookie banner.
* time: median of 5 reads of the page's bytes, in ms.

Run from the repository root: `.venv/bin/python benchmarks/readers.py [--write] [--old PATH]`; --write replaces
the table in docs/readers.md between its markers. Once index/html_page.py is deleted, pass a saved copy of it as
--old (`git show 4c8c61e:index/html_page.py > /tmp/html_page.py`).
"""
from __future__ import annotations

import re
import statistics
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.document import decode_text  # noqa: E402
from index.readers import web_page  # noqa: E402

PAGES = sorted(
    [*ROOT.parent.glob("shared/benchmarks/clinic-dental/corpus/*.html"), *ROOT.glob("tests/clinics/*/corpus/*.html"),
     *ROOT.glob("tests/data/formats/*.html")]
)
FIXED_CHROME = ("We use cookies", "Share this", "Related Posts")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
# Hand-written test pages mark chrome with a data-chrome attribute, so it counts wherever it sits.
_NOT_BODY = ("//script | //style | //form | //nav | //aside | .//header | .//*[contains(@class, 'share')]"
             " | .//*[contains(@class, 'related')] | .//*[@data-chrome]")
_CHROME = ("//nav | //footer | //aside | //header[not(ancestor::article)] | //*[contains(@class, 'cookie')]"
           " | //*[contains(@class, 'share')] | //*[@data-chrome]")
DOC = ROOT / "docs" / "readers.md"


def norm(text: str) -> str:
    """Lower case, unicode dashes and quotes made plain, whitespace collapsed."""
    text = re.sub(r"[‐‑‒–—−]", "-", text.lower())
    text = re.sub(r"[‘’‚′]", "'", re.sub(r"[“”„″]", '"', text))
    return " ".join(text.split())


def reference(raw: bytes) -> tuple[list[str], str, list[str]]:
    """The page's article sentences, the article's whole text, and the page's chrome lines."""
    tree = lxml.html.document_fromstring(decode_text(raw))
    for el in tree.iter("br", "p", "li", "div", "td", "h1", "h2", "h3", "h4", "a"):
        el.tail = "\n" + (el.tail or "")  # one chrome line per line break, paragraph or link
    chrome = [line for el in tree.xpath(_CHROME) for line in el.text_content().splitlines()
              if len(line.split()) >= 2]
    articles = tree.xpath("//article") or tree.xpath("//main | //*[@id='content']") or tree.xpath("//body")
    article = max(articles, key=lambda e: len(e.text_content()))
    for el in article.xpath(_NOT_BODY):
        el.drop_tree()
    sentences: list[str] = []
    for el in article.iter("p", "li", "dt", "dd", "summary", "td"):
        if el.tag == "li" and el.find(".//p") is not None:
            continue  # its paragraphs are counted
        text = " ".join(el.xpath("./text() | ./*[not(self::ul or self::ol)]//text()"))
        parts = [text] if el.tag in ("td", "th") else _SENTENCE.split(text)
        sentences += [norm(s) for s in parts if s.strip()]
    return sentences, norm(article.text_content()), [norm(c) for c in chrome]


def flat(article: Any) -> str:
    """All text a reader produced: headings, block texts, list items."""
    parts = [article.title]
    for section in article.sections:
        parts.append(section.heading)
        for block in section.blocks:
            parts += [block.text, *block.items]
    return norm(" ".join(parts))


def readers() -> dict[str, Callable[[bytes], Any]]:
    """The readers to compare, by name."""
    found: dict[str, Callable[[bytes], Any]] = {"trafilatura (recall)": web_page.read}

    def balanced(raw: bytes) -> Any:
        web_page.FAVOR_RECALL = False
        try:
            return web_page.read(raw)
        finally:
            web_page.FAVOR_RECALL = True

    found["trafilatura (balanced)"] = balanced
    if old := old_reader():
        found["old html_page"] = lambda raw: old(decode_text(raw))
    return found


def old_reader() -> Callable[[str], Any] | None:
    """The old reader's parse_html: index/html_page.py, else the saved copy given as --old PATH."""
    try:
        from index.html_page import parse_html

        return parse_html  # type: ignore[no-any-return]
    except ImportError:
        pass
    if "--old" not in sys.argv:
        return None
    # A copy from before it was deleted imports the model from its old modules, now all in index.document.
    source = Path(sys.argv[sys.argv.index("--old") + 1]).read_text(encoding="utf-8")
    source = re.sub(r"from index\.(article|outline) import", "from index.document import", source)
    module = sys.modules.setdefault("old_html_page", types.ModuleType("old_html_page"))
    exec(compile(source, "old_html_page.py", "exec"), module.__dict__)
    return module.parse_html  # type: ignore[no-any-return]


def measure() -> list[tuple[str, str, float, int, float, str]]:
    """One row per page and reader: page, reader, recall, chrome leaked, ms, leaked strings."""
    rows = []
    compared = readers()
    for page in PAGES:
        raw = page.read_bytes()
        sentences, body, chrome = reference(raw)
        known = [c for c in (*(norm(f) for f in FIXED_CHROME), *chrome) if c not in body]
        for name, read in compared.items():
            times = []
            for _ in range(5):
                start = time.perf_counter()
                article = read(raw)
                times.append((time.perf_counter() - start) * 1000)
            text = flat(article)
            recall = sum(s in text for s in sentences) / max(1, len(sentences))
            leaked = sorted({c for c in known if c in text})
            rows.append((page.name, name, recall, len(leaked), statistics.median(times), "; ".join(leaked)[:80]))
    return rows


def table(rows: list[tuple[str, str, float, int, float, str]]) -> str:
    """The rows as a Markdown table, with a total line per reader."""
    lines = ["| page | reader | body recall | chrome leaked | ms | leaked |", "|---|---|---:|---:|---:|---|"]
    lines += [f"| {p} | {r} | {rec:.0%} | {n} | {ms:.1f} | {leak} |" for p, r, rec, n, ms, leak in rows]
    for name in dict.fromkeys(r[1] for r in rows):
        mine = [r for r in rows if r[1] == name]
        lines.append(f"| **all {len(mine)} pages** | {name} | {statistics.mean(r[2] for r in mine):.1%} |"
                     f" {sum(r[3] for r in mine)} | {statistics.median(r[4] for r in mine):.1f} | |")
    return "\n".join(lines)


def main() -> None:
    """Measure, print, and with --write put the table into docs/readers.md."""
    result = table(measure())
    print(result)
    if "--write" in sys.argv[1:]:
        doc = DOC.read_text(encoding="utf-8")
        begin, end = "<!-- readers:begin -->", "<!-- readers:end -->"
        head, _, rest = doc.partition(begin)
        DOC.write_text(f"{head}{begin}\n{result}\n{end}{rest.partition(end)[2]}", encoding="utf-8")


if __name__ == "__main__":
    main()
