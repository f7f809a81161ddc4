"""The one exception both parsers raise; the loader turns it into a located TemplateError."""

from __future__ import annotations

from rosengine.errors import INVALID_TEMPLATE_FORMAT, Path

# Deeper nesting than this is refused while parsing, so that every recursive walk that follows
# (evaluation, reference scanning, schema validation) stays far from Python's recursion limit.
# Real templates nest a few dozen levels at most.
MAX_DEPTH = 128

# Upper bound on nodes a template may expand to (YAML aliases can multiply a small text into an
# exponential tree: the "billion laughs" input).
MAX_NODES = 2_000_000


class ParseError(Exception):
    """A syntax or structure problem found while reading the text."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        col: int | None = None,
        path: Path = (),
        code: str = INVALID_TEMPLATE_FORMAT,
    ):
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.path = path
        self.code = code
