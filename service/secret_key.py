"""The app's secret key: from settings, else from a key file outside the database (made once, mode 0600).

The key signs CSRF tokens and keys the daily visitor hash. It never lives in the database, so a copy of the
database is no help in forging anything. Replicas share it by sharing the file or the setting.
"""
from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

log = logging.getLogger(__name__)
MIN_LENGTH = 32  # characters of a configured key


class SecretKeyError(ValueError):
    """The key setting or file cannot be used; the message says how to fix it."""


def load_secret_key(configured: str, path: Path) -> str:
    """The configured key, else the key file's content, creating the file (0600) when it does not exist."""
    if configured:
        if len(configured) < MIN_LENGTH:
            raise SecretKeyError(f"CLINICBOT_SECRET_KEY is too short: use at least {MIN_LENGTH} random characters "
                                 "(for example `python -c 'import secrets; print(secrets.token_hex(32))'`)")
        return configured
    path = Path(path)
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written to a private temporary file, then linked into place: a worker starting at the same moment
    # either wins the link or reads the winner's complete file, never a half-written one.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    try:
        os.link(temporary, path)
        log.info("generated the secret key file %s (mode 0600)", path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return _read(path)


def _read(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("the secret key file %s can be read by other users (mode %o): chmod 600 it", path, mode)
    key = path.read_text(encoding="ascii", errors="replace").strip()
    if len(key) < MIN_LENGTH:
        raise SecretKeyError(f"the secret key file {path} holds no usable key: delete it to make a new one")
    return key
