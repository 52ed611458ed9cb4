"""What both benchmarks share: the machine's facts, how busy it is, the code measured, and the report file."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DOC_PATH = REPO_ROOT / "docs" / "benchmarks.md"


def machine() -> dict[str, Any]:
    """CPU count (as nproc sees it), CPU model and RAM of this machine."""
    cpu, ram_kb = "unknown CPU", 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_kb = int(line.split()[1])
                break
    except OSError:
        pass
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "ram_gib": round(ram_kb / 1024 / 1024, 1)}


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle, sum(fields[:8])


def _proc_jiffies(pid: int) -> int:
    """CPU time (user + system, all threads) of a process in jiffies."""
    try:
        rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(rest[11]) + int(rest[12])


@dataclass
class CpuShare:
    """CPU used while measuring: by this process (plus the given ones), and by everything else."""

    own_pct: float = float("nan")
    other_pct: float = float("nan")


@contextmanager
def cpu_share(pids: Sequence[int] = ()) -> Iterator[CpuShare]:
    """Share of all CPUs used inside the block by this process + `pids`, and by other processes."""
    share = CpuShare()
    tick = os.sysconf("SC_CLK_TCK")
    busy0, total0 = _cpu_jiffies()
    own0 = sum(os.times()[:2]) * tick + sum(_proc_jiffies(p) for p in pids)
    try:
        yield share
    finally:
        busy1, total1 = _cpu_jiffies()
        own = sum(os.times()[:2]) * tick + sum(_proc_jiffies(p) for p in pids) - own0
        if total1 > total0:
            share.own_pct = 100.0 * own / (total1 - total0)
            share.other_pct = max(0.0, 100.0 * (busy1 - busy0 - own) / (total1 - total0))


def wait_quiet(max_wait_s: float, threshold_pct: float = 15.0) -> float:
    """Wait (up to `max_wait_s`) until other processes use under `threshold_pct` of the CPUs for 3 s."""
    started = time.monotonic()
    while True:
        with cpu_share() as share:
            time.sleep(3)
        if share.other_pct < threshold_pct or time.monotonic() - started > max_wait_s:
            return share.other_pct
        print(f"  machine busy ({share.other_pct:.0f} % CPU used by other processes); waiting ...", file=sys.stderr)


def code_state() -> str:
    """The commit measured, and which source files differ from it (the working tree is what runs)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--", "index", "service"], cwd=REPO_ROOT,
                                capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    changed = sorted(line[3:] for line in status if line.strip())
    return f"commit {head}" + (f" + uncommitted changes in {', '.join(changed)}" if changed else "")


def update_doc(path: Path, section: str, begin: str, end: str, body: str) -> None:
    """Replace the block between `begin` and `end` under `## section` (adding the section or markers if missing)."""
    block = f"{begin}\n{body}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        start, stop = text.index(begin), text.index(end) + len(end)
        text = text[:start] + block + text[stop:]
    else:
        heading = re.search(rf"^## {re.escape(section)}\s*$", text, re.MULTILINE)
        if heading:
            text = text[: heading.end()] + "\n\n" + block + "\n" + text[heading.end():]
        else:
            text = text.rstrip("\n") + f"\n\n## {section}\n\n{block}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
