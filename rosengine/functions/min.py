"""``Fn::Min`` — the smallest of a list of numbers (or numeric strings), returned as given."""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define
from rosengine.functions._extremum import extremum
from rosengine.functions.base import FunctionContext

NAME = "Fn::Min"


def evaluate_min(args: Any, ctx: FunctionContext, path: Path) -> Any:
    return extremum(NAME, args, min)


define(NAME, evaluate_min)
