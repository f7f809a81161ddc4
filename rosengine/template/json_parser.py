"""A strict JSON parser that records where every key and list item starts.

Why our own: the standard library parser is fast but forgets positions, and every error a user
sees must name file:line:col for JSON templates too. This parser is iterative (an explicit stack,
no recursion, so hostile nesting cannot crash it), rejects duplicate keys (the standard parser
silently keeps the last one) and uses the C ``scanstring`` of the standard library for string
bodies, which is where most of the time goes. It records integer offsets while scanning and turns
them into (line, column) once at the end.
"""

from __future__ import annotations

import json
import re
from _json import scanstring  # the C string scanner json.loads uses
from typing import Any

from rosengine.errors import Path
from rosengine.limits import NUMBER_DIGITS
from rosengine.template.parse_error import MAX_DEPTH, ParseError, nesting_error
from rosengine.template.sourcemap import LineIndex, Position, SourceMap

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_LITERALS = {"t": ("true", True), "f": ("false", False), "n": ("null", None)}


class _Frame:
    """An open container: the object being filled, its path, and the key awaiting its value."""

    __slots__ = ("container", "path", "key", "key_offsets")

    def __init__(self, container: dict | list, path: Path):
        self.container = container
        self.path = path
        self.key: str | None = None
        self.key_offsets: dict[str, int] | None = {} if isinstance(container, dict) else None


def parse_json(text: str) -> tuple[Any, dict[Path, Position]]:
    """Parse ``text``; return the data and a map of path -> (line, col).

    Raises :class:`ParseError` (with line/col) for any syntax error or duplicate key.
    """
    offsets: dict[Path, int] = {(): 0}
    lines = LineIndex(text)
    data = _parse(text, offsets, lines)
    positions = {path: lines.position(offset) for path, offset in offsets.items()}
    return data, positions


def _fail(message: str, offset: int, lines: LineIndex, path: Path = ()) -> ParseError:
    line, col = lines.position(offset)
    return ParseError(message, line, col, path)


def _skip(text: str, pos: int) -> int:
    """The offset after the whitespace at ``pos`` (the pattern matches the empty string too)."""
    match = _WHITESPACE.match(text, pos)
    return match.end() if match is not None else pos


def _parse(text: str, offsets: dict[Path, int], lines: LineIndex) -> Any:
    end = len(text)
    skip = _skip
    pos = skip(text, 0)
    stack: list[_Frame] = []
    path: Path = ()
    while True:
        # ---- read one value starting at pos; containers push a frame and loop for children
        if pos >= end:
            raise _fail("unexpected end of JSON text, expected a value", pos, lines, path)
        char = text[pos]
        if char == "{" or char == "[":
            if len(stack) >= MAX_DEPTH:
                raise nesting_error(*lines.position(pos), path)
            frame = _Frame({} if char == "{" else [], path)
            stack.append(frame)
            pos = skip(text, pos + 1)
            closer = "}" if char == "{" else "]"
            if pos < end and text[pos] == closer:
                value: Any = frame.container
                stack.pop()
                pos += 1
            else:
                if char == "{":
                    pos = _read_key(text, pos, frame, offsets, lines)
                else:
                    path = frame.path + (0,)
                    offsets[path] = pos
                    continue
                path = frame.path + (frame.key or "",)
                continue
        elif char == '"':
            try:
                value, pos = scanstring(text, pos + 1, True)
            except ValueError as exc:
                raise _fail(
                    f"invalid string: {_reason(exc)}", getattr(exc, "pos", pos), lines, path
                ) from None
        elif char in _LITERALS:
            word, value = _LITERALS[char]
            if not text.startswith(word, pos):
                raise _fail(f"unexpected text {text[pos : pos + 10]!r}, expected a value", pos, lines, path)
            pos += len(word)
        else:
            match = _NUMBER.match(text, pos)
            if match is None:
                raise _fail(f"unexpected character {char!r}, expected a value", pos, lines, path)
            integer_part, fraction, exponent = match.group(0), match.group(1), match.group(2)
            if NUMBER_DIGITS.exceeded(len(integer_part)):  # Python refuses to convert it
                line, col = lines.position(pos)
                error = NUMBER_DIGITS.error(len(integer_part), path, subject="a number")
                raise ParseError(error.message, line, col, path, code=error.code)
            value = float(integer_part) if fraction or exponent else int(integer_part)
            pos = match.end()

        # ---- attach the finished value to its parent, closing parents that end here
        while True:
            if not stack:
                pos = skip(text, pos)
                if pos != end:
                    raise _fail("extra text after the end of the JSON document", pos, lines)
                return value
            frame = stack[-1]
            container = frame.container
            if isinstance(container, dict):
                container[frame.key or ""] = value
            else:
                container.append(value)
            pos = skip(text, pos)
            if pos >= end:
                raise _fail(
                    "unexpected end of JSON text, expected ',' or a closing bracket", pos, lines, frame.path
                )
            char = text[pos]
            if char == ",":
                pos = skip(text, pos + 1)
                if frame.key_offsets is not None:
                    pos = _read_key(text, pos, frame, offsets, lines)
                    path = frame.path + (frame.key or "",)
                else:
                    path = frame.path + (len(container),)
                    offsets[path] = pos
                break
            closer = "}" if frame.key_offsets is not None else "]"
            if char != closer:
                raise _fail(f"expected ',' or '{closer}' but found {char!r}", pos, lines, frame.path)
            stack.pop()
            value = container
            pos += 1


