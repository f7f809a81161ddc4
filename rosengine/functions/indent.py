"""``Fn::Indent`` — ``[String, Level, Size?, IndentFirstLine?]``: indent every line.

Each line is prefixed by ``Level * Size`` spaces (Level 0-20, Size 0-4, default 2), the first line
only when ``IndentFirstLine`` is true (the default). Used to embed scripts or config files inside
YAML block text. Empty lines stay empty (UNCONFIRMED; avoids trailing whitespace, which
``textwrap.indent`` also avoids). The result's length is computed and charged to the template's
budget before it is built.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list, fail, to_bool, to_int
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::Indent"
SHAPE = "[String, Level, Size?, IndentFirstLine?]"


def _bounded(value: Any, what: str, low: int, high: int, index: int) -> int:
    number = to_int(NAME, value, what, (index,))
    if not low <= number <= high:
        raise FunctionError(
            f"{NAME} expects {what} between {low} and {high} but got {number}", sub_path=(index,)
        )
    return number


def evaluate_indent(args: Any, ctx: FunctionContext, path: Path) -> Any:
    expect_list(NAME, args, SHAPE, min_len=2, max_len=4)
    text = args[0]
    if not isinstance(text, str):
        raise fail(NAME, "the text to be a string", text, (0,))
    level = _bounded(args[1], "Level", 0, 20, 1)
    size = _bounded(args[2], "Size", 0, 4, 2) if len(args) > 2 and args[2] is not None else 2
    first = to_bool(NAME, args[3], "IndentFirstLine", (3,)) if len(args) > 3 and args[3] is not None else True
    prefix = " " * (level * size)
    lines = text.split("\n")
    indented = [bool(line.strip()) and (index > 0 or first) for index, line in enumerate(lines)]
    ctx.budget.produce_text(len(text) + sum(indented) * len(prefix), NAME)
    return "\n".join(prefix + line if indent else line for line, indent in zip(lines, indented, strict=True))


define(NAME, evaluate_indent, result_type="string")
