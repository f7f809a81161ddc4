"""Evaluate a stack's Outputs after create/update (docs/reference/ros-template-language.md#outputs).

GetAtt reads the attributes providers reported, Ref the physical ids; outputs whose Condition is
false are omitted by ``resolve_outputs``; NoEcho is kept with the value so every display masks it
while Fn::GetStackOutput (another stack reading it) still gets the real value.
UNCONFIRMED: an output that cannot be evaluated fails the operation (ROS/Heat may keep an error
string instead); failing loudly points at the template error at once.
"""

from __future__ import annotations

from typing import Any

from rosengine.engine.operation import OperationContext
from rosengine.state.models import OutputRecord
from rosengine.template.prepare import PreparedTemplate


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def evaluate_outputs(rt: OperationContext, prepared: PreparedTemplate) -> list[OutputRecord]:
    values = prepared.resolve_outputs(rt.attribute, rt.physical_id)
    definitions = prepared.template.outputs
    records = []
    for name, value in values.items():
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
