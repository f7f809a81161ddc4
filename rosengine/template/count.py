"""``Count`` pre-expansion (docs/reference/ros-template-language.md#count).

``A`` with ``Count: 3`` becomes ``A[0]``, ``A[1]``, ``A[2]``. Inside each copy's Properties
``{"Ref": "ALIYUN::Index"}`` becomes the integer index, and the documented idiom
``{"Fn::Select": [{"Ref": "ALIYUN::Index"}, {"Ref": "B"}]}`` over another Count resource ``B`` is
folded to ``{"Ref": "B[i]"}`` (likewise for ``Fn::GetAtt``), so copy ``A[i]`` depends on ``B[i]``
only and the copies can be created in parallel pairs. ``Ref``/``GetAtt``/``DependsOn`` naming
``B`` elsewhere become lists over the copies at evaluation/graph time (see scope.py, graph.py).

Copies share nothing mutable with the original template: the substituted Properties are new
containers, untouched subtrees are shared (they are never mutated).
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import STACK_VALIDATION_FAILED, Path, TemplateError
from rosengine.functions.base import Unknown
from rosengine.template.scope import INDEX
from rosengine.template.tags import split_get_att

# docs/reference/ros-template-language.md#count quotes 300 expanded resources per template (the Limits page
# says 200 per stack).
MAX_EXPANDED = 300


def copy_name(logical_id: str, index: int) -> str:
    return f"{logical_id}[{index}]"


def count_value(value: Any, path: Path, static: bool) -> int | None:
    """A Count expression's result as a natural number; None when unknown (static validation, or
    a parameter that already failed and was reported)."""
    if isinstance(value, Unknown):
        return None
    number: Any = value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise TemplateError(
            STACK_VALIDATION_FAILED,
            f"Count must evaluate to a natural number (0, 1, 2 …), not {value!r}",
            path,
        )
    return number


def substitute_index(node: Any, index: int, groups: dict[str, list[str]]) -> Any:
    """A copy of ``node`` with ALIYUN::Index replaced by ``index`` and Select-over-Count folded."""
    kind = type(node)
    if kind is dict:
        if len(node) == 1:
            key, value = next(iter(node.items()))
            if key == "Ref" and value == INDEX:
                return index
            if key == "Fn::Select":
                folded = _fold_select(value, index, groups)
                if folded is not None:
                    return folded
        return {key: substitute_index(value, index, groups) for key, value in node.items()}
    if kind is list:
        return [substitute_index(value, index, groups) for value in node]
    return node


def _fold_select(args: Any, index: int, groups: dict[str, list[str]]) -> Any:
    """``Select [ALIYUN::Index, Ref B]`` -> ``Ref B[index]`` when B is a Count resource that has
    that copy; None when the pattern does not apply (then Select runs normally)."""
    if not isinstance(args, list) or len(args) != 2 or args[0] != {"Ref": INDEX}:
        return None
    target = args[1]
    if not isinstance(target, dict) or len(target) != 1:
        return None
    key, value = next(iter(target.items()))
    if key == "Ref" and isinstance(value, str) and value in groups:
        copies = groups[value]
        return {"Ref": copies[index]} if index < len(copies) else None
    if key == "Fn::GetAtt":
        pair = split_get_att(value) if isinstance(value, str) else value
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) and pair[0] in groups:
            copies = groups[pair[0]]
            return {"Fn::GetAtt": [copies[index], pair[1]]} if index < len(copies) else None
    return None
