"""Records the state store keeps: stacks, resources, events, outputs, change sets.

Why plain dataclasses: the engine, the CLI and tests read and build them without knowing about
SQLite; every record has ``as_api()`` giving the ROS API shape (GetStack, ListStackResources,
ListStackEvents …) that ``--output json`` prints, with NoEcho parameters masked.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

MASK = "******"

# Resource rows: the live one, and the old one of a replacement awaiting deletion.
ROLE_CURRENT = "current"
ROLE_REPLACED = "replaced"


def now_iso() -> str:
    """ROS time format: ISO-8601 UTC ``YYYY-MM-DDThh:mm:ss``."""
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def mask_parameters(values: dict[str, Any], no_echo: set[str] | list[str]) -> dict[str, Any]:
    hidden = set(no_echo)
    return {k: (MASK if k in hidden else v) for k, v in values.items()}


@dataclass
class StackRecord:
    id: str
    name: str
    status: str
    reason: str = ""
    template_body: str = ""
    template_filename: str = ""
    # The expansion of a template with a Transform (GetTemplate TemplateStage=Processed); "" when
    # the template had none (its processed form is template_body itself).
    processed_template: str = ""
    # What the user passed (strings, as the API receives them): reused by UsePreviousParameters.
    parameters: dict[str, Any] = field(default_factory=dict)
    # Every parameter after binding (typed, pseudo parameters included), for display.
    resolved_parameters: dict[str, Any] = field(default_factory=dict)
    no_echo: list[str] = field(default_factory=list)
    identity: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    created_at: str = ""
    updated_at: str = ""
    # The running (or interrupted) operation: action, request, and what a rollback needs.
    operation: dict[str, Any] | None = None
    owner_pid: int | None = None
    owner_host: str | None = None
    owner_started: str | None = None
    heartbeat: float | None = None
    # Nested stacks (ALIYUN::ROS::Stack): the stack whose resource this one is, and the top one.
    parent_stack_id: str | None = None
    root_stack_id: str | None = None

    @property
    def action(self) -> str:
        """``CREATE`` for ``CREATE_IN_PROGRESS``, ``CREATE_ROLLBACK`` for its rollback …"""
        for suffix in ("_IN_PROGRESS", "_COMPLETE", "_FAILED"):
            if self.status.endswith(suffix):
                return self.status[: -len(suffix)]
        return self.status

    @property
    def in_progress(self) -> bool:
        return self.status.endswith("_IN_PROGRESS") and self.status != "REVIEW_IN_PROGRESS"

    def masked_parameters(self) -> dict[str, Any]:
        return mask_parameters(self.resolved_parameters or self.parameters, self.no_echo)

    def as_api(self, outputs: list[OutputRecord] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "StackId": self.id,
            "StackName": self.name,
            "Status": self.status,
            "StatusReason": self.reason,
            "Description": self.description,
            "CreateTime": self.created_at,
            "UpdateTime": self.updated_at,
            "RegionId": self.identity.get("region", ""),
            "DisableRollback": bool(self.options.get("disable_rollback", False)),
            "TimeoutInMinutes": self.options.get("timeout_mins", 60),
            "Parameters": [
                {"ParameterKey": k, "ParameterValue": v} for k, v in self.masked_parameters().items()
            ],
        }
        if self.parent_stack_id:
            data["ParentStackId"] = self.parent_stack_id
            data["RootStackId"] = self.root_stack_id or self.parent_stack_id
        if outputs is not None:
            data["Outputs"] = [o.as_api() for o in outputs]
        return data


@dataclass
class ResourceRecord:
    stack_id: str
    logical_id: str
    type: str
    status: str = "INIT_COMPLETE"
    physical_id: str | None = None
    reason: str = ""
    properties: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    metadata: Any = None
    description: str | None = None
    deletion_policy: str = "Delete"
    depends_on: list[str] = field(default_factory=list)
    role: str = ROLE_CURRENT
    # Snapshot taken before an update touched this resource, so a failed update can be undone.
    previous: dict[str, Any] | None = None
    created_at: str = ""
    updated_at: str = ""
    # How the resource exists here when it is not a full twin ("record: ...", "placeholder: ...",
    # "no-op locally: ..."): the provider's note, kept for describe after later status changes.
    note: str = ""
    # Deployed as a placeholder (its type has no local twin; created on request, --placeholders).
    placeholder: bool = False

    def as_api(self, stack_name: str = "") -> dict[str, Any]:
        data: dict[str, Any] = {
            "LogicalResourceId": self.logical_id,
            "PhysicalResourceId": self.physical_id or "",
            "ResourceType": self.type,
            "Status": self.status,
            "StatusReason": self.reason,
            "CreateTime": self.created_at,
            "UpdateTime": self.updated_at,
            "StackId": self.stack_id,
            "StackName": stack_name,
        }
        if self.note:
            data["LocalNote"] = self.note
        if self.placeholder:
            data["Placeholder"] = True
        return data


@dataclass
class EventRecord:
    id: str
    stack_id: str
    stack_name: str
    logical_id: str
    physical_id: str
    type: str
    status: str
    reason: str
    time: str
    seq: int = 0

    def as_api(self) -> dict[str, Any]:
        return {
            "EventId": self.id,
            "StackId": self.stack_id,
            "StackName": self.stack_name,
            "LogicalResourceId": self.logical_id,
            "PhysicalResourceId": self.physical_id,
            "ResourceType": self.type,
            "Status": self.status,
            "StatusReason": self.reason,
            "CreateTime": self.time,
        }


@dataclass
class OutputRecord:
    key: str
    value: Any
    description: str = ""
    no_echo: bool = False

    def as_api(self) -> dict[str, Any]:
        data = {"OutputKey": self.key, "OutputValue": MASK if self.no_echo else self.value}
        if self.description:
            data["Description"] = self.description
        return data


@dataclass
class ChangeSetRecord:
    id: str
    stack_id: str
    stack_name: str
    name: str
    type: str  # CREATE | UPDATE
    status: str = "CREATE_COMPLETE"
    execution_status: str = "AVAILABLE"
    reason: str = ""
    template_body: str = ""
    template_filename: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""
    created_at: str = ""

    def as_api(self, no_echo: list[str] | None = None) -> dict[str, Any]:
        return {
            "ChangeSetId": self.id,
            "ChangeSetName": self.name,
            "ChangeSetType": self.type,
            "Description": self.description,
            "Status": self.status,
            "ExecutionStatus": self.execution_status,
            "StatusReason": self.reason,
            "CreateTime": self.created_at,
            "StackId": self.stack_id,
            "StackName": self.stack_name,
            "TimeoutInMinutes": self.options.get("timeout_mins", 60),
            "DisableRollback": bool(self.options.get("disable_rollback", False)),
            "Parameters": [
                {"ParameterKey": k, "ParameterValue": v}
                for k, v in mask_parameters(self.parameters, no_echo or []).items()
            ],
            "Changes": self.changes,
        }
