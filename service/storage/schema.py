"""The database schema as numbered migrations, in SQL that SQLite and PostgreSQL both run.

A database records the last migration it ran (SQLite: PRAGMA user_version; PostgreSQL: `schema_version`),
so an existing file or server is brought up to date at start-up and never migrated twice.
"""
from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the question log, feedback, login failures, settings the app generates for itself
    """
    CREATE TABLE questions (
        id TEXT PRIMARY KEY,
        asked_at TEXT NOT NULL,
        day TEXT NOT NULL,
        conversation_id TEXT NOT NULL DEFAULT '',
        visitor TEXT NOT NULL DEFAULT '',
        question TEXT NOT NULL,
        status TEXT NOT NULL,
        answer TEXT NOT NULL DEFAULT '',
        top_article TEXT,
        top_title TEXT,
        top_score REAL,
        nearest_passage TEXT,
        nearest_score REAL,
        latency_ms REAL NOT NULL
    );
    CREATE INDEX questions_day ON questions(day);
    CREATE INDEX questions_asked_at ON questions(asked_at);
    CREATE TABLE feedback (
        answer_id TEXT PRIMARY KEY REFERENCES questions(id) ON DELETE CASCADE,
        helpful INTEGER NOT NULL,
        comment TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE TABLE login_failures (key TEXT NOT NULL, at TEXT NOT NULL);
    CREATE INDEX login_failures_key ON login_failures(key, at);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: why a question got no answer (not_covered, medical_advice, off_topic), for the insights page
    """
    ALTER TABLE questions ADD COLUMN reason TEXT;
    """,
    # 3: staff sessions on the server (the cookie holds only a random id, stored here as its SHA-256),
    #    rate-limit counters shared by every worker and replica, and the signing key out of the database
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        credential TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX sessions_username ON sessions(username);
    CREATE TABLE rate_limits (
        key TEXT PRIMARY KEY,
        hits INTEGER NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX rate_limits_expires_at ON rate_limits(expires_at);
    CREATE INDEX login_failures_at ON login_failures(at);
    DELETE FROM meta WHERE key = 'secret_key';
    """,
    # 4: the insights page's aggregates (per day by status and visitor; unanswered questions' nearest passage)
    #    and phrasing vectors shared by every worker and replica (BYTEA: PostgreSQL's bytes; SQLite keeps a blob)
    """
    CREATE INDEX questions_day_status ON questions(day, status, visitor);
    CREATE INDEX questions_unanswered ON questions(day, question, nearest_passage, nearest_score)
        WHERE status = 'no_answer';
    CREATE TABLE phrasing_vectors (
        model TEXT NOT NULL,
        key TEXT NOT NULL,
        vector BYTEA NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (model, key)
    );
    """,
    # 5: the insights page's counts of each day before today and of each period's run of them, kept so a
    #    restarted worker or a new question counts only today (service/staff/counted_days.py); zlib'd JSON
    """
    CREATE TABLE insights_days (
        day TEXT PRIMARY KEY,
        version TEXT NOT NULL,
        data BYTEA NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE insights_runs (
        run TEXT PRIMARY KEY,
        version TEXT NOT NULL,
        data BYTEA NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    # 6: staff changes to the articles (service/storage/article_records.py): earlier versions, the trash, upload
    #    drafts, the pages imported articles came from, the audit log; ids from article_sequences, bytes BYTEA
    """
    CREATE TABLE article_versions (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        action TEXT NOT NULL,
        username TEXT NOT NULL,
        at TEXT NOT NULL,
        version TEXT NOT NULL,
        size INTEGER NOT NULL,
        data BYTEA NOT NULL
    );
    CREATE INDEX article_versions_name ON article_versions(name, id);
    CREATE TABLE article_trash (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        title TEXT NOT NULL,
        username TEXT NOT NULL,
        deleted_at TEXT NOT NULL,
        version TEXT NOT NULL,
        size INTEGER NOT NULL,
        data BYTEA NOT NULL
    );
    CREATE INDEX article_trash_deleted_at ON article_trash(deleted_at);
    CREATE TABLE article_drafts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        username TEXT NOT NULL,
        created_at TEXT NOT NULL,
        source_url TEXT NOT NULL DEFAULT '',
        replaces TEXT NOT NULL DEFAULT '',
        preview TEXT NOT NULL,
        size INTEGER NOT NULL,
        data BYTEA NOT NULL
    );
    CREATE INDEX article_drafts_created_at ON article_drafts(created_at);
    CREATE TABLE article_sources (
        url TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX article_sources_name ON article_sources(name);
    CREATE TABLE article_audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        username TEXT NOT NULL,
        action TEXT NOT NULL,
        name TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE article_sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    """,
]
