"""``Fn::Str`` — a number as text (``123456`` -> ``"123456"``).

Floats are written the way Python prints them (``1.5`` -> ``"1.5"``), booleans as ``true`` /
``false`` and strings pass through unchanged (all UNCONFIRMED; each is what the author of the
literal wrote). Lists and maps are rejected: use ``Fn::Sub`` or ``Fn::Join`` for those.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import as_text, define, fail
from rosengine.functions.base import FunctionContext

NAME = "Fn::Str"


def evaluate_str(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if isinstance(args, list | dict) or args is None:
        raise fail(NAME, "a number", args)
    return as_text(args)


define(NAME, evaluate_str, result_type="string")
