"""``Fn::Contains`` — ``[[v1, v2, ...], value]``: whether ``value`` equals a member of the list.

Members are compared with the same JSON equality as ``Fn::Equals`` (``1`` is not ``"1"``, ``true``
is not ``1``). Mostly used in Rules assertions on parameter values.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list, fail
from rosengine.functions.base import FunctionContext
from rosengine.functions.equals import values_equal

NAME = "Fn::Contains"
SHAPE = "[[values], value]"


def evaluate_contains(args: Any, ctx: FunctionContext, path: Path) -> Any:
    members, value = expect_list(NAME, args, SHAPE, min_len=2, max_len=2)
    if not isinstance(members, list):
        raise fail(NAME, "its first argument to be a list", members, (0,))
    ctx.budget.produce(len(members), NAME)
    return any(values_equal(member, value) for member in members)


define(NAME, evaluate_contains, result_type="boolean")
