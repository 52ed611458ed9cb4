"""Two database backends behind one interface: SQLite (a file) and PostgreSQL (psycopg 3 with a pool).

SQL is written once, with `?` placeholders, in the subset both speak (`INSERT … ON CONFLICT`, `RETURNING`);
PostgreSQL's backend turns the placeholders into psycopg's. Writes run in `transaction()`, which serialises
writers (SQLite: BEGIN IMMEDIATE; PostgreSQL: `lock(name)` takes a transaction-scoped advisory lock), reads
in `read()`.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

Params = Sequence[Any]
CONNECT_TIMEOUT = 10.0  # seconds a replica waits for PostgreSQL at start-up before giving up with a message


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened or reached; the message names it (never its password) and why."""


class Tx(Protocol):
    """What a transaction or a read offers: rows as dicts, and the count of rows a statement changed."""

    def rows(self, sql: str, params: Params = ()) -> list[dict[str, Any]]: ...
    def one(self, sql: str, params: Params = ()) -> dict[str, Any] | None: ...
    def run(self, sql: str, params: Params = ()) -> int: ...
    def run_many(self, sql: str, rows: Sequence[Params]) -> None: ...
    def lock(self, name: str) -> None: ...


class Backend(Protocol):
    """A database the app can use: SQLite or PostgreSQL."""

    kind: str

    @property
    def integrity_error(self) -> type[Exception]: ...
    def transaction(self) -> AbstractContextManager[Tx]: ...
    def read(self) -> AbstractContextManager[Tx]: ...
    def migrate(self, migrations: Sequence[str]) -> None: ...
    def version(self) -> int: ...
    def close(self) -> None: ...
    def describe(self) -> str: ...


def is_server_url(target: str) -> bool:
    """Whether the database setting names a PostgreSQL server rather than a SQLite file."""
    return urlsplit(str(target)).scheme in ("postgres", "postgresql")


def open_backend(target: str | Path, pool_size: int = 10) -> Backend:
    """The backend for a SQLite file path or a `postgresql://` URL."""
    if is_server_url(str(target)):
        return Postgres(str(target), pool_size)
    return SQLite(Path(target))


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


class _Cursor:
    """A cursor of either driver, with the small Tx interface."""

    def __init__(self, cursor: Any, placeholder: str, kind: str) -> None:
        self._cursor = cursor
        self._placeholder = placeholder
        self._kind = kind

    def _sql(self, sql: str) -> str:
        return sql if self._placeholder == "?" else sql.replace("%", "%%").replace("?", self._placeholder)

    def rows(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        self._cursor.execute(self._sql(sql), tuple(params))
        return [dict(row) for row in self._cursor.fetchall()]

    def one(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        self._cursor.execute(self._sql(sql), tuple(params))
        row = self._cursor.fetchone()
        return None if row is None else dict(row)

    def run(self, sql: str, params: Params = ()) -> int:
        self._cursor.execute(self._sql(sql), tuple(params))
        return int(self._cursor.rowcount or 0)

    def run_many(self, sql: str, rows: Sequence[Params]) -> None:
        """One statement for many rows (executemany: one round of parsing, no per-row Python loop here)."""
        self._cursor.executemany(self._sql(sql), [tuple(row) for row in rows])

    def lock(self, name: str) -> None:
        """Serialise this transaction with others taking the same lock (SQLite's writers already are)."""
        if self._kind == "postgresql":
            self._cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))


class SQLite:
    """A SQLite file in WAL mode, one connection per thread; several processes may share it."""

    kind = "sqlite"
    integrity_error: type[Exception] = sqlite3.IntegrityError

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=True)
            conn.row_factory = sqlite3.Row
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
                conn.execute(f"PRAGMA {pragma}")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """BEGIN IMMEDIATE … COMMIT: writers queue instead of failing with 'database is locked'."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield _Cursor(conn.cursor(), "?", self.kind)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """Reads outside a write transaction (WAL: they never wait for writers)."""
        yield _Cursor(self._connection().cursor(), "?", self.kind)

    def version(self) -> int:
        return int(self._connection().execute("PRAGMA user_version").fetchone()[0])

    def migrate(self, migrations: Sequence[str]) -> None:
        with self.transaction() as tx:
            version = int(tx.rows("PRAGMA user_version")[0]["user_version"])
            for number, script in enumerate(migrations[version:], start=version + 1):
                for statement in _statements(script):
                    tx.run(statement)
                tx.run(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def describe(self) -> str:
        return f"SQLite file {self.path}"


class Postgres:
    """A PostgreSQL server through psycopg 3 and a connection pool, shared by every replica."""

    kind = "postgresql"

    def __init__(self, url: str, pool_size: int = 10) -> None:
        try:
            import psycopg
            from psycopg.rows import dict_row
            from psycopg_pool import ConnectionPool
        except ImportError as exc:  # pragma: no cover - both are dependencies; this names the fix if not
            raise RuntimeError("a postgresql:// database needs psycopg and psycopg-pool: "
                               "pip install 'psycopg[binary]' psycopg-pool") from exc
        self.url = url
        self.integrity_error: type[Exception] = psycopg.errors.IntegrityError
        self._pool = ConnectionPool(url, min_size=1, max_size=max(1, pool_size), open=True, timeout=30,
                                    kwargs={"autocommit": True, "row_factory": dict_row})
        try:
            self._pool.wait(timeout=CONNECT_TIMEOUT)
        except Exception as exc:  # PoolTimeout; the pool logs the driver's own reason
            self._pool.close()
            raise DatabaseUnavailable(f"cannot connect to {self.describe()} within {CONNECT_TIMEOUT:.0f} s: "
                                      "is the server running and the URL right?") from exc

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            yield _Cursor(cursor, "%s", self.kind)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self._pool.connection() as conn, conn.cursor() as cursor:
            yield _Cursor(cursor, "%s", self.kind)

    def version(self) -> int:
        with self.read() as tx:
            row = tx.one("SELECT to_regclass('schema_version') IS NOT NULL AS present")
            if not row or not row["present"]:
                return 0
            found = tx.one("SELECT version FROM schema_version")
            return int(found["version"]) if found else 0

    def migrate(self, migrations: Sequence[str]) -> None:
        with self.transaction() as tx:
            tx.lock("clinicbot migrations")  # two replicas starting at once migrate one after the other
            tx.run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = tx.one("SELECT version FROM schema_version")
            if row is None:
                tx.run("INSERT INTO schema_version (version) VALUES (0)")
            version = int(row["version"]) if row else 0
            for number, script in enumerate(migrations[version:], start=version + 1):
                for statement in _statements(script):
                    tx.run(statement)
                tx.run("UPDATE schema_version SET version = ?", (number,))

    def close(self) -> None:
        self._pool.close()

    def describe(self) -> str:
        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        netloc = f"{parts.username}@{host}" if parts.username else host
        if parts.port:
            netloc += f":{parts.port}"
        return "PostgreSQL " + urlunsplit((parts.scheme, netloc, parts.path, "", ""))
