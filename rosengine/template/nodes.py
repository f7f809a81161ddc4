"""Recognising function calls in plain template data.

A call is a mapping with exactly one key that is ``Ref`` or starts with ``Fn::``
(docs/reference/ros-template-language.md#calls-and-short-tags). Kept in one place so the loader, the reference
scanner and the evaluator agree.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path

REF = "Ref"
GET_ATT = "Fn::GetAtt"
SUB = "Fn::Sub"


def function_name(node: Any) -> str | None:
    """The function a node calls (``"Fn::Join"``, ``"Ref"``), or None for plain data."""
    if type(node) is dict and len(node) == 1:
        for key in node:
            if key == REF or (type(key) is str and key.startswith("Fn::")):
                return key
    return None


def find_function(node: Any, path: Path) -> tuple[Path, str] | None:
    """Path and name of the first function call inside ``node`` (for sections that must be
    pure data: Parameters, Mappings)."""
    pending: list[tuple[Any, Path]] = [(node, path)]
    while pending:
        current, where = pending.pop()
        name = function_name(current)
        if name is not None:
            return where + (name,), name
        if isinstance(current, dict):
            pending.extend((value, where + (key,)) for key, value in current.items())
        elif isinstance(current, list):
            pending.extend((value, where + (index,)) for index, value in enumerate(current))
    return None
