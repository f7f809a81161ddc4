"""``Fn::Jq`` — ``[method, script, object]``: run a real jq program over a JSON value.

``First`` returns the first output (``null`` when there is none), ``All`` the list of outputs;
the method name is matched case-insensitively. The object is usually JSON text (an attribute or
a Json parameter) and is decoded first; text that is not JSON is passed to jq as a JSON string,
and an already parsed structure is used as it is. Uses the ``jq`` PyPI binding (real jq
semantics); compiled programs are cached because templates repeat the same script per copy.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jq as _jq

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list, fail
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::Jq"
SHAPE = "[First|All, script, object]"
METHODS = ("first", "all")


@lru_cache(maxsize=512)
def _program(script: str) -> Any:
    try:
        return _jq.compile(script)
    except ValueError as exc:
        raise FunctionError(f"{NAME}: invalid jq script {script!r}: {exc}", sub_path=(1,)) from exc


def _input(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def evaluate_jq(args: Any, ctx: FunctionContext, path: Path) -> Any:
    method, script, document = expect_list(NAME, args, SHAPE, min_len=3, max_len=3)
    if not isinstance(method, str) or method.strip().lower() not in METHODS:
        raise fail(NAME, "the method to be 'First' or 'All'", method, (0,))
    if not isinstance(script, str) or not script.strip():
        raise fail(NAME, "the script to be a jq program string", script, (1,))
    try:
        outputs = _program(script).input_value(_input(document)).all()
    except ValueError as exc:
        raise FunctionError(f"{NAME}: jq script {script!r} failed: {exc}", sub_path=(1,)) from exc
    if method.strip().lower() == "all":
        return outputs
    return outputs[0] if outputs else None


define(NAME, evaluate_jq)
