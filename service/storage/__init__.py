"""Storage: the database behind the question log, feedback, staff sessions, login failures and rate limits.

`backend.py` speaks SQLite (a file path) or PostgreSQL (a `postgresql://` URL) behind one small interface,
`schema.py` holds the migrations both run, `sessions.py`, `login_failures.py` and `counters.py` are the staff
sessions, the failed sign-ins and the rate-limit counters on that backend, `log_stats.py` and `vectors.py`
the insights page's aggregates and phrasing vectors. `service/database.py` is the facade the app uses.
"""
