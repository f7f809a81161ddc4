"""``Fn::Select`` — pick from a list or map: ``[index, list, default?]``, ``["start:stop:step",
list]`` or ``[key, map, default?]``.

ROS is far more forgiving than AWS here, and templates rely on it:

* the index may be an integer or a numeric string, negative counting from the end;
* a ``"start:stop[:step]"`` index slices with Python semantics and returns a list;
* a miss (index out of range, key absent) gives the default when one is given, else ``""``;
* a string collection is JSON-decoded first, and ``""`` or ``null`` collections give ``""``
  (Heat), which is how a Json parameter or a WaitCondition's data is indexed.

Generated ROS module templates pass a fourth argument (a message for the miss); it is accepted
and ignored (UNCONFIRMED: its exact use is undocumented). A numeric index into a map is matched
as text (``0`` finds key ``"0"``); a non-numeric index into a
list is an error, because it is a template bug, not a miss.

Accepts unknown values (``accepts_unknown``): picking a known element of a list whose other
elements are unknown (``[Ref P, GetAtt X.Y]``) still gives a known value in static validation.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, describe, expect_list, fail, is_number
from rosengine.functions.base import FunctionContext, FunctionError, Unknown, contains_unknown

NAME = "Fn::Select"
SHAPE = "[index, list, default?] or [key, map, default?]"
_SLICE = re.compile(r"^\s*(-?\d*)\s*:\s*(-?\d*)\s*(?::\s*(-?\d*)\s*)?$")


def _collection(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise FunctionError(
                f"{NAME} expects a list or map (or its JSON text) but got {describe(value)}", sub_path=(1,)
            ) from exc
    return value


def _slice(spec: re.Match[str], items: list) -> list:
    start, stop, step = (int(part) if part else None for part in spec.groups())
    if step == 0:
        raise FunctionError(f"{NAME}: slice step cannot be zero", sub_path=(0,))
    return items[slice(start, stop, step)]


def _list_index(index: Any) -> int:
    if is_number(index) and float(index).is_integer():
        return int(index)
    if isinstance(index, str):
        try:
            return int(index.strip())
        except ValueError:
            pass
    raise fail(NAME, 'the index to be an integer or a "start:stop:step" slice', index, (0,))


def evaluate_select(args: Any, ctx: FunctionContext, path: Path) -> Any:
    expect_list(NAME, args, SHAPE, min_len=2, max_len=4)
    if isinstance(args[0], Unknown) or isinstance(args[1], Unknown) or contains_unknown(args[0]):
        return Unknown(None, NAME)
    index, default = args[0], (args[2] if len(args) >= 3 else "")
    collection = _collection(args[1])
    if collection is None:
        return default
    if isinstance(collection, dict):
        if isinstance(index, bool) or not isinstance(index, str | int | float):
            raise fail(NAME, "a string key to select from a map", index, (0,))
        if index in collection:
            return collection[index]
        return collection.get(str(index), default)
    if not isinstance(collection, list):
        raise fail(NAME, "its second argument to be a list or a map", collection, (1,))
    if isinstance(index, str) and ":" in index:
        spec = _SLICE.match(index)
        if spec is None:
            raise fail(NAME, 'a slice like "1:3" or "::2"', index, (0,))
        return _slice(spec, collection)
    position = _list_index(index)
    if -len(collection) <= position < len(collection):
        return collection[position]
    return default


define(NAME, evaluate_select, accepts_unknown=True)
