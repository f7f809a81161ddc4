"""``Fn::EachMemberIn`` — ``[[values], [allowed]]``: whether every value is among the allowed.

Duplicates do not matter (``[[1, 1], [1]]`` is true); comparison is JSON equality as in
``Fn::Equals``. An empty first list is trivially true.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list, fail
from rosengine.functions.base import FunctionContext
from rosengine.functions.equals import values_equal

NAME = "Fn::EachMemberIn"
SHAPE = "[[values], [allowed values]]"


def evaluate_each_member_in(args: Any, ctx: FunctionContext, path: Path) -> Any:
    values, allowed = expect_list(NAME, args, SHAPE, min_len=2, max_len=2)
    for index, item in enumerate((values, allowed)):
        if not isinstance(item, list):
            raise fail(NAME, f"argument {index + 1} to be a list", item, (index,))
    return all(any(values_equal(value, candidate) for candidate in allowed) for value in values)


define(NAME, evaluate_each_member_in, result_type="boolean")
