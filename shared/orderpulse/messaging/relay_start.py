"""Where the relay's drains may start reading the outbox: past the ids no transaction can still commit.

The index of unpublished rows keeps an entry for every row published since the table was last
vacuumed, so a drain that starts at `id > 0` steps over all of them: ~3 µs per thousand, 3.3 ms a
select at a million (docs/benchmarks.md, branch `relaylag2`), and autovacuum comes rarely to a
table that keeps seven days of published rows. A drain may start past an id only once no row at
or below it can still appear: ids are taken from the sequence as rows are inserted and
transactions commit in any order, so a lower id can become visible after a higher one was
published, and it must not be skipped.

The rule: at each look, the sequence's last value is noted, and the server's clock read after
it. Every id up to that value was taken before that time, by a transaction that began before it.
At a later look, once every transaction in progress in this database began after that time
(`pg_stat_activity`), each of those transactions has ended: committed, so visible to any select
from then on, or rolled back, so its ids stay empty forever. The next drain, begun after that
look, reads every such row that is not yet published; once it has finished, drains may start
past the value. The start stays where it is while a session of this database is hidden from the
relay's role (another role's session, without `pg_read_all_stats`), or when the sequence hands
out cached values (CACHE > 1: a value taken before the time could be used after it); and when the
relay's role may not read the sequence (PostgreSQL 18 answers NULL; a refusal stops the looking for
good), drains start at the first row, as before.
"""

from __future__ import annotations

import datetime as dt
import logging

import asyncpg

log = logging.getLogger(__name__)

_NOTE = "SELECT pg_sequence_last_value(pg_get_serial_sequence('outbox', 'id')::regclass)"
_LOOK = """
SELECT clock_timestamp() AS now,
       (SELECT min(xact_start) FROM pg_stat_activity
         WHERE datname = current_database() AND backend_type = 'client backend') AS oldest,
       EXISTS (SELECT 1 FROM pg_stat_activity
                WHERE datname = current_database() AND backend_type = 'client backend' AND state IS NULL) AS hidden,
       (SELECT seqcache FROM pg_sequence
         WHERE seqrelid = pg_get_serial_sequence('outbox', 'id')::regclass) AS cache
"""


class DrainStart:
    """The id past which the leader's next drain may start (`after`); one per leadership."""

    def __init__(self) -> None:
        self.after = 0
        self._noted: tuple[int, dt.datetime] | None = None  # (sequence value, a time after it was read)
        self._safe: int | None = None  # no transaction can still commit an id up to this; not yet drained past
        self._unreadable = False  # the relay's role may not read the sequence: never look again

    def forget(self) -> None:
        """Published rows were made unpublished again (a republish): drains start from the beginning."""
        self.after = 0
        self._noted = self._safe = None

    def drained(self) -> None:
        """A drain begun after the last `look` finished: every row up to a value found safe then was read."""
        if self._safe is not None:
            self.after = max(self.after, self._safe)
            self._safe = None

    async def look(self, raw) -> None:
        """Check the value noted at the previous look, and note the sequence's value now (two round trips)."""
        if self._unreadable:
            return
        try:
            value = await raw.fetchval(_NOTE)
        except asyncpg.InsufficientPrivilegeError as error:
            self._unreadable = True
            log.warning("the relay may not read the outbox's sequence; its drains start at the first row",
                        extra={"error": repr(error)})
            return
        row = await raw.fetchrow(_LOOK)
        if row["hidden"] or row["cache"] != 1:
            self._noted = self._safe = None
            return
        if self._noted is not None and (row["oldest"] is None or row["oldest"] > self._noted[1]):
            self._safe = self._noted[0]
        self._noted = (value, row["now"]) if value is not None else None
