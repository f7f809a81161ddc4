"""``Fn::Any`` — ``[v1, v2, ...]``: true when any value is truthy.

Truthiness as a template author means it: ``true``, non-zero numbers, non-empty lists/maps, and
strings other than ``""``, ``"false"`` and ``"0"`` (parameters arrive as text, so ``"false"``
must count as false). The documentation's comma form (``Fn::Any: true, false``) is accepted
(UNCONFIRMED).
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, fail
from rosengine.functions.base import FunctionContext

NAME = "Fn::Any"
_FALSE_TEXTS = frozenset({"", "false", "0"})


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_TEXTS
    return bool(value)


def evaluate_any(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if isinstance(args, str) and "," in args:
        args = [part.strip() for part in args.split(",")]
    if not isinstance(args, list):
        raise fail(NAME, "a list of values", args)
    return any(truthy(value) for value in args)


define(NAME, evaluate_any, result_type="boolean")
