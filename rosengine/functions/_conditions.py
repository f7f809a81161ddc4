"""Resolving one operand of ``Fn::And`` / ``Fn::Or`` / ``Fn::Not`` (shared by the three).

An operand is either the name of another condition (looked up with ``ctx.condition``, which also
detects cycles) or a nested condition expression (evaluated with ``ctx.evaluate``). Literal
booleans and their string spellings are accepted too, since a ``Ref`` to a Boolean parameter or a
``Fn::If`` may produce them. The result is ``True``/``False`` or an :class:`Unknown` boolean in
static validation.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import arg_path, describe
from rosengine.functions.base import FunctionContext, FunctionError, Unknown

BOOLEAN = "boolean"


def operand(name: str, node: Any, ctx: FunctionContext, path: Path, *index: int) -> bool | Unknown:
    where = arg_path(path, name, *index)
    if isinstance(node, bool):
        return node
    if isinstance(node, str):
        return ctx.condition(node, where)
    if isinstance(node, dict):
        value = ctx.evaluate(node, where)
        if isinstance(value, bool | Unknown):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise FunctionError(
            f"{name} expects a condition but the expression evaluated to {describe(value)}", sub_path=index
        )
    raise FunctionError(
        f"{name} expects a condition name or a condition expression but got {describe(node)}", sub_path=index
    )


def combine(name: str, args: Any, ctx: FunctionContext, path: Path, *, stop_at: bool) -> bool | Unknown:
    """Shared body of And (``stop_at=False``) and Or (``stop_at=True``): evaluate left to right,
    stop at the first operand equal to ``stop_at``; an unknown operand makes the result unknown
    unless a later one decides it."""
    if not isinstance(args, list) or len(args) < 2:
        raise FunctionError(f"{name} expects a list of at least 2 conditions but got {describe(args)}")
    unknown = False
    for index, node in enumerate(args):
        value = operand(name, node, ctx, path, index)
        if isinstance(value, Unknown):
            unknown = True
        elif value is stop_at:
            return stop_at
    return Unknown(BOOLEAN, name) if unknown else not stop_at
