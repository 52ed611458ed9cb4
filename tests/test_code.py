"""The code itself: ruff's checks and mypy --strict over the product code (see pyproject.toml)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)


def test_ruff_is_clean() -> None:
    done = run("ruff", "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_is_clean() -> None:
    done = run("mypy", "index", "service", "benchmarks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_modules_stay_small() -> None:
    """One concept per module: past ~300 lines a module should be split (STYLE.md)."""
    sizes = {p: len(p.read_text().splitlines()) for d in ("index", "service") for p in (ROOT / d).rglob("*.py")}
    too_big = {str(p.relative_to(ROOT)): n for p, n in sizes.items() if n > 330}
    assert not too_big, too_big


def imports(path: Path) -> set[str]:
    """The top-level names of every module a file imports (at any depth of the file)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


# The core: the indexer, the answering pipeline and the plain-Python parts of the service and the staff side.
CORE = [
    *(ROOT / "index").rglob("*.py"),
    *(ROOT / "service" / "answering").rglob("*.py"),
    *(ROOT / "service" / f"{name}.py" for name in ("settings", "database", "privacy", "questions",
                                                         "question_log", "schemas")),
    *(ROOT / "service" / "staff" / f"{name}.py" for name in ("insights", "chart", "log_summary", "counted_days",
                                                             "topics")),
    *(ROOT / "service" / "articles").rglob("*.py"),
    *(ROOT / "service" / "storage").rglob("*.py"),
]


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_never_imports_the_web_framework(path: Path) -> None:
    web = {m for m in imports(path) if m.split(".")[0] in ("fastapi", "starlette", "uvicorn", "jinja2")}
    assert not web, f"{path.relative_to(ROOT)} imports {sorted(web)}"


@pytest.mark.parametrize("path", sorted((ROOT / "index").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_index_never_imports_the_service(path: Path) -> None:
    service = {m for m in imports(path) if m.split(".")[0] == "service"}
    assert not service, f"{path.relative_to(ROOT)} imports {sorted(service)}"


READERS_DIR = ROOT / "index" / "readers"
READERS = sorted(p for p in READERS_DIR.rglob("*.py") if p != READERS_DIR / "__init__.py")


@pytest.mark.parametrize("path", READERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_reader_imports_only_the_document_model(path: Path) -> None:
    """One reader per format, each on its own: a new format is one new module or package in index/readers/."""
    reader = path.relative_to(READERS_DIR).parts[0].removesuffix(".py")
    ours = {m for m in imports(path) if m.split(".")[0] in ("index", "service", "benchmarks", "tests")}
    others = {m for m in ours if m != "index.document" and not m.startswith(f"index.readers.{reader}")}
    assert not others, f"{path.relative_to(ROOT)} imports {sorted(others)}"


def test_the_import_checks_can_fail(tmp_path: Path) -> None:
    """The parser behind both rules sees plain, from- and function-level imports."""
    probe = tmp_path / "probe.py"
    probe.write_text("import fastapi.routing\nfrom service.settings import Settings\ndef f():\n    import starlette\n")
    assert imports(probe) == {"fastapi.routing", "service.settings", "starlette"}
