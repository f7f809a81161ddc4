"""The durable queue of async invocations, as the dispatcher and the task APIs use it.

What an implementation must guarantee: an accepted submission is on the disk before
:meth:`AsyncQueueStore.insert_many` returns (the caller's 202 is honest: FC's delivery is
at-least-once); each other method is atomic; a claimed event is claimed by one worker only.
``fcbackend.store_factory`` opens the implementation that fits the configured database
(:class:`~fcbackend.asyncq.sqlite_store.SqliteAsyncQueueStore`).
"""

from __future__ import annotations

import builtins  # a method named like a builtin shadows it in the class body
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from fcbackend.asyncq.records import AsyncEvent, AsyncSubmission, TaskStatus


class AsyncQueueStore(Protocol):
    # -- writes -------------------------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[object]:
        """Group several writes into one commit, all or nothing (the dispatcher settles the
        outcomes of concurrent attempts together). Re-entrant."""
        ...

    def insert_many(self, submissions: Sequence[AsyncSubmission], now: float) -> list[bool]:
        """Store submissions durably in one transaction; per item, False when the id existed."""
        ...

    def claim_due(self, now: float, limit: int) -> tuple[list[AsyncEvent], list[AsyncEvent]]:
        """Mark up to ``limit`` due events Running and return (to run, expired meanwhile)."""
        ...

    def finish(self, event: AsyncEvent, status: TaskStatus, now: float, **fields: Any) -> bool:
        """Record a final state unless the event already finished (a stop raced us); a stop
        requested meanwhile wins (the event ends Stopped). Fields: error_message,
        return_payload, instance_id, duration_ms, version_id."""
        ...

    def retry_later(self, event: AsyncEvent, next_at: float, now: float, **fields: Any) -> bool:
        """Put a running event back in the queue, due at ``next_at``; False when it is no longer
        running (a requested stop is settled as Stopped)."""
        ...

    def request_stop(self, invocation_id: str, now: float) -> TaskStatus | None:
        """Stop a task: waiting ones stop at once, running ones go to Stopping. Returns the
        status before the call (None if unknown)."""
        ...

    def recover(self, now: float) -> int:
        """After a restart: events that were Running are due again (at-least-once); Stopping
        ones are Stopped. Returns how many were re-queued."""
        ...

    def record_delivery(
        self, invocation_id: str, condition: str, destination: str, payload: dict[str, Any], now: float
    ) -> None:
        """Remember a destination record sent for an event."""
        ...

    def set_destination_status(self, invocation_id: str, status: str) -> None: ...

    # -- reads --------------------------------------------------------------------------------

    def get(self, invocation_id: str) -> AsyncEvent | None:
        """The event with its task events (stateful invocations)."""
        ...

    def list(
        self,
        service: str | None = None,
        function: str | None = None,
        *,
        status: str | None = None,
        prefix: str | None = None,
        stateful_only: bool = False,
        started_begin: float | None = None,
        started_end: float | None = None,
        limit: int = 100,
        offset: int = 0,
        descending: bool = False,
    ) -> builtins.list[AsyncEvent]:
        """Events in creation order (``started_*`` bound the creation time)."""
        ...

    def stateful_functions(self) -> builtins.list[tuple[str, str, str]]:
        """Distinct ``(service, function, qualifier)`` that hold task records (task listing API)."""
        ...

    def next_due(self) -> float | None:
        """When the earliest waiting event is due (None: nothing waits)."""
        ...

    def counts(self) -> dict[str, int]:
        """Events per status."""
        ...

    def deliveries(self, invocation_id: str | None = None) -> builtins.list[dict[str, Any]]:
        """Destination records sent (of one event), oldest first."""
        ...

    def close(self) -> None: ...
