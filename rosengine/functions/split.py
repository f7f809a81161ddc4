"""``Fn::Split`` — ``[delimiter, string]`` -> list of strings.

Plain splitting without trimming whitespace (Heat's ``str.split``; ROS docs disagree with each
other, UNCONFIRMED), so ``"a, b"`` split on ``","`` keeps the space in ``" b"``.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list, fail
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::Split"
SHAPE = "[delimiter, string]"


def evaluate_split(args: Any, ctx: FunctionContext, path: Path) -> Any:
    delimiter, text = expect_list(NAME, args, SHAPE, min_len=2, max_len=2)
    if not isinstance(delimiter, str):
        raise fail(NAME, "the delimiter to be a string", delimiter, (0,))
    if not delimiter:
        raise FunctionError(f"{NAME} expects a non-empty delimiter", sub_path=(0,))
    if not isinstance(text, str):
        raise fail(NAME, "the value to split to be a string", text, (1,))
    ctx.budget.produce(len(text) + 1, NAME)  # the pieces' text and one item per piece at most
    return text.split(delimiter)


define(NAME, evaluate_split, result_type="array")
