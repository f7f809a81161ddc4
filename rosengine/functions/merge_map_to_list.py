"""``Fn::MergeMapToList`` — zip maps of lists into a list of maps.

``[{"k1": ["a", "b"]}, {"k2": ["x"]}]`` -> ``[{"k1": "a", "k2": "x"}, {"k1": "b", "k2": "x"}]``:
the i-th output map takes the i-th element of every list; the result is as long as the longest
list and shorter lists repeat their **last** element (documented). A key whose list is empty is
left out; a scalar value counts as a one-element list (UNCONFIRMED, convenient for parameters).
Later maps win when the same key appears twice.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, fail
from rosengine.functions.base import FunctionContext

NAME = "Fn::MergeMapToList"


def evaluate_merge_map_to_list(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if not isinstance(args, list):
        raise fail(NAME, "a list of maps whose values are lists", args)
    columns: dict[str, list] = {}
    for index, item in enumerate(args):
        if not isinstance(item, dict):
            raise fail(NAME, f"item {index} to be a map of lists", item, (index,))
        for key, values in item.items():
            columns[key] = values if isinstance(values, list) else [values]
    columns = {key: values for key, values in columns.items() if values}
    rows = max((len(values) for values in columns.values()), default=0)
    ctx.budget.produce(rows * (len(columns) + 1), NAME)  # before building rows x columns
    return [
        {key: values[min(row, len(values) - 1)] for key, values in columns.items()} for row in range(rows)
    ]


define(NAME, evaluate_merge_map_to_list, result_type="array")
