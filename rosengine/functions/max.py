"""``Fn::Max`` — the largest of a list of numbers (or numeric strings), returned as given."""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define
from rosengine.functions._extremum import extremum
from rosengine.functions.base import FunctionContext

NAME = "Fn::Max"


def evaluate_max(args: Any, ctx: FunctionContext, path: Path) -> Any:
    return extremum(NAME, args, max)


define(NAME, evaluate_max)
