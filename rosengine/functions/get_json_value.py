"""``Fn::GetJsonValue`` — ``[key, json]``: a first-level value of a JSON document.

The document is normally text (a WaitCondition's ``Data`` or a Json parameter); an already parsed
map is accepted too (UNCONFIRMED, likely). A missing key is an error listing the keys present,
because silently returning nothing hides typos in the key.
"""

from __future__ import annotations

import json
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, describe, expect_list, fail
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::GetJsonValue"
SHAPE = "[key, json_string]"


def evaluate_get_json_value(args: Any, ctx: FunctionContext, path: Path) -> Any:
    key, document = expect_list(NAME, args, SHAPE, min_len=2, max_len=2)
    if isinstance(key, int | float) and not isinstance(key, bool):
        key = str(key)
    if not isinstance(key, str):
        raise fail(NAME, "the key to be a string", key, (0,))
    if isinstance(document, str):
        ctx.budget.produce(len(document), NAME)
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise FunctionError(
                f"{NAME}: the second argument is not valid JSON ({exc})", sub_path=(1,)
            ) from exc
    if not isinstance(document, dict):
        raise FunctionError(
            f"{NAME} expects a JSON object as its second argument but got {describe(document)}", sub_path=(1,)
        )
    if key not in document:
        keys = ", ".join(str(k) for k in list(document)[:10]) or "none"
        raise FunctionError(f"{NAME}: key {key!r} not found in the JSON object (keys: {keys})", sub_path=(0,))
    return document[key]


define(NAME, evaluate_get_json_value)
