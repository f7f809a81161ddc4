"""Stack and resource status strings (docs/reference/ros-template-language.md#statuses) and the reasons ROS
shows with them."""

from __future__ import annotations

STACK_TYPE = "ALIYUN::ROS::Stack"

CREATE = "CREATE"
UPDATE = "UPDATE"
DELETE = "DELETE"
CREATE_ROLLBACK = "CREATE_ROLLBACK"
ROLLBACK = "ROLLBACK"

IN_PROGRESS = "IN_PROGRESS"
COMPLETE = "COMPLETE"
FAILED = "FAILED"

INIT_COMPLETE = "INIT_COMPLETE"
REVIEW_IN_PROGRESS = "REVIEW_IN_PROGRESS"
DELETE_COMPLETE = "DELETE_COMPLETE"

STATE_CHANGED = "state changed"


def status(action: str, phase: str) -> str:
    return f"{action}_{phase}"


def is_failure(value: str) -> bool:
    return value.endswith("_FAILED")
