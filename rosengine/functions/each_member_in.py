"""``Fn::EachMemberIn`` — ``[[values], [allowed]]``: whether every value is among the allowed.

Duplicates do not matter (``[[1, 1], [1]]`` is true); comparison is JSON equality as in
``Fn::Equals``. An empty first list is trivially true. Membership is looked up in a set, so two
lists of 100,000 items take linear time, not 10^10 comparisons.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list, fail
from rosengine.functions.base import FunctionContext
from rosengine.functions.equals import equality_key, values_equal

NAME = "Fn::EachMemberIn"
SHAPE = "[[values], [allowed values]]"


def evaluate_each_member_in(args: Any, ctx: FunctionContext, path: Path) -> Any:
    values, allowed = expect_list(NAME, args, SHAPE, min_len=2, max_len=2)
    for index, item in enumerate((values, allowed)):
        if not isinstance(item, list):
            raise fail(NAME, f"argument {index + 1} to be a list", item, (index,))
    ctx.budget.produce(len(values) + len(allowed), NAME)
    try:
        permitted = {equality_key(candidate) for candidate in allowed}
        return all(equality_key(value) in permitted for value in values)
    except TypeError:  # a value without a key (NaN): compare pairwise, within the budget
        ctx.budget.produce(len(values) * len(allowed), NAME)
        return all(any(values_equal(value, candidate) for candidate in allowed) for value in values)


define(NAME, evaluate_each_member_in, result_type="boolean")
