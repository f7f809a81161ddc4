"""``Fn::GetAtt`` — an attribute of a resource: ``[LogicalId, Attribute]`` or ``"LogicalId.Attribute"``.

Lazy so that names which are themselves functions (``[{"Fn::Sub": "..."}, "Arn"]``) are evaluated
with the right path, and so the evaluator's ``ctx.get_att`` gets plain strings. The dotted string
form follows ROS's ``!GetAtt`` rule: a resource name may contain dots, an attribute name may not,
except nested-stack outputs (``Stack.Outputs.Name`` -> ``["Stack", "Outputs.Name"]``).
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import arg_path, define, fail
from rosengine.functions.base import FunctionContext, Unknown

NAME = "Fn::GetAtt"
SHAPE = '[LogicalId, AttributeName] or "LogicalId.AttributeName"'


def split_dotted(text: str) -> tuple[str, str] | None:
    """Split ``"Res.Attr"`` the way ``!GetAtt`` does; ``None`` when there is no dot to split on."""
    parts = text.split(".")
    if len(parts) < 2 or not all(parts):
        return None
    if len(parts) >= 3 and parts[-2] == "Outputs":
        return ".".join(parts[:-2]), "Outputs." + parts[-1]
    return ".".join(parts[:-1]), parts[-1]


def _name(node: Any, ctx: FunctionContext, path: Path, index: int, what: str) -> str | Unknown:
    value = ctx.evaluate(node, arg_path(path, NAME, index)) if isinstance(node, dict) else node
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, str) or not value:
        raise fail(NAME, f"{what} to be a non-empty string", value, (index,))
    return value


def evaluate_get_att(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if isinstance(args, str):
        pair = split_dotted(args)
        if pair is None:
            raise fail(NAME, SHAPE, args)
        return ctx.get_att(pair[0], pair[1], path)
    if not isinstance(args, list) or len(args) != 2:
        raise fail(NAME, SHAPE, args)
    resource = _name(args[0], ctx, path, 0, "the logical ID")
    attribute = _name(args[1], ctx, path, 1, "the attribute name")
    if isinstance(resource, Unknown) or isinstance(attribute, Unknown):
        return Unknown(None, f"{NAME} with a name not known statically")
    return ctx.get_att(resource, attribute, path)


define(NAME, evaluate_get_att, lazy=True)
