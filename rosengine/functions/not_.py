"""``Fn::Not`` — negates one condition (``not_`` because ``not`` is a keyword).

ROS takes a single operand (a condition name or expression); the AWS one-element list form is
accepted too so ported templates work (our choice; see
docs/reference/ros-template-language.md#conditions-and-predicates).
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, describe
from rosengine.functions._conditions import BOOLEAN, operand
from rosengine.functions.base import FunctionContext, FunctionError, Unknown

NAME = "Fn::Not"


def evaluate_not(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if isinstance(args, list):
        if len(args) != 1:
            raise FunctionError(f"{NAME} expects a single condition but got {describe(args)}")
        value = operand(NAME, args[0], ctx, path, 0)
    else:
        value = operand(NAME, args, ctx, path)
    return Unknown(BOOLEAN, NAME) if isinstance(value, Unknown) else not value


define(NAME, evaluate_not, lazy=True, result_type="boolean", condition_function=True)
