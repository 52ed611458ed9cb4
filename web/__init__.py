"""The service's templates and static files, packaged with it: `ROOT` is where they are installed."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent
