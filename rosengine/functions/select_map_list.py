"""``Fn::SelectMapList`` — ``[key, [map, ...]]`` -> ``[map[key] for maps that have the key]``.

Maps without the key are skipped (documented). The list may arrive as JSON text (a Json parameter
or an attribute), which is decoded first.
"""

from __future__ import annotations

import json
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list, fail
from rosengine.functions.base import FunctionContext

NAME = "Fn::SelectMapList"
SHAPE = "[key, [map, ...]]"


def evaluate_select_map_list(args: Any, ctx: FunctionContext, path: Path) -> Any:
    key, maps = expect_list(NAME, args, SHAPE, min_len=2, max_len=2)
    if not isinstance(key, str):
        raise fail(NAME, "the key to be a string", key, (0,))
    if isinstance(maps, str):
        ctx.budget.produce(len(maps), NAME)
        try:
            maps = json.loads(maps)
        except ValueError:
            pass
    if not isinstance(maps, list):
        raise fail(NAME, "its second argument to be a list of maps", maps, (1,))
    ctx.budget.produce(len(maps), NAME)
    selected = []
    for index, item in enumerate(maps):
        if not isinstance(item, dict):
            raise fail(NAME, f"item {index} of the list to be a map", item, (1, index))
        if key in item:
            selected.append(item[key])
    return selected


define(NAME, evaluate_select_map_list, result_type="array")
