"""What a create or update would do, per resource, without doing it (PreviewStack, change sets,
and the "no changes" check of UpdateStack).

Values that cannot be known before running (the attributes of a resource that will be created
or replaced) are :class:`Unknown`; a create-only property that changes only because of such a
value makes the replacement ``Conditional``, one that changes statically ``True``
(docs/reference/ros-template-language.md#change-sets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rosengine.engine.diff import PropertyDiff, diff_properties, normalise
from rosengine.engine.preflight import local_support_note
from rosengine.state.models import ResourceRecord
from rosengine.template.prepare import PreparedTemplate
from rosengine.validate import unknown_attribute as static_attribute
from rosengine.validate import unknown_physical_id


class ChangeAction(StrEnum):
    """What a create or update does to one resource (ROS's ``Action`` of a resource change)."""

    ADD = "Add"
    MODIFY = "Modify"
    REMOVE = "Remove"
    NONE = "None"  # unchanged: shown by PreviewStack, left out of a change set's Changes


class Replacement(StrEnum):
    """Whether a ``Modify`` replaces the resource (ROS's ``Replacement``): ``Conditional`` when a
    create-only property changes only through a value known after apply."""

    TRUE = "True"
    FALSE = "False"
    CONDITIONAL = "Conditional"


@dataclass
class ResourceChange:
    logical_id: str
    type: str
    action: ChangeAction
    replacement: Replacement = Replacement.FALSE
    physical_id: str = ""
    properties: dict[str, Any] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    replacement_reasons: list[str] = field(default_factory=list)
    scope: list[str] = field(default_factory=list)
    required_by: list[str] = field(default_factory=list)
    dynamic: list[str] = field(default_factory=list)

    def as_preview(self, placeholders: bool = False) -> dict[str, Any]:
        """One entry of PreviewStack's Resources (plus the reasons for a replacement)."""
        return {
            "LogicalResourceId": self.logical_id,
            "ResourceType": self.type,
            "Action": self.action.value,
            "Replacement": self.shown_replacement().value,
            "ReplacementReason": self.reason(),
            "PhysicalResourceId": self.physical_id,
            "Properties": normalise(self.properties),
            "RequiredBy": self.required_by,
            "Note": local_support_note(self.type, placeholders)
            if self.action in (ChangeAction.ADD, ChangeAction.MODIFY)
            else "",
        }

    def shown_replacement(self) -> Replacement:
        """Only a ``Modify`` can replace."""
        return self.replacement if self.action == ChangeAction.MODIFY else Replacement.FALSE

    def reason(self) -> str:
        if self.shown_replacement() == Replacement.FALSE:
            return ""
        if self.replacement_reasons == ["Type"]:
            return "the resource type changed"
        names = ", ".join(self.replacement_reasons)
        if self.replacement == Replacement.CONDITIONAL:
            return f"create-only properties may change (their values are known only after apply): {names}"
        return f"create-only properties changed: {names}"

    def as_change(self, placeholders: bool = False) -> dict[str, Any]:
        """One entry of a change set's Changes (docs/reference/ros-template-language.md#change-sets);
        a resource that will be a placeholder carries a ``Note`` saying so (not in ROS's shape: ROS
        has no placeholders)."""
        details = []
        for name in self.changed:
            dynamic = name in self.dynamic
            recreation = "Always" if name in self.replacement_reasons else "Never"
            details.append(
                {
                    "ChangeSource": "ResourceReference" if dynamic else "DirectModification",
                    "Evaluation": "Dynamic" if dynamic else "Static",
                    "Target": {"Attribute": "Properties", "Name": name, "RequiresRecreation": recreation},
                }
            )
        change: dict[str, Any] = {
            "Type": "Resource",
            "ResourceChange": {
                "Action": self.action.value,
                "LogicalResourceId": self.logical_id,
                "PhysicalResourceId": self.physical_id,
                "ResourceType": self.type,
                "Replacement": self.shown_replacement().value,
                "Scope": self.scope,
                "Details": details,
            },
        }
        note = (
            local_support_note(self.type, placeholders)
            if self.action in (ChangeAction.ADD, ChangeAction.MODIFY)
            else ""
        )
        if note:
            change["ResourceChange"]["Note"] = note
        return change


def _required_by(prepared: PreparedTemplate, logical_id: str) -> list[str]:
    return sorted(prepared.graph.dependents(logical_id))


def plan_create(prepared: PreparedTemplate) -> list[ResourceChange]:
    types = {lid: d.type for lid, d in prepared.resources.items()}
    attribute = static_attribute(types)
    changes = []
    for logical_id in prepared.graph.creation_order():
        definition = prepared.resources[logical_id]
        props = prepared.resolve_properties(logical_id, attribute, unknown_physical_id)
        changes.append(
            ResourceChange(
                logical_id,
                definition.type,
                ChangeAction.ADD,
                properties=props,
                required_by=_required_by(prepared, logical_id),
            )
        )
    return changes


def _meta_scope(record: ResourceRecord, definition: Any) -> list[str]:
    scope = []
    if normalise(definition.metadata) != normalise(record.metadata):
        scope.append("Metadata")
    if (definition.deletion_policy or "Delete") != record.deletion_policy:
        scope.append("DeletionPolicy")
    return scope


def plan_update(prepared: PreparedTemplate, current: dict[str, ResourceRecord]) -> list[ResourceChange]:
    """Changes from the ``current`` rows to ``prepared``; Removes last, in reverse order."""
    types = {lid: d.type for lid, d in prepared.resources.items()}
    unknown_attribute = static_attribute(types)
    will_be_new: set[str] = set()

    def attribute(logical_id: str, name: str) -> Any:
        record = current.get(logical_id)
        if logical_id in will_be_new or record is None:
            return unknown_attribute(logical_id, name)
        return record.attributes.get(name)

    def physical_id(logical_id: str) -> Any:
        record = current.get(logical_id)
        if logical_id in will_be_new or record is None:
            return unknown_physical_id(logical_id)
        return record.physical_id

    changes: list[ResourceChange] = []
    for logical_id in prepared.graph.creation_order():
        definition = prepared.resources[logical_id]
        record = current.get(logical_id)
        props = prepared.resolve_properties(logical_id, attribute, physical_id)
        required_by = _required_by(prepared, logical_id)
        if record is None or not record.physical_id:
            will_be_new.add(logical_id)
            changes.append(
                ResourceChange(
                    logical_id, definition.type, ChangeAction.ADD, properties=props, required_by=required_by
                )
            )
            continue
        change = ResourceChange(
            logical_id,
            definition.type,
            ChangeAction.NONE,
            physical_id=record.physical_id or "",
            properties=props,
            required_by=required_by,
        )
        if record.type != definition.type:
            change.action, change.replacement = ChangeAction.MODIFY, Replacement.TRUE
            change.replacement_reasons = ["Type"]
            change.scope = ["Properties"]
            will_be_new.add(logical_id)
            changes.append(change)
            continue
        found: PropertyDiff = diff_properties(definition.type, record.properties, props)
        change.scope = (["Properties"] if found.any else []) + _meta_scope(record, definition)
        if change.scope:
            change.action = ChangeAction.MODIFY
            change.changed, change.dynamic = found.changed, found.dynamic
            if found.replacing:
                change.replacement = Replacement.TRUE
                change.replacement_reasons = found.replacing + found.replacing_dynamic
                will_be_new.add(logical_id)
            elif found.replacing_dynamic:
                change.replacement = Replacement.CONDITIONAL
                change.replacement_reasons = found.replacing_dynamic
                will_be_new.add(logical_id)
        changes.append(change)
    removed = [r for lid, r in current.items() if lid not in prepared.resources]
    for record in reversed(removed):
        changes.append(
            ResourceChange(
                record.logical_id,
                record.type,
                ChangeAction.REMOVE,
                physical_id=record.physical_id or "",
                properties=record.properties,
            )
        )
    return changes


def has_changes(changes: list[ResourceChange]) -> bool:
    return any(c.action != ChangeAction.NONE for c in changes)
