"""Argument checking shared by the intrinsic function modules.

Why a private helper: every function must reject bad input with the same kind of message — what
it expected, what it got, and which argument (``sub_path``) — so the user can fix the template
without reading our source. The leading underscore keeps :func:`registry.load_all` from treating
this module as a function.
"""

from __future__ import annotations

import json
import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from rosengine.errors import Path
from rosengine.functions.base import EvalFn, FunctionError, IntrinsicFunction, Unknown
from rosengine.functions.registry import register
from rosengine.limits import INTEGER_BITS
from rosengine.numbers import number_from_text


def describe(value: Any) -> str:
    """Name a value's JSON type for messages: ``"a string ('abc')"``, ``"a list"``, ``"null"``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        if len(value) == 1:
            return f"a mapping with key {next(iter(value))!r}"
        return f"a mapping with {len(value)} keys"
    if isinstance(value, Unknown):
        return "an unknown value"
    return type(value).__name__


def fail(name: str, expected: str, got: Any, sub_path: Path = ()) -> FunctionError:
    """Build the standard "X expects Y but got Z" error (returned, so callers ``raise`` it)."""
    return FunctionError(f"{name} expects {expected} but got {describe(got)}", sub_path=sub_path)


def expect_list(name: str, args: Any, shape: str, *, min_len: int = 0, max_len: int | None = None) -> list:
    """Check that ``args`` is a list with an allowed length; ``shape`` is shown to the user."""
    if not isinstance(args, list):
        raise fail(name, shape, args)
    if len(args) < min_len or (max_len is not None and len(args) > max_len):
        raise fail(name, shape, args)
    return args


def expect_str(name: str, value: Any, what: str, sub_path: Path = ()) -> str:
    if not isinstance(value, str):
        raise fail(name, f"{what} to be a string", value, sub_path)
    return value


def is_number(value: Any) -> bool:
    """True for ints and floats but not booleans (``True`` is an int in Python, not in JSON)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def to_int(name: str, value: Any, what: str, sub_path: Path = ()) -> int:
    """An integer argument: accepts ints, integral floats and numeric strings (``"3"``), because
    ROS parameters and YAML often deliver numbers as text."""
    if isinstance(value, bool):
        raise fail(name, f"{what} to be an integer", value, sub_path)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise fail(name, f"{what} to be an integer", value, sub_path)


def to_number(name: str, value: Any, what: str, sub_path: Path = ()) -> int | float:
    """A numeric argument: ints and floats as they are, numeric strings parsed (``"6.0"`` -> 6.0)."""
    if is_number(value):
        return value
    if isinstance(value, str):
        try:
            number = number_from_text(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number
    raise fail(name, f"{what} to be a number", value, sub_path)


def round_half_up(value: float, ndigits: int) -> float:
    """Round the way people (and Python 2, which ROS's Heat lineage used) do: halves away from zero,
    on the decimal digits as written (``2.675`` -> ``2.68``, ``2.5`` -> ``3.0``). Python 3's
    :func:`round` would give ``2.67`` and ``2.0`` (binary floats, banker's rounding)."""
    ndigits = max(-400, min(ndigits, 400))  # beyond any float's digits: same result, no overflow
    try:
        exact = Decimal(repr(value)).quantize(Decimal(1).scaleb(-ndigits), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return round(value, ndigits)
    return float(exact)


def to_bool(name: str, value: Any, what: str, sub_path: Path = ()) -> bool:
    """A boolean argument: ``true``/``false`` or their string spellings (parameters arrive as text)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise fail(name, f"{what} to be a boolean", value, sub_path)


def as_text(value: Any) -> str:
    """Render a scalar or structure as template text: numbers as written, booleans as
    ``true``/``false`` (what a JSON/YAML author wrote), lists and maps as compact JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, int) and INTEGER_BITS.exceeded(value.bit_length()):
            raise FunctionError(f"the integer is too large to write as text ({value.bit_length():,} bits)")
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def define(
    name: str,
    evaluate: EvalFn,
    *,
    lazy: bool = False,
    accepts_unknown: bool = False,
    result_type: str | None = None,
    aliases: tuple[str, ...] = (),
    condition_function: bool = False,
) -> IntrinsicFunction:
    """Register a function whose YAML tag is its name without ``Fn::`` (``Fn::Join`` -> ``Join``)."""
    tag = name.removeprefix("Fn::")
    return register(
        IntrinsicFunction(
            name=name,
            tag=tag,
            evaluate=evaluate,
            lazy=lazy,
            accepts_unknown=accepts_unknown,
            result_type=result_type,
            aliases=aliases,
            condition_function=condition_function,
        )
    )


def arg_path(call_path: Path, name: str, *index: str | int) -> Path:
    """Absolute path of a (lazy) function's argument, for ``ctx.evaluate``: the call's path, the
    function key, then the position inside the arguments."""
    return (*call_path, name, *index)
