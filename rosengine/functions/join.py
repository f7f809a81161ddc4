"""``Fn::Join`` — ``[delimiter, [items]]`` -> one string.

The ROS docs say "Fn::Join can combine only strings", but official templates join numbers all the
time (``{"Ref": "ALIYUN::Index"}``, Number parameters: ``["-", ["ecs", {"Ref": "ALIYUN::Index"}]]``),
so ROS evidently accepts them: numbers are joined as written, booleans as ``true``/``false``, and
``null`` items count as ``""`` (Heat). Lists and maps are rejected, naming the item, because
joining their text is never what the author meant (a ``Ref`` to a ``Count`` resource is a list).
The result's length is known before it is built and charged to the template's budget
(:mod:`rosengine.limits`): joining a large parameter many times is an error, not gigabytes.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import as_text, define, describe, expect_list, fail
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::Join"
SHAPE = "[delimiter, [items]]"


def evaluate_join(args: Any, ctx: FunctionContext, path: Path) -> Any:
    delimiter, items = expect_list(NAME, args, SHAPE, min_len=2, max_len=2)
    if not isinstance(delimiter, str):
        raise fail(NAME, "the delimiter to be a string", delimiter, (0,))
    if not isinstance(items, list):
        raise fail(NAME, "its second argument to be a list of strings", items, (1,))
    texts: list[str] = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, list | dict):
            raise FunctionError(
                f"{NAME} can join only strings and numbers, but item {index} is {describe(item)}",
                sub_path=(1, index),
            )
        else:
            texts.append(as_text(item))
    ctx.budget.produce_text(sum(map(len, texts)) + len(delimiter) * max(len(texts) - 1, 0), NAME)
    return delimiter.join(texts)


define(NAME, evaluate_join, result_type="string")
