"""``Fn::If`` — ``[ConditionName, ValueIfTrue, ValueIfFalse]`` (``if_``: ``if`` is a keyword).

Only the chosen branch is evaluated, so the other may reference resources that a false condition
removed. Either branch may be ``{"Ref": "ALIYUN::NoValue"}`` to drop the enclosing property.
The condition is normally a name; an inline condition expression is accepted as well. When the
condition is unknown (static validation), both branches are evaluated so both get checked: equal
results are returned as such, otherwise an :class:`Unknown` of their common type.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import arg_path, define, describe
from rosengine.functions._conditions import operand
from rosengine.functions.base import NO_VALUE, FunctionContext, FunctionError, Unknown

NAME = "Fn::If"
SHAPE = "[ConditionName, ValueIfTrue, ValueIfFalse]"

_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)


def json_type(value: Any) -> str | None:
    if isinstance(value, Unknown):
        return value.type
    for python_type, name in _JSON_TYPES:
        if isinstance(value, python_type):
            return name
    return None


def evaluate_if(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if not isinstance(args, list) or len(args) != 3:
        raise FunctionError(f"{NAME} expects {SHAPE} but got {describe(args)}")
    chosen = operand(NAME, args[0], ctx, path, 0)
    if not isinstance(chosen, Unknown):
        branch = 1 if chosen else 2
        return ctx.evaluate(args[branch], arg_path(path, NAME, branch))
    when_true = ctx.evaluate(args[1], arg_path(path, NAME, 1))
    when_false = ctx.evaluate(args[2], arg_path(path, NAME, 2))
    if when_true == when_false and not isinstance(when_true, Unknown):
        return when_true
    true_type, false_type = json_type(when_true), json_type(when_false)
    if when_true is NO_VALUE or when_false is NO_VALUE:
        return Unknown(false_type if when_true is NO_VALUE else true_type, NAME)
    return Unknown(true_type if true_type == false_type else None, NAME)


define(NAME, evaluate_if, lazy=True)
