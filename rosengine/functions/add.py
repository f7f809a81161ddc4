"""``Fn::Add`` — ``[v1, v2, ...]`` of one kind: numbers are summed, lists concatenated, maps merged
(later keys win).

At least two values (ROS). Ints and floats may be mixed; anything else mixed is an error naming
the first value of another kind, since there is no sensible sum of a list and a number.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, describe, expect_list, is_number
from rosengine.functions.base import FunctionContext, FunctionError
from rosengine.limits import INTEGER_BITS

NAME = "Fn::Add"
SHAPE = "a list of at least 2 numbers, lists or maps"


def _kind(value: Any) -> str | None:
    if is_number(value):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return None


def evaluate_add(args: Any, ctx: FunctionContext, path: Path) -> Any:
    expect_list(NAME, args, SHAPE, min_len=2)
    kind = _kind(args[0])
    if kind is None:
        raise FunctionError(
            f"{NAME} can add numbers, lists or maps but item 0 is {describe(args[0])}", sub_path=(0,)
        )
    for index, value in enumerate(args[1:], start=1):
        if _kind(value) != kind:
            raise FunctionError(
                f"{NAME} expects every item to be a {kind} like the first, but item {index} is "
                f"{describe(value)}",
                sub_path=(index,),
            )
    if kind == "number":
        return _sum(args)
    ctx.budget.produce(sum(len(value) for value in args), NAME)  # before concatenating or merging
    if kind == "list":
        return [item for value in args for item in value]
    merged: dict = {}
    for value in args:
        merged.update(value)
    return merged


def _sum(numbers: list[Any]) -> int | float:
    """The sum, refused before it is computed when it could outgrow printable integers or floats."""
    largest = max((abs(n).bit_length() for n in numbers if isinstance(n, int)), default=0)
    INTEGER_BITS.check(largest + len(numbers).bit_length(), subject=f"a sum made by {NAME}")
    try:
        return sum(numbers)
    except OverflowError as exc:  # an integer too large for a float beside it
        raise FunctionError(f"{NAME}: the sum is too large ({exc})") from exc


define(NAME, evaluate_add)
