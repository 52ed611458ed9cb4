"""The code itself: ruff's checks and mypy --strict over the product code (see pyproject.toml)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
    sizes = {p: len(p.read_text().splitlines()) for d in ("index", "service") for p in (ROOT / d).glob("*.py")}
    too_big = {str(p.relative_to(ROOT)): n for p, n in sizes.items() if n > 330}
    assert not too_big, too_big


CORE = [*(ROOT / "index").glob("*.py"), *(ROOT / "service" / f"{name}.py" for name in (
    "settings", "query", "retriever", "answerer", "safety", "database", "privacy", "questions", "insights", "chart"))]


def test_core_never_imports_the_web_framework() -> None:
    for path in CORE:
        text = path.read_text()
        assert "fastapi" not in text and "starlette" not in text, path
