"""``Fn::Length`` — the number of characters of a string, items of a list or keys of a map.

ROS accepts all three (AWS only lists). ``null`` is rejected rather than counted as 0, so a
missing value is noticed.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, fail
from rosengine.functions.base import FunctionContext

NAME = "Fn::Length"


def evaluate_length(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if not isinstance(args, str | list | dict):
        raise fail(NAME, "a string, list or map", args)
    return len(args)


define(NAME, evaluate_length, result_type="integer")
