"""``Fn::Index`` — ``[item, list]``: the zero-based position of the first equal member.

Not found gives ``""`` (ROS), not ``-1`` and not an error, so the result can feed ``Fn::Select``
defaults and conditions. Equality is JSON equality as in ``Fn::Equals``.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list, fail
from rosengine.functions.base import FunctionContext
from rosengine.functions.equals import values_equal

NAME = "Fn::Index"
SHAPE = "[item, list]"


def evaluate_index(args: Any, ctx: FunctionContext, path: Path) -> Any:
    item, items = expect_list(NAME, args, SHAPE, min_len=2, max_len=2)
    if not isinstance(items, list):
        raise fail(NAME, "its second argument to be a list", items, (1,))
    ctx.budget.produce(len(items), NAME)
    for position, member in enumerate(items):
        if values_equal(member, item):
            return position
    return ""


define(NAME, evaluate_index)
