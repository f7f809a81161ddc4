"""Records the state store keeps: stacks, resources, events, outputs, change sets.

Why plain dataclasses: the engine, the CLI and tests read and build them without knowing about
SQLite; every record has ``as_api()`` giving the ROS API shape (GetStack, ListStackResources,
ListStackEvents …) that ``--output json`` prints, with NoEcho parameters masked.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from rosengine.state.statuses import ChangeSetType, ExecutionStatus, Phase, Status

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
    status: Status
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

    def __post_init__(self) -> None:
        self.status = Status(self.status)  # the store reads the name back as text

    @property
    def action(self) -> str:
        """``CREATE`` for ``CREATE_IN_PROGRESS``, ``CREATE_ROLLBACK`` for its rollback …"""
        for suffix in (f"_{phase}" for phase in Phase):
            if self.status.endswith(suffix):
                return self.status[: -len(suffix)]
        return self.status

    @property
    def in_progress(self) -> bool:
        return self.status.in_progress

    def masked_parameters(self) -> dict[str, Any]:
        return mask_parameters(self.resolved_parameters or self.parameters, self.no_echo)

    def as_api(self, outputs: list[OutputRecord] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "StackId": self.id,
            "StackName": self.name,
            "Status": self.status.value,
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


@dataclass(frozen=True)
class ChangedInPlace:
    """The row as it was before the running update changed it in place (its properties, or only
    its metadata, deletion policy, dependencies or description): a rollback puts these back."""

    type: str
    physical_id: str | None
    status: Status
    reason: str
    properties: dict[str, Any]
    attributes: dict[str, Any]
    metadata: Any
    description: str | None
    deletion_policy: str
    depends_on: list[str]
    # How the resource existed here (ResourceRecord.note, .placeholder); snapshots written before
    # these fields existed lack them, hence the defaults.
    note: str = ""
    placeholder: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))  # text when read back from the store

    @classmethod
    def of(cls, record: ResourceRecord) -> ChangedInPlace:
        """A deep copy of ``record``'s fields (later changes to the record do not reach it)."""
        return cls(
            type=record.type,
            physical_id=record.physical_id,
            status=record.status,
            reason=record.reason,
            properties=copy.deepcopy(record.properties),
            attributes=copy.deepcopy(record.attributes),
            metadata=copy.deepcopy(record.metadata),
            description=record.description,
            deletion_policy=record.deletion_policy,
            depends_on=list(record.depends_on),
            note=record.note,
            placeholder=record.placeholder,
        )

    def restore(self, record: ResourceRecord) -> None:
        """Put the saved fields back into ``record`` (copies: the snapshot stays as it was)."""
        record.type, record.physical_id = self.type, self.physical_id
        record.status, record.reason = self.status, self.reason
        record.properties = copy.deepcopy(self.properties)
        record.attributes = copy.deepcopy(self.attributes)
        record.metadata = copy.deepcopy(self.metadata)
        record.description, record.deletion_policy = self.description, self.deletion_policy
        record.depends_on = list(self.depends_on)
        record.note, record.placeholder = self.note, self.placeholder


@dataclass(frozen=True)
class AddedByUpdate:
    """The running update created this resource (it was not in the stack): a rollback deletes it."""


@dataclass(frozen=True)
class ReplacementOf:
    """The running update created this resource to replace ``old_physical_id`` (parked as the
    ``replaced`` row, deleted when the update completes): a rollback deletes the new one and the
    original becomes current again."""

    old_physical_id: str


UpdateUndo = ChangedInPlace | AddedByUpdate | ReplacementOf


def undo_to_json(undo: UpdateUndo | None) -> dict[str, Any] | None:
    """The stored form of ``ResourceRecord.previous``. Why these shapes: they are what databases
    written before the typed form hold, so an update interrupted by an older version still rolls
    back: the saved fields by name, ``{"added": true}``, ``{"replaced": true, "old_physical_id"}``."""
    if undo is None:
        return None
    if isinstance(undo, AddedByUpdate):
        return {"added": True}
    if isinstance(undo, ReplacementOf):
        return {"replaced": True, "old_physical_id": undo.old_physical_id}
    return dataclasses.asdict(undo)


def undo_from_json(data: dict[str, Any] | None) -> UpdateUndo | None:
    """``ResourceRecord.previous`` from its stored form (:func:`undo_to_json`)."""
    if data is None:
        return None
    if data.get("added"):
        return AddedByUpdate()
    if data.get("replaced"):
        return ReplacementOf(str(data.get("old_physical_id") or ""))
    fields = dataclasses.fields(ChangedInPlace)
    return ChangedInPlace(**{field.name: data[field.name] for field in fields if field.name in data})


@dataclass
class ResourceRecord:
    stack_id: str
    logical_id: str
    type: str
    status: Status = Status.INIT_COMPLETE
    physical_id: str | None = None
    reason: str = ""
    properties: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    metadata: Any = None
    description: str | None = None
    deletion_policy: str = "Delete"
    depends_on: list[str] = field(default_factory=list)
    role: str = ROLE_CURRENT
    # What the running update did to this row, so a failed update can be undone (None outside an
    # update, and for rows the update has not touched).
    previous: UpdateUndo | None = None
    created_at: str = ""
    updated_at: str = ""
    # How the resource exists here when it is not a full twin ("record: ...", "placeholder: ...",
    # "no-op locally: ..."): the provider's note, kept for describe after later status changes.
    note: str = ""
    # Deployed as a placeholder (its type has no local twin; created on request, --placeholders).
    placeholder: bool = False

    def __post_init__(self) -> None:
        self.status = Status(self.status)

    def as_api(self, stack_name: str = "") -> dict[str, Any]:
        data: dict[str, Any] = {
            "LogicalResourceId": self.logical_id,
            "PhysicalResourceId": self.physical_id or "",
            "ResourceType": self.type,
            "Status": self.status.value,
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
    status: Status
    reason: str
    time: str
    seq: int = 0

    def __post_init__(self) -> None:
        self.status = Status(self.status)

    def as_api(self) -> dict[str, Any]:
        return {
            "EventId": self.id,
            "StackId": self.stack_id,
            "StackName": self.stack_name,
            "LogicalResourceId": self.logical_id,
            "PhysicalResourceId": self.physical_id,
            "ResourceType": self.type,
            "Status": self.status.value,
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
    type: ChangeSetType
    status: Status = Status.CREATE_COMPLETE
    execution_status: ExecutionStatus = ExecutionStatus.AVAILABLE
    reason: str = ""
    template_body: str = ""
    template_filename: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""
    created_at: str = ""

    def __post_init__(self) -> None:
        self.type = ChangeSetType(self.type)
        self.status = Status(self.status)
        self.execution_status = ExecutionStatus(self.execution_status)

    def as_api(self, no_echo: list[str] | None = None) -> dict[str, Any]:
        return {
            "ChangeSetId": self.id,
            "ChangeSetName": self.name,
            "ChangeSetType": self.type.value,
            "Description": self.description,
            "Status": self.status.value,
            "ExecutionStatus": self.execution_status.value,
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
