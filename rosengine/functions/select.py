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
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, describe, expect_list, fail, is_number
from rosengine.functions.base import FunctionContext, FunctionError, Unknown, contains_unknown
from rosengine.limits import NUMBER_DIGITS

NAME = "Fn::Select"
SHAPE = "[index, list, default?] or [key, map, default?]"


def _collection(value: Any, ctx: FunctionContext) -> Any:
    if isinstance(value, str):
        if not value.strip():
            return None
        ctx.budget.produce(len(value), NAME)
        try:
            return json.loads(value)
        except ValueError as exc:
            raise FunctionError(
                f"{NAME} expects a list or map (or its JSON text) but got {describe(value)}", sub_path=(1,)
            ) from exc
    return value


def _slice_bounds(index: str) -> tuple[int | None, ...] | None:
    """``"start:stop[:step]"`` (each part an optional integer, spaces allowed) or None. Parsed by
    hand: the regular expression this replaces took cubic time on a run of spaces."""
    parts = index.split(":")
    if len(parts) not in (2, 3):
        return None
    bounds: list[int | None] = []
    for part in parts:
        text = part.strip()
        digits = text[1:] if text.startswith("-") else text
        if text == "-" or (digits and not digits.isdecimal()) or NUMBER_DIGITS.exceeded(len(digits)):
            return None
        bounds.append(int(text) if digits else None)
    return tuple(bounds)


def _slice(bounds: tuple[int | None, ...], items: list) -> list:
    start, stop = bounds[0], bounds[1]
    step = bounds[2] if len(bounds) == 3 else None
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
    collection = _collection(args[1], ctx)
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
        bounds = _slice_bounds(index)
        if bounds is None:
            raise fail(NAME, 'a slice like "1:3" or "::2"', index, (0,))
        ctx.budget.produce(len(collection), NAME)
        return _slice(bounds, collection)
    position = _list_index(index)
    if -len(collection) <= position < len(collection):
        return collection[position]
    return default


define(NAME, evaluate_select, accepts_unknown=True)
