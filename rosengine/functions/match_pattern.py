"""``Fn::MatchPattern`` — ``[regex, string]``: whether the whole string matches the pattern.

Full match, like a parameter's ``AllowedPattern`` (Heat uses full matching there; prefix vs full
is UNCONFIRMED for this function, and full match is the stricter, safer reading for rules).
Matched by :mod:`rosengine.patterns` (RE2: time linear in the string, Python's pattern syntax), so
``(a+)+$`` against 33 ``a`` and a ``!`` answers at once; a pattern that needs a backtracking
engine, or is not valid, is an error naming the problem.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list, fail
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::MatchPattern"
SHAPE = "[pattern, string]"


def evaluate_match_pattern(args: Any, ctx: FunctionContext, path: Path) -> Any:
    pattern, text = expect_list(NAME, args, SHAPE, min_len=2, max_len=2)
    if not isinstance(pattern, str):
        raise fail(NAME, "the pattern to be a string", pattern, (0,))
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str):
        raise fail(NAME, "the value to be a string", text, (1,))
    from rosengine.patterns import PatternError, compile_pattern  # RE2 loads with the first pattern

    try:
        compiled = compile_pattern(pattern)
    except PatternError as exc:
        raise FunctionError(f"{NAME}: {exc}", sub_path=(0,)) from exc
    ctx.budget.produce(len(text), NAME)
    return compiled.fullmatch(text)


define(NAME, evaluate_match_pattern, result_type="boolean")
