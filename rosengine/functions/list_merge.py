"""``Fn::ListMerge`` — ``[[...], [...], ...]`` -> the lists concatenated in order.

No de-duplication (none is documented). A single list of lists is merged too; a member that is
not a list is an error naming its position. Accepts unknown values: known lists with unknown
items merge normally; an entirely unknown member makes the result an unknown array.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, fail
from rosengine.functions.base import FunctionContext, Unknown

NAME = "Fn::ListMerge"


def evaluate_list_merge(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if isinstance(args, Unknown):
        return Unknown("array", NAME)
    if not isinstance(args, list):
        raise fail(NAME, "a list of lists", args)
    if any(isinstance(item, Unknown) for item in args):
        return Unknown("array", NAME)
    for index, item in enumerate(args):
        if not isinstance(item, list):
            raise fail(NAME, f"item {index} to be a list", item, (index,))
    ctx.budget.produce(sum(len(item) for item in args), NAME)  # before merging
    merged: list = []
    for item in args:
        merged.extend(item)
    return merged


define(NAME, evaluate_list_merge, result_type="array", accepts_unknown=True)
