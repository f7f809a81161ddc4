"""What timer triggers remember across restarts: the last tick each trigger fired for.

:class:`TimerStateStore` is what :class:`~fcbackend.triggers.timer.TimerService` needs, including
who fires: several backends sharing one database must fire each tick once, so only the process
that holds the timers' leadership fires (one backend per state directory holds it trivially),
and each tick is claimed in the database before it fires (:meth:`TimerStateStore.claim`), so a
leader that lost its lock without knowing it yet cannot fire a tick the new leader fires.
"""

from __future__ import annotations

import builtins  # a method named like a builtin shadows it in the class body
from typing import Protocol

from sqlstore import Database, DatabaseUrl, Migration, Schema, SqliteDatabase, Statement


class TimerStateStore(Protocol):
    def get(self, key: str) -> float | None:
        """The last tick (epoch seconds) the trigger ``service/function/name`` fired for."""
        ...

    def set(self, key: str, last: float) -> None: ...

    def claim(self, key: str, previous: float, tick: float) -> bool:
        """Record ``tick`` as the trigger's last fired tick if it is still ``previous``: True if
        this process fires the tick. A compare and set in the database, so that two processes
        that both believe they lead (the leader's database session was lost and another took
        the lock before the old leader looked again) never fire one tick twice."""
        ...

    def forget_except(self, keys: builtins.set[str]) -> None:
        """Drop every trigger not in ``keys`` (deleted triggers start afresh if re-created)."""
        ...

    def try_lead(self) -> bool:
        """Whether this process fires timers now (taken when free, then kept until close)."""
        ...

    def close(self) -> None: ...


SCHEMA = Schema(
    "fc.timers",
    (
        # IF NOT EXISTS: a database from before the migrations ledger has exactly this table.
        Migration(
            1,
            "last fired tick per trigger",
            "CREATE TABLE IF NOT EXISTS timer_state (key TEXT PRIMARY KEY, last REAL NOT NULL)",
        ),
    ),
)
LEADER_LOCK = "timer-leader"


class SqliteTimerStateStore:
    """:class:`TimerStateStore` in an SQLite database (``timers.db``; in memory by default)."""

    def __init__(self, database: Database | None = None) -> None:
        self.database = database or SqliteDatabase(DatabaseUrl.memory())
        self.database.migrate(SCHEMA)
        self._put = self.database.dialect.upsert("timer_state", ("key", "last"), ("key",))

    def get(self, key: str) -> float | None:
        with self.database.reading() as session:
            row = session.execute("SELECT last FROM timer_state WHERE key=?", (key,)).fetchone()
        return float(row[0]) if row else None

    def set(self, key: str, last: float) -> None:
        with self.database.transaction() as session:
            session.execute(self._put, (key, last))

    def claim(self, key: str, previous: float, tick: float) -> bool:
        (outcome,) = self.database.run_batch(
            [Statement("UPDATE timer_state SET last = ? WHERE key = ? AND last = ?", (tick, key, previous))],
            row_locks=True,
        )
        return outcome.rowcount == 1

    def forget_except(self, keys: builtins.set[str]) -> None:
        with self.database.transaction() as session:
            existing = {k for (k,) in session.execute("SELECT key FROM timer_state").fetchall()}
            for key in existing - keys:
                session.execute("DELETE FROM timer_state WHERE key=?", (key,))

    def try_lead(self) -> bool:
        return self.database.try_advisory_lock(LEADER_LOCK)

    def close(self) -> None:
        self.database.close()
