"""Write status changes and their events together, then tell the listener.

Why together: a resource's status and the event that announces it are one fact. Writing both in
one batch (one transaction) means that after a kill -9 the store never shows a status without its
event (or the reverse), and recovery can trust the resource rows; a batch also sends both with
the commit at once (one round trip to a PostgreSQL server).

:meth:`Recorder.grouped` widens that to a wave of the walk: every step recorded inside it (on the
same thread) joins one batch, committed when the block ends, and the listener hears of the
events only then (listeners are told what is committed, and an event's ``seq`` is known only
after its commit). :meth:`Recorder.defer` carries a write into the next commit, whatever records
it: an operation's opening status goes with its first wave (one commit fewer per operation).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from rosengine.engine.progress import ProgressListener
from rosengine.state.models import EventRecord, ResourceRecord, StackRecord, now_iso
from rosengine.state.statuses import STACK_TYPE, STATE_CHANGED, Status
from rosengine.state.store import StateBatch, StateStore


class _HeldEvents(threading.local):
    """The events of the group this thread has open (told to the listener after its commit)."""

    events: list[EventRecord] | None = None


class Recorder:
    def __init__(self, store: StateStore, stack: StackRecord, listener: ProgressListener):
        self.store = store
        self.stack = stack
        self.listener = listener
        self._held = _HeldEvents()
        self._deferred: list[Callable[[], None]] = []
        self._deferred_lock = threading.Lock()

    def defer(self, write: Callable[[], None]) -> None:
        """Run ``write`` (writes through this recorder or the store's batch) inside the next batch
        this recorder commits, first, instead of in a commit of its own: on a shared database
        every commit is a round trip. Nothing in between may depend on it being stored; a commit
        that fails gives it to the next one."""
        with self._deferred_lock:
            self._deferred.append(write)

    def flush(self) -> None:
        """Commit what is still deferred (an operation that ends without recording again)."""
        with self._batch():
            pass

    @contextmanager
    def _batch(self) -> Iterator[StateBatch]:
        """The store's batch, with the deferred writes run in it first."""
        with self._deferred_lock:
            writes, self._deferred = self._deferred, []
        try:
            with self.store.batch() as batch:
                for write in writes:
                    write()
                yield batch
        except BaseException:
            if writes:  # not committed: they go with the next commit
                with self._deferred_lock:
                    self._deferred[:0] = writes
            raise

    def grouped(self) -> AbstractContextManager[object]:
        """Record everything this thread records inside the block in one batch (one commit when
        the block ends; nothing when it raises), then tell the listener its events in order. A
        group opened inside another joins it. Provider threads (progress events) are never part
        of the walking thread's group: their events are committed at once."""
        return self._grouped()

    @contextmanager
    def _grouped(self) -> Iterator[None]:
        held = self._held
        if held.events is not None:
            yield
            return
        events: list[EventRecord] = []
        held.events = events
        try:
            with self._batch():
                yield
        finally:
            held.events = None
        for event in events:
            self.listener.on_event(event)

    def _tell(self, event: EventRecord) -> None:
        """The listener hears of a committed event: now, or when the open group is committed."""
        held = self._held.events
        if held is not None:
            held.append(event)
        else:
            self.listener.on_event(event)

    def _event(
        self, logical_id: str, physical_id: str | None, type_: str, status: Status, reason: str
    ) -> EventRecord:
        return EventRecord(
            id=str(uuid.uuid4()),
            stack_id=self.stack.id,
            stack_name=self.stack.name,
            logical_id=logical_id,
            physical_id=physical_id or "",
            type=type_,
            status=status,
            reason=reason,
            time=now_iso(),
        )

    def stack_status(self, status: Status, reason: str, **fields: Any) -> None:
        """Set the stack's status (and other fields) and log a stack-level event."""
        event = self._event(self.stack.name, self.stack.id, STACK_TYPE, status, reason)
        with self._batch() as batch:
            batch.update_stack(self.stack.id, status=status, reason=reason, **fields)
            batch.add_event(event)
        self.stack.status, self.stack.reason = status, reason
        for key, value in fields.items():
            setattr(self.stack, key, value)
        self._tell(event)

    def resource(
        self, record: ResourceRecord, status: Status, reason: str = STATE_CHANGED, *, event: bool = True
    ) -> None:
        """Store the resource row with its new status and log the event."""
        record.status, record.reason = status, reason
        with self._batch() as batch:
            batch.put_resource(record)
            ev = (
                batch.add_event(
                    self._event(record.logical_id, record.physical_id, record.type, status, reason)
                )
                if event
                else None
            )
        if ev is not None:
            self._tell(ev)

    def resource_event(self, record: ResourceRecord, status: Status, reason: str) -> None:
        """An event about a resource whose row is not (or no longer) stored (a provider's
        progress, from its own thread; in the walking thread's group when recorded there)."""
        with self._batch() as batch:
            ev = batch.add_event(
                self._event(record.logical_id, record.physical_id, record.type, status, reason)
            )
        self._tell(ev)

    def forget(self, record: ResourceRecord, status: Status, reason: str) -> None:
        """Remove the row and log its final event in one transaction."""
        with self._batch() as batch:
            batch.delete_resource(record.stack_id, record.logical_id, record.role)
            ev = batch.add_event(
                self._event(record.logical_id, record.physical_id, record.type, status, reason)
            )
        self._tell(ev)
