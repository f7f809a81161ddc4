"""``Fn::Base64Decode`` — base64 text back to a UTF-8 string.

Lenient about layout (newlines from ``Fn::Base64Encode``, spaces, missing ``=`` padding, the
URL-safe alphabet) because real templates paste encoded blobs by hand; strict about content: text
that is not base64, or bytes that are not UTF-8, is an error that says so.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, fail
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::Base64Decode"


def evaluate_base64_decode(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if not isinstance(args, str):
        raise fail(NAME, "a base64 string", args)
    ctx.budget.produce(len(args), NAME)
    compact = "".join(args.split()).replace("-", "+").replace("_", "/")
    compact += "=" * (-len(compact) % 4)
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FunctionError(f"{NAME}: the value is not valid base64 ({exc})") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FunctionError(f"{NAME}: the decoded bytes are not UTF-8 text") from exc


define(NAME, evaluate_base64_decode, result_type="string")
