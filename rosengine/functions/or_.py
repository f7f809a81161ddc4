"""``Fn::Or`` — true when any condition is true (``or_`` because ``or`` is a keyword).

Operands are condition names or nested condition expressions (see :mod:`._conditions`); at least
two are required. Evaluation stops at the first true operand.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define
from rosengine.functions._conditions import combine
from rosengine.functions.base import FunctionContext

NAME = "Fn::Or"


def evaluate_or(args: Any, ctx: FunctionContext, path: Path) -> Any:
    return combine(NAME, args, ctx, path, stop_at=True)


define(NAME, evaluate_or, lazy=True, result_type="boolean", condition_function=True)
