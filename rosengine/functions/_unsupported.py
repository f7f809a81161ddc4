"""Registration of functions that ROS tooling recognises but whose semantics are undocumented.

Why register them at all: an unknown key would otherwise be treated as plain data, and the user
would get a confusing error (or a wrong resource) far from the cause. Registered, the call fails
at its own location with ``NotSupported`` and a message saying what to use instead. Lazy, so the
arguments are not evaluated first and cannot produce unrelated errors.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import NOT_SUPPORTED, Path
from rosengine.functions._args import define
from rosengine.functions.base import FunctionContext, FunctionError


def unsupported(name: str, hint: str) -> None:
    def evaluate(args: Any, ctx: FunctionContext, path: Path) -> Any:
        raise FunctionError(
            f"{name} is not supported by rosengine (its ROS semantics are undocumented); {hint}",
            code=NOT_SUPPORTED,
        )

    evaluate.__name__ = "evaluate_" + name.removeprefix("Fn::").lower()
    define(name, evaluate, lazy=True)
