"""``Fn::FindInMap`` — ``[MapName, TopLevelKey, SecondLevelKey]`` looked up in ``Mappings``.

Lazy only for the optional AWS-style fourth argument ``{"DefaultValue": x}``, which is evaluated
only when the lookup misses (UNCONFIRMED for ROS; accepted because users porting AWS templates
expect it and it is harmless otherwise). Numeric keys are matched as text because YAML turns a
key like ``1234`` into an integer while a ``Ref`` to a String parameter yields ``"1234"``.
A miss without a default is an error that lists the keys that do exist.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import arg_path, define, describe, fail
from rosengine.functions.base import FunctionContext, FunctionError, Unknown, contains_unknown

NAME = "Fn::FindInMap"
SHAPE = "[MapName, TopLevelKey, SecondLevelKey]"
_MISSING = object()


def _lookup(table: Any, key: Any) -> Any:
    if not isinstance(table, dict):
        return _MISSING
    if key in table:
        return table[key]
    text = str(key).lower() if isinstance(key, bool) else str(key)
    for candidate, value in table.items():
        if str(candidate) == text:
            return value
    return _MISSING


def _key_list(table: Any) -> str:
    keys = [str(k) for k in table] if isinstance(table, dict) else []
    shown = ", ".join(keys[:10]) + (", ..." if len(keys) > 10 else "")
    return shown or "none"


def evaluate_find_in_map(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if not isinstance(args, list) or len(args) not in (3, 4):
        raise fail(NAME, SHAPE, args)
    keys = [ctx.evaluate(node, arg_path(path, NAME, i)) for i, node in enumerate(args[:3])]
    if contains_unknown(keys):
        return Unknown(None, NAME)
    for i, key in enumerate(keys):
        if not isinstance(key, str | int | float | bool):
            raise fail(NAME, f"argument {i + 1} to be a string key", key, (i,))
    default: Any = _MISSING
    if len(args) == 4:
        option = args[3]
        if not isinstance(option, dict) or set(option) != {"DefaultValue"}:
            raise FunctionError(
                f'{NAME} expects its fourth argument to be {{"DefaultValue": value}} but got '
                f"{describe(option)}",
                sub_path=(3,),
            )
        default = option["DefaultValue"]
    map_name, top_key, second_key = keys
    table: Any = ctx.mappings
    for depth, (key, what) in enumerate(((map_name, "mapping"), (top_key, "key"), (second_key, "key"))):
        found = _lookup(table, key)
        if found is _MISSING:
            if default is not _MISSING:
                return ctx.evaluate(default, arg_path(path, NAME, 3, "DefaultValue"))
            where = "Mappings" if depth == 0 else "Mappings." + ".".join(str(k) for k in keys[:depth])
            raise FunctionError(
                f"{NAME}: {what} {str(key)!r} not found in {where} (available: {_key_list(table)})",
                sub_path=(depth,),
            )
        table = found
    return table


define(NAME, evaluate_find_in_map, lazy=True)
