"""Finding the names a node refers to, without evaluating it (dependency edges, reference checks).

Static on purpose: both branches of ``Fn::If`` count (the dependency exists whichever branch a
later update picks), and names computed by functions (``Fn::GetAtt`` of a ``Fn::Sub`` result) are
skipped because they cannot be known before evaluation, which checks them then.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rosengine.errors import Path
from rosengine.functions.sub import sub_references  # one definition of the ${} syntax
from rosengine.template.nodes import GET_ATT, REF, SUB
from rosengine.template.tags import split_get_att

# ALIYUN::ROS::Stack / StackGroup accept the nested template inline; its Ref/GetAtt/Sub name the
# *nested* template's parameters and resources, so the parent neither scans nor evaluates it.
EMBEDDED_TEMPLATE_PROPERTY = "TemplateBody"


def embedded_template(properties: Any) -> bool:
    """True when ``properties`` carries an inline nested template (kept as data)."""
    return type(properties) is dict and type(properties.get(EMBEDDED_TEMPLATE_PROPERTY)) is dict


def without_embedded_template(properties: Any) -> Any:
    if embedded_template(properties):
        return {key: value for key, value in properties.items() if key != EMBEDDED_TEMPLATE_PROPERTY}
    return properties


@dataclass(frozen=True)
class Reference:
    """One reference: ``kind`` is "ref", "getatt" or "sub"; ``attribute`` for getatt (and
    ``${A.B}`` in Fn::Sub); ``path`` is the path of the function call."""

    kind: str
    name: str
    attribute: str | None
    path: Path


def scan(node: Any, path: Path) -> Iterator[Reference]:
    """Every literal reference inside ``node`` (iterative walk)."""
    pending: list[tuple[Any, Path]] = [(node, path)]
    while pending:
        current, where = pending.pop()
        kind = type(current)
        if kind is dict:
            if len(current) == 1:
                key, args = next(iter(current.items()))
                if key == REF:
                    if isinstance(args, str):
                        yield Reference("ref", args, None, where + (REF,))
                    continue
                if key == GET_ATT:
                    yield from _get_att(args, where + (GET_ATT,), pending)
                    continue
                if key == SUB:
                    yield from _sub(args, where + (SUB,), pending)
                    continue
            for key, value in current.items():
                if type(value) is dict or type(value) is list:
                    pending.append((value, where + (key,)))
        elif kind is list:
            for index, value in enumerate(current):
                if type(value) is dict or type(value) is list:
                    pending.append((value, where + (index,)))


def _get_att(args: Any, where: Path, pending: list[tuple[Any, Path]]) -> Iterator[Reference]:
    if isinstance(args, str):
        pair = split_get_att(args)
        if isinstance(pair, list):
            yield Reference("getatt", pair[0], pair[1], where)
        return
    if isinstance(args, list) and len(args) == 2:
        resource, attribute = args
        if isinstance(resource, str):
            yield Reference("getatt", resource, attribute if isinstance(attribute, str) else None, where)
        for index, item in enumerate(args):
            if not isinstance(item, str):
                pending.append((item, where + (index,)))


def _sub(args: Any, where: Path, pending: list[tuple[Any, Path]]) -> Iterator[Reference]:
    variables: dict[str, Any] = {}
    text: Any = args
    if isinstance(args, list):
        text = args[0] if args else None
        if len(args) > 1 and isinstance(args[1], dict):
            variables = args[1]
            pending.append((variables, where + (1,)))
        if not isinstance(text, str):
            pending.append((text, where + (0,)))
    if not isinstance(text, str):
        return
    for name in sub_references(text):
        if name in variables:
            continue
        if "." in name:
            pair = split_get_att(name)
            if isinstance(pair, list):
                yield Reference("getatt", pair[0], pair[1], where)
                continue
        yield Reference("sub", name, None, where)
