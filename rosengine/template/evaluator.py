"""Walking template nodes and calling the intrinsic functions (contract: functions/base.py).

Why a plain recursive function and not a visitor class: this is the hottest code of validation
(every property of every resource passes through it), and a function with local lookups is the
cheapest walk Python offers. Nesting is bounded by the loader (``MAX_DEPTH``), so recursion is
safe.

The rules implemented here, in one place:

* a one-key mapping whose key is ``Ref`` or ``Fn::*`` is a call; an unregistered name is an
  ``InvalidFunction`` error located at the call;
* eager functions get evaluated arguments; if those contain :class:`Unknown` the result is an
  ``Unknown`` of the function's ``result_type`` without calling it (unless ``accepts_unknown``);
  lazy functions get the raw node and call ``ctx.evaluate`` themselves;
* ``NO_VALUE`` removes the mapping entry or list item that holds it;
* ``FunctionError`` becomes a ``TemplateError`` at ``<call path>.<function>.<sub path>``; an
  unexpected exception inside a function becomes an ``InternalError`` at the call instead of a
  traceback;
* functions nest at most :data:`~rosengine.limits.FUNCTION_DEPTH` deep: the call one level
  deeper is refused before its arguments are evaluated.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import INTERNAL_ERROR, INVALID_FUNCTION, Path, TemplateError
from rosengine.functions.base import (
    NO_VALUE,
    FunctionContext,
    FunctionError,
    IntrinsicFunction,
    Unknown,
    contains_unknown,
)
from rosengine.limits import FUNCTION_DEPTH


def lookup_function(name: str) -> IntrinsicFunction | None:
    """The registered function for a long name; a broken function module becomes an error at
    the call rather than an import-time crash of everything."""
    from rosengine.functions import registry

    try:
        return registry.get(name)
    except Exception as exc:
        raise TemplateError(
            INTERNAL_ERROR, f"the function registry failed to load: {type(exc).__name__}: {exc}"
        ) from exc


def evaluate(node: Any, path: Path, ctx: FunctionContext) -> Any:
    """Evaluate ``node`` found at ``path``; plain data comes back unchanged (new containers)."""
    kind = type(node)
    if kind is dict:
        if len(node) == 1:
            for key in node:
                if key == "Ref" or (type(key) is str and key.startswith("Fn::")):
                    return call_function(key, node[key], path, ctx)
        result: dict[str, Any] = {}
        for key, value in node.items():
            if type(value) is dict or type(value) is list:
                value = evaluate(value, path + (key,), ctx)
                if value is NO_VALUE:
                    continue
            result[key] = value
        return result
    if kind is list:
        items: list[Any] = []
        for index, value in enumerate(node):
            if type(value) is dict or type(value) is list:
                value = evaluate(value, path + (index,), ctx)
                if value is NO_VALUE:
                    continue
            items.append(value)
        return items
    return node


def call_function(name: str, args: Any, path: Path, ctx: FunctionContext) -> Any:
    """Call function ``name`` written at ``path`` (the path of the one-key mapping)."""
    function = lookup_function(name)
    call_path = path + (name,)
    if function is None:
        raise TemplateError(INVALID_FUNCTION, f"unknown function {name!r}", call_path)
    if ctx.depth >= FUNCTION_DEPTH.maximum:
        raise FUNCTION_DEPTH.error(ctx.depth + 1, call_path, f"{name} inside {ctx.depth} other functions")
    ctx.depth += 1
    try:
        if function.lazy:
            return function.evaluate(args, ctx, path)
        values = evaluate(args, call_path, ctx)
        if not function.accepts_unknown and contains_unknown(values):
            return Unknown(function.result_type, name)
        return function.evaluate(values, ctx, path)
    except FunctionError as exc:
        raise TemplateError(exc.code, exc.message, call_path + tuple(exc.sub_path)) from None
    except TemplateError as exc:
        if not exc.path:
            exc.path = call_path
        raise
    except RecursionError:
        raise TemplateError(INVALID_FUNCTION, f"{name}: the expression nests too deeply", call_path) from None
    except Exception as exc:  # a bug in a function must not surface as a traceback
        raise TemplateError(
            INTERNAL_ERROR, f"{name} failed unexpectedly: {type(exc).__name__}: {exc}", call_path
        ) from exc
    finally:
        ctx.depth -= 1


def bind_evaluate(ctx: FunctionContext) -> FunctionContext:
    """Point ``ctx.evaluate`` at this evaluator with ``ctx`` itself (lazy functions use it)."""
    ctx.evaluate = lambda node, path: evaluate(node, tuple(path), ctx)
    return ctx
