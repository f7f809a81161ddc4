"""``Fn::Length`` — the number of characters of a string, items of a list or keys of a map.

ROS accepts all three (AWS only lists). ``null`` is rejected rather than counted as 0, so a
missing value is noticed. Accepts unknown values: a list of unknown items still has a known
length in static validation.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, fail
from rosengine.functions.base import FunctionContext, Unknown

NAME = "Fn::Length"


def evaluate_length(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if isinstance(args, Unknown):
        return Unknown("integer", NAME)
    if not isinstance(args, str | list | dict):
        raise fail(NAME, "a string, list or map", args)
    return len(args)


define(NAME, evaluate_length, result_type="integer", accepts_unknown=True)
