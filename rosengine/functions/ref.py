"""``Ref`` — the value of a parameter, pseudo parameter, local or resource (its physical ID).

Lazy because the argument is a *name*, not a value: ROS (unlike AWS with LanguageExtensions)
accepts only a literal string, so a function inside ``Ref`` is rejected here with a clear message.
Resolving the name is the evaluator's job (``ctx.ref``), which knows parameters, locals, pseudo
parameters, ``Count`` copies and resources; only ``ALIYUN::NoValue`` is answered here, since it
means the same thing everywhere and needs no context.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, fail
from rosengine.functions.base import NO_VALUE, FunctionContext, FunctionError

NAME = "Ref"
NO_VALUE_NAME = "ALIYUN::NoValue"


def evaluate_ref(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if isinstance(args, dict):
        inner = next(iter(args), "?") if len(args) == 1 else "a mapping"
        raise FunctionError(
            f"Ref expects the literal name of a parameter, resource or pseudo parameter; "
            f"functions cannot be used inside Ref (found {inner})"
        )
    if not isinstance(args, str):
        raise fail(NAME, "the name of a parameter, resource or pseudo parameter (a string)", args)
    if not args:
        raise FunctionError("Ref expects the name of a parameter, resource or pseudo parameter but got ''")
    if args == NO_VALUE_NAME:
        return NO_VALUE
    return ctx.ref(args, path)


define(NAME, evaluate_ref, lazy=True)