def _read_key(text: str, pos: int, frame: _Frame, offsets: dict[Path, int], lines: LineIndex) -> int:
    """Read ``"key" :`` at pos into ``frame.key``; return the offset of the value."""
    if pos >= len(text) or text[pos] != '"':
        found = repr(text[pos]) if pos < len(text) else "end of text"
        raise _fail(f"expected a quoted key but found {found}", pos, lines, frame.path)
    try:
        key, after = scanstring(text, pos + 1, True)
    except ValueError as exc:
        raise _fail(
            f"invalid key string: {_reason(exc)}", getattr(exc, "pos", pos), lines, frame.path
        ) from None
    assert frame.key_offsets is not None
    first = frame.key_offsets.get(key)
    if first is not None:
        first_line = lines.position(first)[0]
        raise _fail(
            f"duplicate key {key!r} (first defined on line {first_line})", pos, lines, frame.path + (key,)
        )
    frame.key_offsets[key] = pos
    frame.key = key
    offsets[frame.path + (key,)] = pos
    after = _skip(text, after)
    if after >= len(text) or text[after] != ":":
        raise _fail(f"expected ':' after key {key!r}", after, lines, frame.path + (key,))
    return _skip(text, after + 1)


def _reason(exc: ValueError) -> str:
    message = getattr(exc, "msg", None) or str(exc)
    return message.split(":")[0]


class _DuplicateKey(ValueError):
    """Raised inside ``json.loads`` to abandon the fast path; the slow parser then locates it."""


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _depth_exceeds(data: Any, limit: int) -> bool:
    """True when containers nest deeper than ``limit`` (iterative: safe on any input)."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            pending.extend((child, depth + 1) for child in node.values() if isinstance(child, dict | list))
        elif isinstance(node, list):
            pending.extend((child, depth + 1) for child in node if isinstance(child, dict | list))
    return False


def load_json(text: str) -> tuple[Any, SourceMap]:
    """Parse JSON fast and locate lazily.

    The C parser builds the data; positions are computed by :func:`parse_json` only when some
    error needs a line number. Any failure of the fast path (syntax, duplicate key, nesting) is
    re-parsed with :func:`parse_json`, whose error names line, column and JSON path.
    """
    try:
        data = json.loads(text, object_pairs_hook=_pairs_without_duplicates, parse_constant=_reject_constant)
        if not _depth_exceeds(data, MAX_DEPTH):
            return data, SourceMap(compute=lambda: parse_json(text)[1])
    except (ValueError, RecursionError) as exc:
        fast_error: Exception | None = exc
    else:
        fast_error = None
    data, positions = parse_json(text)  # raises the located ParseError in every known case
    if fast_error is not None:  # both parsers should agree; report what the fast one said
        line, col = getattr(fast_error, "lineno", None), getattr(fast_error, "colno", None)
        raise ParseError(f"invalid JSON: {getattr(fast_error, 'msg', fast_error)}", line, col)
    return data, SourceMap(positions)
