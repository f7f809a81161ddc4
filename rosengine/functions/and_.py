"""``Fn::And`` — true when every condition is true (``and_`` because ``and`` is a keyword).

Operands are condition names or nested condition expressions (see :mod:`._conditions`); at least
two are required, as in ROS and AWS. Evaluation stops at the first false operand, so later
operands that would fail (or are unknown) do not matter once the answer is decided.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define
from rosengine.functions._conditions import combine
from rosengine.functions.base import FunctionContext

NAME = "Fn::And"


def evaluate_and(args: Any, ctx: FunctionContext, path: Path) -> Any:
    return combine(NAME, args, ctx, path, stop_at=False)


define(NAME, evaluate_and, lazy=True, result_type="boolean", condition_function=True)
