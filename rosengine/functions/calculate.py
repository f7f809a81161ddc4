"""``Fn::Calculate`` — ``[expression, ndigits, [n0, n1, ...]?]``: integer/float arithmetic.

``{i}`` in the expression is replaced by the i-th number (numeric strings are accepted, since
they usually come from ``Ref``). Integer arithmetic uses Python-2 division (``5/2 == 2``); when a
float is involved the result is a float rounded to ``ndigits`` (halves away from zero, as
Python 2 did), which is ignored for integer results. A scalar third argument counts as a one-element list
(an official template passes
``{"Ref": "ALIYUN::Index"}`` directly; UNCONFIRMED but harmless). Parsed by a small grammar in
:mod:`._arithmetic`, never ``eval``.
"""

from __future__ import annotations

import re
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list, fail, round_half_up, to_int, to_number
from rosengine.functions._arithmetic import ArithmeticError_, evaluate_expression
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::Calculate"
SHAPE = "[expression, ndigits, [numbers]?]"
_PLACEHOLDER = re.compile(r"\{(\d+)\}")


def _substitute(expression: str, numbers: list[int | float]) -> str:
    def number_at(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index >= len(numbers):
            raise FunctionError(
                f"{NAME}: placeholder {{{index}}} has no value (only {len(numbers)} number(s) given)",
                sub_path=(0,),
            )
        return f"({numbers[index]!r})"

    return _PLACEHOLDER.sub(number_at, expression)


def evaluate_calculate(args: Any, ctx: FunctionContext, path: Path) -> Any:
    expect_list(NAME, args, SHAPE, min_len=2, max_len=3)
    expression = args[0]
    if not isinstance(expression, str):
        raise fail(NAME, "the expression to be a string", expression, (0,))
    ndigits = to_int(NAME, args[1], "ndigits", (1,))
    raw = args[2] if len(args) == 3 else []
    values = raw if isinstance(raw, list) else [raw]
    numbers = [to_number(NAME, value, f"value {i}", (2, i)) for i, value in enumerate(values)]
    try:
        result = evaluate_expression(_substitute(expression, numbers))
    except ArithmeticError_ as exc:
        raise FunctionError(f"{NAME}: cannot compute {expression!r}: {exc}", sub_path=(0,)) from exc
    return round_half_up(result, ndigits) if isinstance(result, float) else result


define(NAME, evaluate_calculate, result_type="number")
