"""``Fn::Base64Encode`` (legacy alias ``Fn::Base64``) — MIME-style base64 of a UTF-8 string.

ROS output matches Python's :func:`base64.encodebytes`: a newline after every 76 characters
**and a trailing newline**, even for short input (``"ALIYUN ROS"`` -> ``"QUxJWVVOIFJPUw==\\n"``).
Templates strip it with ``Fn::Replace [{"\\n": ""}, ...]``; we reproduce it so they behave the
same. ``Fn::Base64`` is treated as the same function (its modern ROS semantics are UNCONFIRMED;
Heat's was a no-op, which no user relies on). Numbers are encoded as their text.

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


def evaluate_base64_encode(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if isinstance(args, list | dict) or args is None:
        raise fail(NAME, "a string", args)
    return base64.encodebytes(as_text(args).encode("utf-8")).decode("ascii")


define(LEGACY_NAME, evaluate_base64_encode, result_type="string")
define(NAME, evaluate_base64_encode, result_type="string", aliases=(LEGACY_NAME,))
