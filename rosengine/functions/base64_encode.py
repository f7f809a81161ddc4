"""``Fn::Base64Encode`` (legacy alias ``Fn::Base64``) — MIME-style base64 of a UTF-8 string.

ROS output matches Python's :func:`base64.encodebytes`: a newline after every 76 characters
**and a trailing newline**, even for short input (``"ALIYUN ROS"`` -> ``"QUxJWVVOIFJPUw==\\n"``).
Templates strip it with ``Fn::Replace [{"\\n": ""}, ...]``; we reproduce it so they behave the
same. ``Fn::Base64`` is treated as the same function (its modern ROS semantics are UNCONFIRMED;
Heat's was a no-op, which no user relies on). Numbers are encoded as their text. The output's
length is computed from the input's and charged to the template's budget before encoding, so
nested encodings (each a third longer) stop at the string limit instead of growing without bound.

Two registrations: the function itself (alias ``Fn::Base64``) and a twin under the legacy name so
the YAML short tag ``!Base64`` resolves too (the registry keeps one tag per entry).
"""

from __future__ import annotations

import base64
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import as_text, define, fail
from rosengine.functions.base import FunctionContext

NAME = "Fn::Base64Encode"
LEGACY_NAME = "Fn::Base64"


def encoded_length(size: int) -> int:
    """Characters :func:`base64.encodebytes` makes of ``size`` bytes: 4 per 3 bytes, a newline after
    every 76 (and after the last, shorter line)."""
    characters = 4 * ((size + 2) // 3)
    return characters + (characters + 75) // 76


def evaluate_base64_encode(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if isinstance(args, list | dict) or args is None:
        raise fail(NAME, "a string", args)
    raw = as_text(args).encode("utf-8", "surrogatepass")
    ctx.budget.produce_text(encoded_length(len(raw)), NAME)  # before encoding: nesting grows 4/3 a level
    return base64.encodebytes(raw).decode("ascii")


define(LEGACY_NAME, evaluate_base64_encode, result_type="string")
define(NAME, evaluate_base64_encode, result_type="string", aliases=(LEGACY_NAME,))
