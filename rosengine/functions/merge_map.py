"""``Fn::MergeMap`` — ``[map1, map2, ...]`` deep-merged, later maps winning.

ROS tooling recognises this function but documents no semantics (UNCONFIRMED). Official
templates use it to layer Helm chart values (a base map of image tags, then a map with the
repository and more image keys), which only makes sense as a *deep* merge: nested maps are merged
key by key, and any other value (list, scalar) from a later map replaces the earlier one. That is
what we do; ``Fn::Add`` remains the shallow merge.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, describe, expect_list
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::MergeMap"


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def evaluate_merge_map(args: Any, ctx: FunctionContext, path: Path) -> Any:
    expect_list(NAME, args, "a list of maps", min_len=1)
    result: dict[str, Any] = {}
    for index, value in enumerate(args):
        if not isinstance(value, dict):
            raise FunctionError(
                f"{NAME} expects maps but item {index} is {describe(value)}", sub_path=(index,)
            )
        ctx.budget.produce(len(result) + len(value), NAME)  # the copy the merge makes
        result = _deep_merge(result, value)
    return result


define(NAME, evaluate_merge_map, result_type="object")
