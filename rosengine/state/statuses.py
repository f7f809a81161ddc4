"""The status names of stacks, resources, events and change sets
(docs/reference/ros-template-language.md#statuses), as enums.

Why string enums: every member *is* its ROS name (``Status.CREATE_COMPLETE == "CREATE_COMPLETE"``),
so the state store keeps writing and reading the same text as before, JSON output and f-strings
show the plain name, and a status read back from an existing database becomes a member again
(``Status("UPDATE_FAILED")``). A status is ``<action>_<phase>`` (``CREATE_ROLLBACK_IN_PROGRESS``),
apart from ``INIT_COMPLETE`` (a resource row whose create has not started) and
``REVIEW_IN_PROGRESS`` (a stack that exists only for its CREATE change sets).
"""

from __future__ import annotations

from enum import StrEnum

# The resource type of stack-level events (ListStackEvents shows the stack as a resource).
STACK_TYPE = "ALIYUN::ROS::Stack"
# The StatusReason ROS gives a resource whose operation simply went through.
STATE_CHANGED = "state changed"


class Action(StrEnum):
    """What an operation does; the first half of a status."""

    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    # Undoing a failed create (deleting what it made) and a failed update (back to the previous
    # template): ROS names them differently.
    CREATE_ROLLBACK = "CREATE_ROLLBACK"
    ROLLBACK = "ROLLBACK"


class Phase(StrEnum):
    """Where an operation is; the second half of a status."""

    IN_PROGRESS = "IN_PROGRESS"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"


class Status(StrEnum):
    """A stack's or a resource's status (also the status of an event, and of a change set's
    creation: ``CREATE_COMPLETE`` or ``CREATE_FAILED``)."""

    INIT_COMPLETE = "INIT_COMPLETE"
    REVIEW_IN_PROGRESS = "REVIEW_IN_PROGRESS"
    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    CREATE_COMPLETE = "CREATE_COMPLETE"
    CREATE_FAILED = "CREATE_FAILED"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_COMPLETE = "UPDATE_COMPLETE"
    UPDATE_FAILED = "UPDATE_FAILED"
    DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
    DELETE_COMPLETE = "DELETE_COMPLETE"
    DELETE_FAILED = "DELETE_FAILED"
    CREATE_ROLLBACK_IN_PROGRESS = "CREATE_ROLLBACK_IN_PROGRESS"
    CREATE_ROLLBACK_COMPLETE = "CREATE_ROLLBACK_COMPLETE"
    CREATE_ROLLBACK_FAILED = "CREATE_ROLLBACK_FAILED"
    ROLLBACK_IN_PROGRESS = "ROLLBACK_IN_PROGRESS"
    ROLLBACK_COMPLETE = "ROLLBACK_COMPLETE"
    ROLLBACK_FAILED = "ROLLBACK_FAILED"

    @classmethod
    def of(cls, action: Action, phase: Phase) -> Status:
        """``Status.of(Action.CREATE, Phase.FAILED)`` is ``CREATE_FAILED``."""
        return cls(f"{action}_{phase}")

    @property
    def phase(self) -> Phase | None:
        """The phase of an ``<action>_<phase>`` status (``INIT_COMPLETE`` and
        ``REVIEW_IN_PROGRESS`` belong to no operation: None)."""
        if self in (Status.INIT_COMPLETE, Status.REVIEW_IN_PROGRESS):
            return None
        return next(phase for phase in Phase if self.endswith(f"_{phase}"))

    @property
    def action(self) -> Action | None:
        """The action of an ``<action>_<phase>`` status; None for ``INIT_COMPLETE`` and
        ``REVIEW_IN_PROGRESS``."""
        phase = self.phase
        return None if phase is None else Action(self[: -len(phase) - 1])

    @property
    def in_progress(self) -> bool:
        """An operation is running (or its process died while it ran)."""
        return self.phase is Phase.IN_PROGRESS

    @property
    def failed(self) -> bool:
        return self.phase is Phase.FAILED


class ChangeSetType(StrEnum):
    """Whether a change set creates its stack or updates it (ChangeSetType)."""

    CREATE = "CREATE"
    UPDATE = "UPDATE"


class ExecutionStatus(StrEnum):
    """Whether a change set can be executed, and how its execution went (ExecutionStatus)."""

    AVAILABLE = "AVAILABLE"
    UNAVAILABLE = "UNAVAILABLE"
    EXECUTE_IN_PROGRESS = "EXECUTE_IN_PROGRESS"
    EXECUTE_COMPLETE = "EXECUTE_COMPLETE"
    EXECUTE_FAILED = "EXECUTE_FAILED"
    OBSOLETE = "OBSOLETE"
