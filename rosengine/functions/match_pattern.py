"""``Fn::MatchPattern`` — ``[regex, string]``: whether the whole string matches the pattern.

Full match, like a parameter's ``AllowedPattern`` (Heat uses full matching there; prefix vs full
is UNCONFIRMED for this function, and full match is the stricter, safer reading for rules).
Patterns are compiled once and cached; an invalid pattern is an error naming the problem.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list, fail
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::MatchPattern"
SHAPE = "[pattern, string]"


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise FunctionError(f"{NAME}: invalid regular expression {pattern!r}: {exc}", sub_path=(0,)) from exc


def evaluate_match_pattern(args: Any, ctx: FunctionContext, path: Path) -> Any:
    pattern, text = expect_list(NAME, args, SHAPE, min_len=2, max_len=2)
    if not isinstance(pattern, str):
        raise fail(NAME, "the pattern to be a string", pattern, (0,))
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str):
        raise fail(NAME, "the value to be a string", text, (1,))
    return _compile(pattern).fullmatch(text) is not None


define(NAME, evaluate_match_pattern, result_type="boolean")
