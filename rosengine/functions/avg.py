"""``Fn::Avg`` — ``[ndigits, [numbers]]``: the mean, as a float rounded to ``ndigits``.

Halves round away from zero (``[0, [2, 3]] -> 3.0``), as Python 2 and people do.

Numbers may be numeric strings (parameters arrive as text): ``[1, ["1", "2", "6.0"]] -> 3.0``.
An empty list is an error, not a division by zero.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list, fail, round_half_up, to_int, to_number
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::Avg"
SHAPE = "[ndigits, [numbers]]"


def evaluate_avg(args: Any, ctx: FunctionContext, path: Path) -> Any:
    ndigits_arg, values = expect_list(NAME, args, SHAPE, min_len=2, max_len=2)
    ndigits = to_int(NAME, ndigits_arg, "ndigits", (0,))
    if not isinstance(values, list):
        raise fail(NAME, "its second argument to be a list of numbers", values, (1,))
    if not values:
        raise FunctionError(f"{NAME} needs at least one number to average", sub_path=(1,))
    numbers = [to_number(NAME, value, f"item {i}", (1, i)) for i, value in enumerate(values)]
    try:
        return round_half_up(float(sum(numbers)) / len(numbers), ndigits)
    except OverflowError as exc:  # integers beyond a float's range
        raise FunctionError(f"{NAME}: the numbers are too large to average ({exc})", sub_path=(1,)) from exc


define(NAME, evaluate_avg, result_type="number")
