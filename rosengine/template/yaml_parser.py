"""YAML templates: short function tags, positions, duplicate keys, the date pitfall.

Why build from parser *events* instead of PyYAML's composer/constructor:

* libyaml's composer recurses in C and crashes the interpreter (SIGSEGV) on deeply nested input;
  the event stream is produced by a state machine, so an explicit stack here makes any input safe.
* We need, in one pass: the position of every key and list item, duplicate keys rejected (PyYAML
  silently keeps the last), ``!Ref``/``!GetAtt a.b``/``!Sub`` … turned into the one-key mappings
  the evaluator understands, and timestamps such as an unquoted ``2015-09-01`` kept as the
  strings the author wrote (YAML 1.1 would make them ``date`` objects).
* Mapping keys are always the text the author wrote (``32: x`` gives the key ``"32"``, ``on:``
  stays ``"on"``): keys in a ROS template are names, never numbers or booleans.

Aliases are resolved by sharing the anchored value (the data is never mutated afterwards). Each
anchor remembers its size written out (one unit per node plus the characters of its text), so
an alias that would take the template past :data:`~rosengine.limits.EXPANDED_SIZE` is refused
before it is attached: alias bombs and fan-outs fail in time linear in the text.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from rosengine.errors import INVALID_FUNCTION, INVALID_TEMPLATE_FORMAT, Path
from rosengine.limits import EXPANDED_SIZE, NESTING_DEPTH, NUMBER_DIGITS
from rosengine.template.parse_error import ParseError, nesting_error, shown
from rosengine.template.sourcemap import Position, SourceMap
from rosengine.template.tags import function_for_tag, split_get_att

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STANDARD = "tag:yaml.org,2002:"
_RESOLVER = Resolver()
_CONSTRUCTOR = SafeConstructor()
_CONVERTERS = {
    "int": _CONSTRUCTOR.construct_yaml_int,
    "float": _CONSTRUCTOR.construct_yaml_float,
    "bool": _CONSTRUCTOR.construct_yaml_bool,
}
# `!A !B x`: YAML forbids two tags on one node; users write it meaning nested short forms.
_NESTED_TAGS = re.compile(r"!([A-Za-z][\w:]*)\s+!([A-Za-z][\w:]*)")
_MERGE = object()  # the `<<` merge key


class _Frame:
    __slots__ = ("container", "path", "function", "key", "key_lines", "anchor", "first_unit", "value_path")

    def __init__(
        self,
        container: dict | list,
        path: Path,
        function: str | None,
        anchor: str | None,
        first_unit: int,
        value_path: Path,
    ):
        self.container = container
        self.path = path  # base path of the children
        self.function = function  # wrap the finished container as {function: container}
        self.key: Any = None  # the key awaiting its value (dicts), None while a key is expected
        self.key_lines: dict[str, int] | None = {} if isinstance(container, dict) else None
        self.anchor = anchor
        self.first_unit = first_unit  # the expanded size before this container began
        self.value_path = value_path


def _mark(event: Any) -> Position:
    mark = event.start_mark
    return mark.line + 1, mark.column + 1


def load_yaml(text: str) -> tuple[Any, SourceMap]:
    """Parse a YAML template; return its data and source map or raise :class:`ParseError`.

    The size with aliases written out may be :data:`EXPANDED_SIZE` or twice the text, whichever
    is more (a caller that lifts the template size limit parses bigger texts)."""
    loader = _Loader(text)
    try:
        return _build(loader, text, max(EXPANDED_SIZE.maximum, 2 * len(text)))
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text) from None
    except yaml.YAMLError as exc:  # reader errors (bad characters) have no problem_mark
        raise ParseError(f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


# Problems found at the end of something left open: the place it opened is where to look.
_OPENED = {
    "while parsing a flow sequence": "the flow sequence '[' opened",
    "while parsing a flow mapping": "the flow mapping '{' opened",
    "while scanning a quoted scalar": "the quoted text opened",
}


def _syntax_error(exc: yaml.MarkedYAMLError, text: str) -> ParseError:
    """Located at the problem; for a bracket or quote left open, at where it opened, with the place
    the parser gave up in the message: the author needs both."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    col = mark.column + 1 if mark else None
    if mark is not None:
        lines = text.splitlines()
        source_line = lines[mark.line] if mark.line < len(lines) else ""
        nested = _NESTED_TAGS.search(source_line)
        if nested:
            outer, inner = nested.groups()
            return ParseError(
                f"short-form functions cannot be nested directly (!{outer} !{inner}); write the "
                f"outer one in long form, e.g. 'Fn::{outer}: !{inner} ...'",
                line,
                nested.start() + 1,
                code=INVALID_FUNCTION,
            )
    if exc.context == "while increasing flow level":  # libyaml's own bound on flow nesting
        return nesting_error(line, col, ())
    start = _position(exc.context_mark)
    end = _position(exc.problem_mark)
    opened = _OPENED.get(exc.context or "")
    if start is not None and end is not None and start != end:
        details = {"start": {"line": start[0], "column": start[1]}, "end": {"line": end[0], "column": end[1]}}
        if opened is not None:
            return ParseError(
                f"invalid YAML: {opened} at line {start[0]}, column {start[1]} is not closed: "
                f"{exc.problem} (the parser gave up at line {end[0]}, column {end[1]})",
                *start,
                details=details,
            )
        return ParseError(
            f"invalid YAML: {exc.problem} ({exc.context} that began at line {start[0]}, column {start[1]})",
            *end,
            details=details,
        )
    problem_text = " ".join(part for part in (exc.context, exc.problem) if part)
    return ParseError(f"invalid YAML: {problem_text}", line, col)


