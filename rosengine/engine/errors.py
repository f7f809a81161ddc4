"""Errors the engine raises before an operation starts; re-exported from the state layer so
callers need one import. Failures *during* an operation are not exceptions: they end in a
``*_FAILED`` / ``*_ROLLBACK_*`` status with a reason, as in ROS."""

from __future__ import annotations

from rosengine.state.errors import (
    ACTION_IN_PROGRESS,
    CHANGE_SET_NOT_FOUND,
    INVALID_STACK_STATE,
    NOT_SUPPORTED,
    OPERATION_INTERRUPTED,
    STACK_EXISTS,
    STACK_NOT_FOUND,
    STACK_VALIDATION_FAILED,
    StackError,
    stack_not_found,
)

__all__ = [
    "ACTION_IN_PROGRESS",
    "CHANGE_SET_NOT_FOUND",
    "INVALID_STACK_STATE",
    "NOT_SUPPORTED",
    "OPERATION_INTERRUPTED",
    "STACK_EXISTS",
    "STACK_NOT_FOUND",
    "STACK_VALIDATION_FAILED",
    "StackError",
    "stack_not_found",
]
