"""``Fn::Equals`` — ``[a, b]`` -> whether the two resolved values are equal.

Plain equality of values as ROS (Heat) does it, so ``0`` and ``"0"`` differ: a Number parameter
resolves to a number and is compared with a number. Two deliberate refinements over Python's
``==``: a boolean never equals a number (``true`` vs ``1`` — different JSON types), while ``1`` and
``1.0`` are equal. Usable as the outer function of a condition.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list
from rosengine.functions.base import FunctionContext

NAME = "Fn::Equals"
SHAPE = "[value1, value2]"


def values_equal(left: Any, right: Any) -> bool:
    """JSON equality: like ``==`` but booleans are not numbers, recursively."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(values_equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(values_equal(v, right[k]) for k, v in left.items())
    return left == right


def equality_key(value: Any) -> Hashable:
    """A hashable stand-in with the same equality as :func:`values_equal` (so membership tests over
    long lists take linear time): booleans apart from numbers, ``1 == 1.0``, containers by value.
    Raises TypeError for a value no template produces (then compare with :func:`values_equal`)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        if value != value:  # NaN equals nothing, not even itself
            raise TypeError("NaN has no equality key")
        return ("number", value)
    if isinstance(value, str) or value is None:
        return ("text", value)
    if isinstance(value, list):
        return ("list", tuple(equality_key(item) for item in value))
    if isinstance(value, dict):
        return ("map", frozenset((key, equality_key(item)) for key, item in value.items()))
    raise TypeError(f"no equality key for {type(value).__name__}")


def evaluate_equals(args: Any, ctx: FunctionContext, path: Path) -> Any:
    left, right = expect_list(NAME, args, SHAPE, min_len=2, max_len=2)
    return values_equal(left, right)


define(NAME, evaluate_equals, result_type="boolean", condition_function=True)
