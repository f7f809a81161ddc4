"""``Fn::Replace`` — ``[{old: new, ...}, string]``: replace every occurrence of each key.

Replacements are applied one key after another in the order written (Heat leaves the order
undefined; insertion order is what a reader of the template expects). ``null`` values become
``""``; numbers and booleans are substituted as text. Before each replacement the length of its
result is computed (occurrences counted) and the scan charged to the template's budget, so many
keys over a long text, or a short key replaced by a long text, are bounded.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import as_text, define, expect_list, fail
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::Replace"
SHAPE = "[{search: replacement}, string]"


def evaluate_replace(args: Any, ctx: FunctionContext, path: Path) -> Any:
    replacements, text = expect_list(NAME, args, SHAPE, min_len=2, max_len=2)
    if not isinstance(replacements, dict):
        raise fail(NAME, "its first argument to be a mapping {search: replacement}", replacements, (0,))
    if not isinstance(text, str):
        raise fail(NAME, "its second argument to be a string", text, (1,))
    for search, replacement in replacements.items():
        if not isinstance(search, str) or not search:
            raise FunctionError(
                f"{NAME}: search keys must be non-empty strings, got {search!r}", sub_path=(0,)
            )
        if isinstance(replacement, list | dict):
            raise fail(NAME, f"the replacement for {search!r} to be a string", replacement, (0, search))
        new = as_text(replacement)
        ctx.budget.produce(len(text), NAME)  # the scan for occurrences
        occurrences = text.count(search)
        if occurrences:
            ctx.budget.produce_text(len(text) + occurrences * (len(new) - len(search)), NAME)
            text = text.replace(search, new)
    return text


define(NAME, evaluate_replace, result_type="string")
