"""Shared body of ``Fn::Max`` and ``Fn::Min``: compare numerically, return the original item.

Items may be numbers or numeric strings; the winning item is returned as given (``[1.1, 2, 3]``
-> ``3``, an int; ``["10", "9"]`` -> ``"10"``), which is what "original type kept" means.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rosengine.functions._args import fail, to_number
from rosengine.functions.base import FunctionError


def extremum(name: str, args: Any, pick: Callable[..., Any]) -> Any:
    if not isinstance(args, list):
        raise fail(name, "a list of numbers", args)
    if not args:
        raise FunctionError(f"{name} needs at least one number")
    keyed = [(to_number(name, value, f"item {i}", (i,)), i) for i, value in enumerate(args)]
    _, winner = pick(keyed, key=lambda pair: pair[0])
    return args[winner]
