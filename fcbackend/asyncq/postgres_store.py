""":class:`~fcbackend.asyncq.store.AsyncQueueStore` in a PostgreSQL database that several backends share.

What changes from one backend on SQLite (:class:`~fcbackend.asyncq.sqlite_store.SqliteAsyncQueueStore`,
whose statements this store reuses):

* **Claims run side by side.** A claim selects due rows ``FOR UPDATE SKIP LOCKED`` in a transaction
  that does not take the database's write lock, so each backend gets different events and none
  waits for another's claim; state changes of one event lock that event's row first.
* **Every claimed event names its owner**: the store instance (one per backend process) that runs
  it. Each owner holds a session advisory lock named after itself for as long as it lives, so the
  server frees that lock the moment its process dies (kill -9 included) or loses its connection.
* **Orphans are adopted, not guessed at.** :meth:`recover` (at start) and every claim after
  :data:`ADOPT_EVERY_S` look at the owners of Running and Stopping events; an owner whose lock
  can be taken is gone, and its Running events are due again (at-least-once), its Stopping ones
  Stopped. A live backend's events are never touched, however long they run: there is no lease
  to expire under a slow function.
* :meth:`next_due` is at most :data:`ADOPT_EVERY_S` away (wall clock), so an idle backend still
  looks for other backends' submissions and orphans.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from fcbackend.asyncq.records import AsyncEvent, AsyncSubmission, TaskStatus
from fcbackend.asyncq.sqlite_store import (
    _COLUMNS,
    _WAITING,
    SCHEMA,
    SqliteAsyncQueueStore,
    _add_event,
    _maybe_event,
    _row_to_event,
)
from sqlstore import Database, DatabaseUnavailable, Migration, Schema, Session

ADOPT_EVERY_S = 1.0
# The task event a re-queued invocation gets (the same words as a restart on SQLite).
_REQUEUED = "re-queued after restart"
OWNER_LOCK_PREFIX = "fc.async-owner:"

POSTGRES_SCHEMA = Schema(
    SCHEMA.store,
    (
        Migration(
            1,
            SCHEMA.migrations[0].name + "; owners of running events",
            str(SCHEMA.migrations[0].apply)
            + """;
            ALTER TABLE async_events ADD COLUMN owner TEXT;
            CREATE INDEX async_events_owner ON async_events (status, owner)
            """,
        ),
    ),
)


class PostgresAsyncQueueStore(SqliteAsyncQueueStore):
    schema = POSTGRES_SCHEMA

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.owner = uuid.uuid4().hex
        if not database.try_advisory_lock(OWNER_LOCK_PREFIX + self.owner):
            raise RuntimeError(f"cannot take the async queue's owner lock on {database.url}")
        self._adopted_at = float("-inf")
        self._unsettled: set[str] = set()

    def close(self) -> None:
        self.database.release_advisory_lock(OWNER_LOCK_PREFIX + self.owner)
        super().close()

    def transaction(self) -> AbstractContextManager[object]:
        return self.database.transaction(row_locks=True)

    # -- writes -------------------------------------------------------------------------------

    def insert_many(self, submissions: Sequence[AsyncSubmission], now: float) -> list[bool]:
        # ON CONFLICT DO NOTHING is safe beside other writers: no write lock needed.
        with self.database.transaction(durable=True, row_locks=True):
            return super().insert_many(submissions, now)

    def claim_due(self, now: float, limit: int) -> tuple[list[AsyncEvent], list[AsyncEvent]]:
        """One statement claims: the due events' rows are locked (others skip them), marked
        Running and owned by this backend, and returned. Events past their maximum age are never
        claimed; they are settled Expired by the sweep that also adopts orphans (at most
        :data:`ADOPT_EVERY_S` later)."""
        expired: list[AsyncEvent] = []
        if now - self._adopted_at >= ADOPT_EVERY_S:
            self._adopt_orphans(now)
            expired = self._expire(now)
        with self.database.transaction(row_locks=True) as session:
            rows = session.execute(
                "UPDATE async_events SET status = ?, attempts = attempts + 1, "
                "started = COALESCE(started, ?), owner = ? WHERE id IN (SELECT id FROM async_events "
                "WHERE status IN (?, ?) AND next_at <= ? AND created + max_event_age_s > ? "
                f"ORDER BY next_at LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING {_COLUMNS}",
                (str(TaskStatus.RUNNING), now, self.owner, *_WAITING, now, now, limit),
            ).fetchall()
            to_run = sorted((_row_to_event(row) for row in rows), key=lambda e: (e.next_at, e.invocation_id))
            for event in to_run:
                _maybe_event(session, event, TaskStatus.RUNNING, now, f"attempt {event.attempts}")
        return to_run, expired

    def _expire(self, now: float) -> list[AsyncEvent]:
        with self.database.transaction(row_locks=True) as session:
            rows = session.execute(
                f"SELECT {_COLUMNS} FROM async_events WHERE status IN (?, ?) AND next_at <= ? "
                f"AND created + max_event_age_s <= ? FOR UPDATE SKIP LOCKED",
                (*_WAITING, now, now),
            ).fetchall()
            expired = [_row_to_event(row) for row in rows]
            for event in expired:
                message = f"event older than maxAsyncEventAgeInSeconds ({int(event.max_event_age_s)} s)"
                session.execute(
                    "UPDATE async_events SET status = ?, ended = ?, error_message = ? WHERE id = ?",
                    (str(TaskStatus.EXPIRED), now, message, event.invocation_id),
                )
                _maybe_event(session, event, TaskStatus.EXPIRED, now, "message expired")
                event.status, event.ended, event.error_message = TaskStatus.EXPIRED, now, message
        return expired

    def finish(self, event: AsyncEvent, status: TaskStatus, now: float, **fields: Any) -> bool:
        with self._settling(event), self.database.transaction(row_locks=True) as session:
            # The common case in one statement: the event is still Running (no stop raced it).
            if _update_if_running(session, event.invocation_id, status=str(status), ended=now, **fields):
                _maybe_event(session, event, status, now, fields.get("error_message") or "")
                return True
            _lock_row(session, event.invocation_id)
            return super().finish(event, status, now, **fields)

    def retry_later(self, event: AsyncEvent, next_at: float, now: float, **fields: Any) -> bool:
        with self._settling(event), self.database.transaction(row_locks=True) as session:
            retrying = str(TaskStatus.RETRYING)
            if _update_if_running(session, event.invocation_id, status=retrying, next_at=next_at, **fields):
                _maybe_event(session, event, TaskStatus.RETRYING, now, fields.get("error_message") or "")
                return True
            _lock_row(session, event.invocation_id)
            return super().retry_later(event, next_at, now, **fields)

    def request_stop(self, invocation_id: str, now: float) -> TaskStatus | None:
        with self.database.transaction(row_locks=True) as session:
            _lock_row(session, invocation_id)
            return super().request_stop(invocation_id, now)

    def record_delivery(
        self, invocation_id: str, condition: str, destination: str, payload: dict[str, Any], now: float
    ) -> None:
        with self.database.transaction(row_locks=True):
            super().record_delivery(invocation_id, condition, destination, payload, now)

    def set_destination_status(self, invocation_id: str, status: str) -> None:
        with self.database.transaction(row_locks=True):
            super().set_destination_status(invocation_id, status)

    def recover(self, now: float) -> int:
        """Events of backends that are gone are due again; this backend's own (a fresh owner)
        are none. Returns how many were re-queued."""
        return self._adopt_orphans(now)

    def next_due(self) -> float | None:
        poll = time.time() + ADOPT_EVERY_S
        try:
            due = super().next_due()
        except DatabaseUnavailable:
            return poll  # look again shortly: the dispatcher keeps going while the server is away
        return poll if due is None else min(due, poll)

    # -- orphans ------------------------------------------------------------------------------

    @contextmanager
    def _settling(self, event: AsyncEvent) -> Iterator[None]:
        """An outcome that could not be written (the server went away) leaves the event Running
        and owned by this living backend, so nobody else would ever re-run it: remember it, and
        the next sweep puts it back in the queue (at-least-once)."""
        try:
            yield
        except DatabaseUnavailable:
            self._unsettled.add(event.invocation_id)
            raise

    def _requeue_unsettled(self, now: float) -> int:
        unsettled = set(self._unsettled)
        with self.database.transaction(row_locks=True) as session:
            count = session.execute(
                "UPDATE async_events SET status = ?, next_at = ?, owner = NULL "
                "WHERE id = ANY(?) AND status = ? AND owner = ?",
                (str(TaskStatus.ENQUEUED), now, list(unsettled), str(TaskStatus.RUNNING), self.owner),
            ).rowcount
        self._unsettled -= unsettled
        return count

    def _adopt_orphans(self, now: float) -> int:
        self._adopted_at = now
        requeued = self._requeue_unsettled(now) if self._unsettled else 0
        with self.database.reading() as session:
            owners = [
                owner
                for (owner,) in session.execute(
                    "SELECT DISTINCT owner FROM async_events WHERE status IN (?, ?) AND owner IS NOT NULL",
                    (str(TaskStatus.RUNNING), str(TaskStatus.STOPPING)),
                ).fetchall()
                if owner != self.owner
            ]
        for owner in owners:
            lock = OWNER_LOCK_PREFIX + owner
            if not self.database.try_advisory_lock(lock):
                continue  # that backend is alive and runs its events
            try:
                requeued += self._requeue_owned_by(owner, now)
            finally:
                self.database.release_advisory_lock(lock)
        return requeued

    def _requeue_owned_by(self, owner: str, now: float) -> int:
        with self.database.transaction(row_locks=True) as session:
            rows = session.execute(
                "SELECT id, stateful FROM async_events WHERE status = ? AND owner = ? FOR UPDATE SKIP LOCKED",
                (str(TaskStatus.RUNNING), owner),
            ).fetchall()
            for invocation_id, stateful in rows:
                session.execute(
                    "UPDATE async_events SET status = ?, next_at = ?, owner = NULL WHERE id = ?",
                    (str(TaskStatus.ENQUEUED), now, invocation_id),
                )
                if stateful:
                    _add_event(session, invocation_id, TaskStatus.ENQUEUED, now, _REQUEUED)
            session.execute(
                "UPDATE async_events SET status = ?, ended = ?, owner = NULL WHERE status = ? AND owner = ?",
                (str(TaskStatus.STOPPED), now, str(TaskStatus.STOPPING), owner),
            )
        return len(rows)


def _lock_row(session: Session, invocation_id: str) -> None:
    """Hold the event's row until the transaction ends: a stop and an outcome of the same event
    (from two backends) then apply one after the other."""
    session.execute("SELECT 1 FROM async_events WHERE id = ? FOR UPDATE", (invocation_id,))


def _update_if_running(session: Session, invocation_id: str, **fields: Any) -> bool:
    names = ", ".join(f"{name} = ?" for name in fields)
    cursor = session.execute(
        f"UPDATE async_events SET {names} WHERE id = ? AND status = ?",
        (*fields.values(), invocation_id, str(TaskStatus.RUNNING)),
    )
    return cursor.rowcount == 1
