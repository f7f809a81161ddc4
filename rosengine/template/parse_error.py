"""The one exception both parsers raise; the loader turns it into a located TemplateError."""

from __future__ import annotations

from typing import Any

from rosengine.errors import INVALID_TEMPLATE_FORMAT, Path
from rosengine.limits import NESTING_DEPTH

# Deeper nesting than this is refused while parsing, so that every recursive walk that follows
# (evaluation, reference scanning, schema validation) stays far from Python's recursion limit.
MAX_DEPTH = NESTING_DEPTH.maximum


class ParseError(Exception):
    """A syntax or structure problem found while reading the text."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        col: int | None = None,
        path: Path = (),
        code: str = INVALID_TEMPLATE_FORMAT,
        details: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.path = path
        self.code = code
        self.details = details or {}


def nesting_error(line: int | None, col: int | None, path: Path) -> ParseError:
    """Mappings and lists nested deeper than :data:`MAX_DEPTH` (checked as the parser descends)."""
    return ParseError(
        f"the template nests mappings and lists deeper than {MAX_DEPTH} levels; rosengine allows "
        f"at most {MAX_DEPTH}",
        line,
        col,
        path,
        code=NESTING_DEPTH.code,
    )


def shown(value: str, limit: int = 60) -> str:
    """``value`` quoted for a message, cut short: a message must not repeat 500 KB of input."""
    return (
        repr(value) if len(value) <= limit else repr(value[: limit - 3]) + f"... ({len(value):,} characters)"
    )
