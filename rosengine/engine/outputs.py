"""Evaluate a stack's Outputs after create/update (docs/reference/ros-template-language.md#outputs).

GetAtt reads the attributes providers reported, Ref the physical ids; outputs whose Condition is
false are omitted by ``resolve_outputs``; NoEcho is kept with the value so every display masks it
while Fn::GetStackOutput (another stack reading it) still gets the real value.
UNCONFIRMED: an output that cannot be evaluated fails the operation (ROS/Heat may keep an error
string instead); failing loudly points at the template error at once.

One exception, only with ``--placeholders``: an output that fails while reading a placeholder's
attributes (``Fn::Jq`` into an application's ``Output`` that only the cloud would fill) cannot be
right locally whatever the template says; the output then holds a marked text naming the
placeholders it read and the error, and the stack deploys (its placeholder count says so).
"""

from __future__ import annotations

from typing import Any

from rosengine.engine.operation import OperationContext
from rosengine.errors import TemplateError
from rosengine.functions.base import NO_VALUE
from rosengine.state.models import OutputRecord
from rosengine.template.prepare import PreparedTemplate


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def evaluate_outputs(rt: OperationContext, prepared: PreparedTemplate) -> list[OutputRecord]:
    definitions = prepared.template.outputs
    records = []
    for name in prepared.outputs:
        value = _output_value(rt, prepared, name)
        if value is NO_VALUE:
            continue
        definition = definitions.get(name)
        definition = definition if isinstance(definition, dict) else {}
        records.append(
            OutputRecord(
                key=name,
                value=value,
                description=str(definition.get("Description") or ""),
                no_echo=_truthy(definition.get("NoEcho")),
            )
        )
    return records


def _output_value(rt: OperationContext, prepared: PreparedTemplate, name: str) -> Any:
    """The output's value; a marked text instead of an error when what failed read placeholders."""
    read: set[str] = set()

    def attribute(logical_id: str, attribute_name: str) -> Any:
        read.add(logical_id)
        return rt.attribute(logical_id, attribute_name)

    def physical_id(logical_id: str) -> Any:
        read.add(logical_id)
        return rt.physical_id(logical_id)

    try:
        return prepared.resolve_output(name, attribute, physical_id)
    except TemplateError as exc:
        stand_ins = sorted(
            f"{lid} ({rt.resources[lid].type})"
            for lid in read
            if lid in rt.resources and rt.resources[lid].placeholder
        )
        if not rt.placeholders or not stand_ins:
            raise
        return f"placeholder: computed from {', '.join(stand_ins)}, which only the cloud fills in ({exc})"