def _position(mark: Any) -> Position | None:
    return (mark.line + 1, mark.column + 1) if mark is not None else None


def _build(loader: Any, text: str, max_units: int) -> tuple[Any, SourceMap]:
    positions: dict[Path, Position] = {(): (1, 1)}
    anchors: dict[str, tuple[Any, int]] = {}  # anchor -> (value, size written out)
    stack: list[_Frame] = []
    units = 0  # the template's size so far with aliases written out
    documents = 0
    result: Any = None
    get_event = loader.get_event
    while True:
        event = get_event()
        kind = type(event)
        if kind is StreamStartEvent or kind is DocumentEndEvent:
            continue
        if kind is StreamEndEvent:
            break
        if kind is DocumentStartEvent:
            documents += 1
            if documents > 1:
                line, col = _mark(event)
                raise ParseError(
                    "a template must be a single YAML document (found a second '---')", line, col
                )
            continue

        frame = stack[-1] if stack else None
        if kind is MappingEndEvent or kind is SequenceEndEvent:
            assert frame is not None
            stack.pop()
            value: Any = frame.container
            if frame.function is not None:
                value = {frame.function: value}
            if frame.anchor is not None:
                anchors[frame.anchor] = (value, units - frame.first_unit)
            path = frame.value_path
        elif frame is not None and frame.key_lines is not None and frame.key is None:
            _read_key(event, frame, positions)  # ---- a mapping key
            units += 1 + len(event.value) if kind is ScalarEvent else 1
            continue
        else:
            path = _child_path(frame)
            if frame is not None and frame.key_lines is None:
                positions[path] = _mark(event)
            units += 1
            if kind is ScalarEvent:
                value = _scalar_value(event, path, positions)
                units += len(event.value)
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1 + len(event.value))
            elif kind is AliasEvent:
                if event.anchor not in anchors:
                    line, col = _mark(event)
                    raise ParseError(
                        f"alias *{event.anchor} has no anchor &{event.anchor} before it "
                        "(aliases cannot refer to a node that contains them)",
                        line,
                        col,
                        path,
                    )
                value, size = anchors[event.anchor]
                if units + size > max_units:  # before the alias is attached
                    line, col = _mark(event)
                    raise ParseError(
                        f"the template expands to more than {max_units:,} units with its YAML aliases "
                        f"written out (alias *{shown(event.anchor)} repeats {size:,}); rosengine allows "
                        f"at most {max_units:,}: an alias may repeat a node, not multiply the template",
                        line,
                        col,
                        path,
                        code=EXPANDED_SIZE.code,
                    )
                units += size
            elif isinstance(event, CollectionStartEvent):
                if len(stack) >= NESTING_DEPTH.maximum:
                    line, col = _mark(event)
                    raise nesting_error(line, col, path)
                function = _container_function(event, path)
                base = path
                if function is not None:
                    base = path + (function,)
                    positions[base] = _mark(event)
                container: dict | list = {} if kind is MappingStartEvent else []
                stack.append(_Frame(container, base, function, event.anchor, units - 1, path))
                continue
            else:  # pragma: no cover - every event kind is handled above
                raise ParseError(f"unexpected YAML event {event!r}")
        # ---- attach the finished value to its parent
        if not stack:
            result = value
            continue
        parent = stack[-1]
        if parent.key_lines is not None:
            if parent.key is _MERGE:
                _merge_into(parent, value, path)
            else:
                parent.container[parent.key] = value
            parent.key = None
        else:
            parent.container.append(value)  # type: ignore[union-attr]
    if documents == 0:
        raise ParseError("the template is empty", 1, 1)
    return result, SourceMap(positions)


