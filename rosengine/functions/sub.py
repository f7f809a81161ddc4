"""``Fn::Sub`` — string interpolation: ``"text ${Name}"`` or ``["text ${Var}", {Var: value}]``.

``${Name}`` resolves like ``Ref`` (parameters, pseudo parameters, resources), ``${Res.Attr}`` like
``Fn::GetAtt`` and ``${Var}`` from the variable map, which wins over everything else.
``${!Literal}`` is the escape for the text ``${Literal}``. Numbers are substituted as written
(the reason ROS docs prefer Sub over Join); booleans as ``true``/``false``; lists and maps as
compact JSON (UNCONFIRMED in ROS, but the only lossless choice). ``${`` without a closing ``}`` is
left as text. Lazy, because the names must be resolved through the evaluator's callbacks.

The template string is split in one left-to-right pass (a regular expression rescanned the rest of
the text for each unclosed ``${``: 200 KB took minutes), and the result's length is charged to the
template's budget before it is joined.

:func:`sub_references` gives the graph builder the names a template string depends on.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import arg_path, as_text, define, describe, fail
from rosengine.functions.base import NO_VALUE, FunctionContext, FunctionError, Unknown, contains_unknown
from rosengine.functions.get_att import split_dotted
from rosengine.limits import check_length

NAME = "Fn::Sub"
SHAPE = '"string" or ["string", {Variable: value}]'
# Template strings up to this length are cached (Count copies repeat them); longer ones are rare
# and would pin their text in memory.
_CACHED_LENGTH = 4096

# A parsed template is a tuple of parts: ``str`` for literal text, ``(name,)`` for a placeholder.
Part = str | tuple[str]


def parse(template: str) -> tuple[Part, ...]:
    """Split a Sub template into literal text and placeholder names."""
    return _parse_cached(template) if len(template) <= _CACHED_LENGTH else _parse(template)


@lru_cache(maxsize=4096)
def _parse_cached(template: str) -> tuple[Part, ...]:
    return _parse(template)


def _parse(template: str) -> tuple[Part, ...]:
    """One pass: a placeholder is ``${`` up to the next ``}``; once no ``}`` is left, the rest is
    text (so each character is looked at a bounded number of times)."""
    parts: list[Part] = []
    text: list[str] = []
    position = 0
    end = len(template)
    while position < end:
        start = template.find("${", position)
        if start < 0:
            break
        close = template.find("}", start + 2)
        if close < 0:  # no placeholder can close any more
            break
        text.append(template[position:start])
        body = template[start + 2 : close]
        position = close + 1
        if body.startswith("!"):
            text.append("${" + body[1:] + "}")
            continue
        if text:
            parts.append("".join(text))
            text = []
        parts.append((body.strip(),))
    text.append(template[position:])
    literal = "".join(text)
    if literal:
        parts.append(literal)
    return tuple(parts)


def sub_references(template_string: str) -> list[str]:
    """Names referenced by ``${...}`` in order of first appearance; ``${!x}`` escapes excluded."""
    seen: dict[str, None] = {}
    for part in parse(template_string):
        if isinstance(part, tuple) and part[0]:
            seen.setdefault(part[0], None)
    return list(seen)


def _resolve(name: str, variables: dict[str, Any], ctx: FunctionContext, path: Path) -> Any:
    if name in variables:
        return variables[name]
    if not name:
        raise FunctionError(f"{NAME}: empty placeholder '${{}}' in the template string", sub_path=(0,))
    if "." in name:
        pair = split_dotted(name)
        if pair is None:
            raise FunctionError(f"{NAME}: invalid placeholder '${{{name}}}'", sub_path=(0,))
        return ctx.get_att(pair[0], pair[1], path)
    return ctx.ref(name, path)


def _template_and_variables(args: Any, ctx: FunctionContext, path: Path) -> tuple[Any, dict[str, Any]]:
    if isinstance(args, str):
        return args, {}
    if not isinstance(args, list) or len(args) not in (1, 2):
        raise fail(NAME, SHAPE, args)
    template = args[0]
    if isinstance(template, dict):
        template = ctx.evaluate(template, arg_path(path, NAME, 0))
    variables: dict[str, Any] = {}
    if len(args) == 2:
        raw = args[1]
        if not isinstance(raw, dict):
            raise FunctionError(
                f"{NAME} expects its second argument to be a mapping of variables but got {describe(raw)}",
                sub_path=(1,),
            )
        variables = {str(key): ctx.evaluate(node, arg_path(path, NAME, 1, key)) for key, node in raw.items()}
    return template, variables


def evaluate_sub(args: Any, ctx: FunctionContext, path: Path) -> Any:
    template, variables = _template_and_variables(args, ctx, path)
    if isinstance(template, Unknown):
        return Unknown("string", NAME)
    if not isinstance(template, str):
        raise fail(NAME, "the template to be a string", template, (0,))
    out: list[str] = []
    length = 0
    unknown = False
    for part in parse(template):
        if isinstance(part, str):
            out.append(part)
            length += len(part)
            continue
        value = _resolve(part[0], variables, ctx, path)
        if value is NO_VALUE:
            value = ""
        if contains_unknown(value):
            unknown = True
        elif not unknown:
            text = as_text(value)
            length += len(text)
            check_length(length, NAME)  # as it grows, before the next value is written out
            out.append(text)
    if unknown:
        return Unknown("string", NAME)
    ctx.budget.produce_text(length, NAME)
    return "".join(out)


define(NAME, evaluate_sub, lazy=True, result_type="string")
