"""``Fn::ListMerge`` — ``[[...], [...], ...]`` -> the lists concatenated in order.

No de-duplication (none is documented). A single list of lists is merged too; a member that is
not a list is an error naming its position.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, fail
from rosengine.functions.base import FunctionContext

NAME = "Fn::ListMerge"


def evaluate_list_merge(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if not isinstance(args, list):
        raise fail(NAME, "a list of lists", args)
    merged: list = []
    for index, item in enumerate(args):
        if not isinstance(item, list):
            raise fail(NAME, f"item {index} to be a list", item, (index,))
        merged.extend(item)
    return merged


define(NAME, evaluate_list_merge, result_type="array")
