"""Counted days: each day before today is counted once and kept; a page load counts only today.

Counting 90 days of a 100,000-question log (grouping every row by wording) is most of what a page costs after
the log changed. Days before today (UTC) rarely change — questions are logged today (a queued one may land just
after midnight) and removed only by retention — so each day's counts are kept, in memory and in the database
(`insights_days`, shared by every worker and replica and kept across restarts), under the day's number of
questions (read from the `day` index in one query for the whole period): questions are never edited, so a
day whose questions change has a different number of them, unless as many are removed as are added at once.

A page load reads the period's earlier days merged (`insights_runs`: one row per period, so a restart reads
one), else merges them from each day's kept counts (the database counts every missing day in one pass, and
they are kept); then it counts today's questions, merges today in, and adds the votes, which can arrive for a
question of any day and are cheap to count (the feedback table is small). When a new day begins, only the
day that just ended is counted, and each period's run is merged again from the kept days.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import date, timedelta

from service.database import Database, utcnow
from service.staff.log_summary import (LogSummary, count_days, count_questions, from_bytes, merge, merge_all,
                                       to_bytes, with_votes)

DAYS_KEPT = 800  # days kept in memory: more than any retention period a page can show
MERGES_KEPT = 8  # merged runs of days kept in memory (three standard periods, a few custom)
STALE_DAYS = 2  # a run not written for this long is a period nobody has looked at since its first day moved


class CountedDays:
    """The counted days before today, and their merges per period; thread-safe. The counters are for the tests."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._days: OrderedDict[str, tuple[str, LogSummary]] = OrderedDict()  # day -> (version, counts)
        self._merged: OrderedDict[str, tuple[str, LogSummary]] = OrderedDict()  # "first..last" -> (version, merge)
        self._lock = threading.Lock()
        self.counted = 0  # days this process counted from the log
        self.loaded = 0  # ... and read back from the database
        self.loaded_runs = 0  # periods' merged earlier days read back from the database

    def summary(self, first: str, today: date) -> LogSummary:
        """The summary of days `first`..`today`: the earlier days as kept, today counted now, votes added."""
        last = today.isoformat()
        yesterday = (today - timedelta(days=1)).isoformat()
        todays = count_questions(self.database, last, last)
        if first > yesterday:
            return with_votes(self.database, todays, first, last)
        return with_votes(self.database, merge(self._earlier(first, yesterday), todays), first, last)

    def _earlier(self, first: str, last: str) -> LogSummary:
        """Days `first`..`last` counted and merged: the merge from memory, else the database, else made and kept."""
        stats = self.database.stats
        versions = {d: str(n) for d, n in stats.day_sizes(first, last).items()}
        run = f"{first}..{last}"
        version = hashlib.sha256(" ".join(f"{d}={v}" for d, v in sorted(versions.items())).encode()).hexdigest()
        with self._lock:
            kept = self._merged.get(run)
            if kept and kept[0] == version:
                self._merged.move_to_end(run)
                return kept[1]
        stored = stats.kept_run(run)
        if stored and stored[0] == version:
            merged = from_bytes(stored[1])
            self.loaded_runs += 1
        else:
            with self._lock:
                days = {d: kept_day[1] for d, v in versions.items()
                        if (kept_day := self._days.get(d)) and kept_day[0] == v}
            missing = sorted(set(versions) - set(days))
            if missing:
                days.update(self._stored_or_counted(missing, versions))
            merged = merge_all([days[d] for d in sorted(days)])
            now = utcnow()
            stats.keep_run(run, version, to_bytes(merged), now.isoformat(timespec="seconds"),
                           (now - timedelta(days=STALE_DAYS)).isoformat(timespec="seconds"))
            with self._lock:
                for d in days:
                    self._days[d] = (versions[d], days[d])
                    self._days.move_to_end(d)
                while len(self._days) > DAYS_KEPT:
                    self._days.popitem(last=False)
        with self._lock:
            self._merged[run] = (version, merged)
            self._merged.move_to_end(run)
            while len(self._merged) > MERGES_KEPT:
                self._merged.popitem(last=False)
        return merged

    def _stored_or_counted(self, missing: list[str], versions: dict[str, str]) -> dict[str, LogSummary]:
        """The `missing` days' counts from the database where kept at their version, else counted and kept."""
        stats = self.database.stats
        stored = stats.kept_days(missing[0], missing[-1])
        found = {d: from_bytes(stored[d][1]) for d in missing if d in stored and stored[d][0] == versions[d]}
        self.loaded += len(found)
        todo = [d for d in missing if d not in found]
        if todo:
            counted = count_days(self.database, todo[0], todo[-1])
            fresh = {d: counted.get(d) or LogSummary({}, frozenset(), frozenset(), ()) for d in todo}
            stats.keep_days([(d, versions[d], to_bytes(fresh[d])) for d in todo],
                            utcnow().isoformat(timespec="seconds"))
            self.counted += len(todo)
            found.update(fresh)
        return found
