"""``Fn::GetStackOutput`` — ``[StackNameOrId, OutputName, RegionId?]``: another stack's output.

ROS returns ``""`` rather than failing when an argument is empty or the stack/output does not
exist, so templates can reference stacks that may not be there yet; we do the same. With no
output reader (``ctx.stack_outputs`` unset) the answer is ``""`` too, except in static
validation where it is honestly unknown. The documentation's comma form
(``Fn::GetStackOutput: Stack, Output``) is accepted as a list (UNCONFIRMED, harmless).
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, fail
from rosengine.functions.base import FunctionContext, Unknown

NAME = "Fn::GetStackOutput"
SHAPE = "[StackNameOrId, OutputName, RegionId?]"


def _arguments(args: Any) -> list[Any]:
    if isinstance(args, str) and "," in args:
        return [part.strip() for part in args.split(",")]
    if isinstance(args, list) and 2 <= len(args) <= 3:
        return args
    raise fail(NAME, SHAPE, args)


def evaluate_get_stack_output(args: Any, ctx: FunctionContext, path: Path) -> Any:
    items = _arguments(args)
    if len(items) not in (2, 3):
        raise fail(NAME, SHAPE, args)
    for i, item in enumerate(items):
        if item is not None and not isinstance(item, str):
            raise fail(NAME, f"argument {i + 1} to be a string", item, (i,))
    stack, output = items[0], items[1]
    region = items[2] if len(items) == 3 and items[2] else ctx.region
    if not stack or not output:
        return ""
    if ctx.stack_outputs is None:
        return Unknown(None, f"{NAME} {stack}.{output}") if ctx.static else ""
    value = ctx.stack_outputs.get_stack_output(stack, output, region)
    return "" if value is None else value


define(NAME, evaluate_get_stack_output)
