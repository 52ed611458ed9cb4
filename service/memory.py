"""Giving memory back to the system after a re-index.

Embedding a batch of long passages makes the model allocate its activations (for all-MiniLM-L6-v2, about
8 MB per passage of 256 tokens: 150 MB for the 18 passages of corpus/ in one batch). PyTorch frees them,
but glibc's malloc keeps freed blocks below its (by then raised) mmap threshold in the heap and in the
re-index thread's arena, so the server's resident memory stayed that much higher after every live
re-index. `release()`, called after the swap, collects what is unreachable and asks glibc to return its
free pages (`malloc_trim`); elsewhere it only collects. The builder's small batches (`EMBED_BATCH` in
index/builder.py) keep the peak down in the first place.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
from collections.abc import Callable
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None on another C library."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release() -> None:
    """Free unreachable objects and return the C heap's free pages to the OS (glibc only)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def resident_mib() -> float:
    """This process's resident set size (VmRSS) in MiB; NaN where /proc is not available."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")
