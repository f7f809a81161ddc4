"""The state store interface: what the engine and the CLI need, independent of SQLite.

Why an interface: the engine must not know how state is kept (a test may use a throwaway store,
a future server may use another database). Every method that changes state is atomic on its own;
``transaction()`` groups several (a resource's status and its event are written together, so a
killed process never leaves one without the other).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

from rosengine.state.models import (
    ChangeSetRecord,
    EventRecord,
    OutputRecord,
    ResourceRecord,
    StackRecord,
)
from rosengine.state.owner import Owner
from rosengine.state.statuses import Status


class StateBatch(ABC):
    """The writes of one step (a resource's row and its event; a stack's status and its event),
    collected in memory and applied together, all or nothing, when the batch's ``with`` block ends
    without an exception (nothing is written when it raises).

    Why a batch and not only :meth:`StateStore.transaction`: a transaction runs each statement as
    it is called, so on a server database every write is a round trip; a batch knows all its
    writes before it sends any, so the store sends them with the commit at once. Nothing can be
    read through a batch: a step that reads what it writes uses a transaction."""

    @abstractmethod
    def put_resource(self, resource: ResourceRecord) -> None: ...

    @abstractmethod
    def delete_resource(self, stack_id: str, logical_id: str, role: str) -> None: ...

    @abstractmethod
    def add_event(self, event: EventRecord) -> EventRecord:
        """The event, whose ``seq`` is set when the batch is applied."""

    @abstractmethod
    def update_stack(self, stack_id: str, **fields: Any) -> None: ...

    @abstractmethod
    def set_outputs(self, stack_id: str, outputs: list[OutputRecord]) -> None: ...

    @abstractmethod
    def release(self, stack_id: str, owner: Owner) -> None:
        """Unlock the stack if ``owner`` holds it, with the batch's other writes (an operation's
        last commit: its final status and its release in one). Once the batch is applied,
        :attr:`released` says whether this ran and :attr:`released_stack` is the stack as it was
        left (None when ``owner`` no longer held it), as :meth:`StateStore.release` returns."""

    released: bool = False
    released_stack: StackRecord | None = None


class StateStore(ABC):
    # -- grouping -------------------------------------------------------------------------------
    @abstractmethod
    def transaction(self) -> AbstractContextManager[object]:
        """Group changes: all or nothing. Re-entrant."""

    @abstractmethod
    def batch(self) -> AbstractContextManager[StateBatch]:
        """Collect writes and apply them together when the block ends (:class:`StateBatch`);
        inside a :meth:`transaction` they join it; a batch opened inside another batch of the same
        thread joins that one (its writes are applied when the outer one ends)."""

    # -- stacks ---------------------------------------------------------------------------------
    @abstractmethod
    def insert_stack(self, stack: StackRecord) -> None:
        """Add a stack; raises StackExists when a live stack already has the name."""

    @abstractmethod
    def find_stack(self, name_or_id: str) -> StackRecord | None:
        """A live stack by name or id (a deleted one only by id)."""

    @abstractmethod
    def list_stacks(self, *, include_deleted: bool = False) -> list[StackRecord]: ...

    @abstractmethod
    def update_stack(self, stack_id: str, **fields: Any) -> None:
        """Set fields of :class:`StackRecord` (``updated_at`` is refreshed)."""

    @abstractmethod
    def remove_stack(self, stack_id: str) -> None:
        """Forget a stack entirely (change-set-created stacks that are never executed)."""

    # -- locking --------------------------------------------------------------------------------
    @abstractmethod
    def acquire(
        self,
        stack_id: str,
        owner: Owner,
        *,
        allow_interrupted: bool = False,
        seen: StackRecord | None = None,
    ) -> StackRecord:
        """Lock the stack for ``owner``. Raises ActionInProgress when a live owner holds it, and
        OperationInterrupted when a dead owner left it ``*_IN_PROGRESS`` (unless
        ``allow_interrupted``: continue/rollback/delete take over such a stack). ``seen``: the
        stack as the caller has just read it, decided on without reading it again; the lock is
        taken only if its owner, heartbeat and status are still what was seen, else the stack
        is read and the decision made again."""

    @abstractmethod
    def release(self, stack_id: str, owner: Owner) -> StackRecord | None:
        """Unlock the stack if ``owner`` holds it; returns the stack as it is then (None when
        ``owner`` no longer held it), so an operation's result needs no read of its own."""

    @abstractmethod
    def beat(self, stack_id: str, owner: Owner) -> None:
        """Refresh the owner's heartbeat."""

    # -- resources ------------------------------------------------------------------------------
    @abstractmethod
    def put_resource(self, resource: ResourceRecord) -> None:
        """Insert or replace the row (stack id, logical id, role)."""

    @abstractmethod
    def get_resources(self, stack_id: str, *, role: str | None = None) -> list[ResourceRecord]:
        """The stack's resources (of one role), in the order they were last put."""

    @abstractmethod
    def delete_resource(self, stack_id: str, logical_id: str, role: str) -> None: ...

    # -- events ---------------------------------------------------------------------------------
    @abstractmethod
    def add_event(self, event: EventRecord) -> EventRecord:
        """Append; returns the event with its sequence number."""

    @abstractmethod
    def list_events(self, stack_id: str) -> list[EventRecord]:
        """Oldest first."""

    # -- outputs --------------------------------------------------------------------------------
    @abstractmethod
    def set_outputs(self, stack_id: str, outputs: list[OutputRecord]) -> None: ...

    @abstractmethod
    def get_outputs(self, stack_id: str) -> list[OutputRecord]: ...

    # -- change sets ----------------------------------------------------------------------------
    @abstractmethod
    def insert_change_set(self, change_set: ChangeSetRecord) -> None: ...

    @abstractmethod
    def find_change_set(self, name_or_id: str, stack_id: str | None = None) -> ChangeSetRecord | None: ...

    @abstractmethod
    def list_change_sets(self, stack_id: str) -> list[ChangeSetRecord]: ...

    @abstractmethod
    def update_change_set(self, change_set_id: str, **fields: Any) -> None: ...

    @abstractmethod
    def delete_change_set(self, change_set_id: str) -> None: ...

    # -- Fn::GetStackOutput ---------------------------------------------------------------------
    def get_stack_output(self, stack_name_or_id: str, output_name: str, region: str | None) -> Any:
        """StackOutputReader: another stack's output value, or "" when the stack or output does
        not exist (ROS returns an empty string rather than failing,
        docs/reference/ros-template-language.md#references-and-look-ups). NoEcho values are returned in clear:
        the reading stack needs the real value."""
        stack = self.find_stack(stack_name_or_id)
        if stack is None or stack.status == Status.DELETE_COMPLETE:
            return ""
        if region and stack.identity.get("region") not in (None, region):
            return ""
        for output in self.get_outputs(stack.id):
            if output.key == output_name:
                return output.value
        return ""

    def iter_resources(self, stack_id: str) -> Iterator[ResourceRecord]:
        yield from self.get_resources(stack_id)

    def close(self) -> None:
        """Release connections (no-op by default)."""