def _child_path(frame: _Frame | None) -> Path:
    if frame is None:
        return ()
    if frame.key_lines is not None:
        return frame.path + (frame.key,) if frame.key is not _MERGE else frame.path
    return frame.path + (len(frame.container),)


def _read_key(event: Any, frame: _Frame, positions: dict[Path, Position]) -> None:
    line, col = _mark(event)
    if type(event) is AliasEvent:
        raise ParseError("an alias cannot be used as a mapping key", line, col, frame.path)
    if type(event) is not ScalarEvent:
        raise ParseError(
            "mapping keys must be plain text (complex keys are not supported)", line, col, frame.path
        )
    key = event.value
    if event.tag is None and event.implicit[0] and key == "<<":
        frame.key = _MERGE
        return
    if event.tag not in (None, "!", _STANDARD + "str"):
        function = function_for_tag(event.tag)
        what = f"a function ({event.tag})" if function else f"tagged ({event.tag})"
        raise ParseError(
            f"mapping key {key!r} cannot be {what}",
            line,
            col,
            frame.path,
            code=INVALID_FUNCTION if function else INVALID_TEMPLATE_FORMAT,
        )
    assert frame.key_lines is not None
    first = frame.key_lines.get(key)
    if first is not None:
        raise ParseError(
            f"duplicate key {key!r} (first defined on line {first})", line, col, frame.path + (key,)
        )
    frame.key_lines[key] = line
    frame.key = key
    positions[frame.path + (key,)] = (line, col)


def _merge_into(frame: _Frame, value: Any, path: Path) -> None:
    """``<<: *base`` (or a list of them): copy keys the mapping does not define itself."""
    sources = value if isinstance(value, list) else [value]
    for source in sources:
        if not isinstance(source, dict):
            raise ParseError("a '<<' merge key needs a mapping or a list of mappings", path=path)
        for key, item in source.items():
            if key not in frame.container:
                frame.container[key] = item


def _container_function(event: Any, path: Path) -> str | None:
    tag = event.tag
    if tag is None or tag == "!" or tag in (_STANDARD + "map", _STANDARD + "seq"):
        return None
    function = function_for_tag(tag)
    if function is None:
        line, col = _mark(event)
        raise _unknown_tag(tag, line, col, path)
    return function


def _scalar_value(event: Any, path: Path, positions: dict[Path, Position]) -> Any:
    tag = event.tag
    value = event.value
    if tag is None:
        if not event.implicit[0]:  # quoted
            return value
        return _convert(_RESOLVER.resolve(ScalarNode, value, (True, False)), value, event, path)
    if tag == "!" or tag == _STANDARD + "str":
        return value
    if tag.startswith(_STANDARD):
        return _convert(tag, value, event, path)
    function = function_for_tag(tag)
    if function is None:
        line, col = _mark(event)
        raise _unknown_tag(tag, line, col, path)
    positions[path + (function,)] = _mark(event)
    if function == "Fn::GetAtt":
        return {function: split_get_att(value)}
    if function == "Ref" or event.style:  # names, quoted and block text stay text ('' = plain)
        return {function: value}
    # a plain scalar keeps its YAML type: `!Str 123` is the number 123
    resolved = _RESOLVER.resolve(ScalarNode, value, (True, False))
    return {function: _convert(resolved, value, event, path)}


def _convert(tag: str, value: str, event: Any, path: Path) -> Any:
    name = tag[len(_STANDARD) :] if tag.startswith(_STANDARD) else tag
    converter = _CONVERTERS.get(name)
    if converter is not None:
        if name != "bool" and NUMBER_DIGITS.exceeded(len(value)):  # before converting (base 60 is slow)
            line, col = _mark(event)
            error = NUMBER_DIGITS.error(len(value), path, subject=f"the number {shown(value)}")
            raise ParseError(error.message, line, col, path, code=error.code)
        try:
            return converter(ScalarNode(tag, value))
        except (ValueError, TypeError, KeyError, OverflowError, yaml.YAMLError):
            # KeyError: PyYAML looks booleans up in a table (`!!bool maybe`)
            line, col = _mark(event)
            raise ParseError(f"{shown(value)} is not a valid {name}", line, col, path) from None
    if name == "null":
        return None
    if name in ("str", "timestamp", "value", "merge"):
        return value  # timestamps stay the text the author wrote (the 2015-09-01 pitfall)
    line, col = _mark(event)
    raise ParseError(f"YAML type !!{name} is not supported in templates", line, col, path)


def _unknown_tag(tag: str, line: int, col: int, path: Path) -> ParseError:
    return ParseError(
        f"unknown YAML tag {tag}: not a ROS function (short forms look like !Ref, !GetAtt, !Sub, !Join …)",
        line,
        col,
        path,
        code=INVALID_FUNCTION,
    )
