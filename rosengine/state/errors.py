"""Errors of stack operations, with the ROS error codes users know
(docs/reference/ros-template-language.md#error-codes).

Why here and not in the engine: the state store is what detects most of them (a name already
taken, a stack locked by another operation, a stack that does not exist), and the engine and the
CLI only pass them on. ``http_status`` mirrors the ROS API so a future HTTP front end can reuse it.
"""

from __future__ import annotations

ACTION_IN_PROGRESS = "ActionInProgress"
STACK_EXISTS = "StackExists"
STACK_NOT_FOUND = "StackNotFound"
CHANGE_SET_NOT_FOUND = "ChangeSetNotFound"
CHANGE_SET_EXISTS = "ChangeSetExists"
NOT_SUPPORTED = "NotSupported"
STACK_VALIDATION_FAILED = "StackValidationFailed"
INVALID_STACK_STATE = "InvalidStackStatus"
OPERATION_INTERRUPTED = "OperationInterrupted"

_HTTP_STATUS = {
    ACTION_IN_PROGRESS: 409,
    STACK_EXISTS: 409,
    CHANGE_SET_EXISTS: 409,
    STACK_NOT_FOUND: 404,
    CHANGE_SET_NOT_FOUND: 404,
    OPERATION_INTERRUPTED: 409,
}


class StackError(Exception):
    """A stack operation was refused before it started (or could not be found)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS.get(self.code, 400)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def stack_not_found(name: str) -> StackError:
    return StackError(STACK_NOT_FOUND, f"The Stack ({name}) could not be found.")


def stack_exists(name: str) -> StackError:
    return StackError(STACK_EXISTS, f"The Stack ({name}) already exists.")


def action_in_progress(name: str, action: str) -> StackError:
    return StackError(ACTION_IN_PROGRESS, f"Stack {name} already has an action ({action}) in progress.")
