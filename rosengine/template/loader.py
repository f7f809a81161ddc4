"""``load_template``: bytes in, a structurally valid :class:`Template` or located errors out.

The promise (ARCHITECTURE.md): for *any* input — binary junk, an empty file, 10 MB, hostile
nesting, wrong types everywhere — the only exception that escapes is
:class:`~rosengine.errors.TemplateErrors`, each error naming file:line:col and the JSON path.
"""

from __future__ import annotations

import pathlib
from typing import Any

from rosengine.errors import INTERNAL_ERROR, INVALID_TEMPLATE_FORMAT, TemplateError, TemplateErrors
from rosengine.limits import OUTPUTS, PARAMETERS, RESOURCES, TEMPLATE_BYTES, Limit
from rosengine.template.json_parser import load_json
from rosengine.template.model import Template
from rosengine.template.parameters import parse_parameters
from rosengine.template.parse_error import ParseError
from rosengine.template.sections import check_sections
from rosengine.template.sourcemap import SourceMap
from rosengine.transform import apply_transform

# ROS accepts TemplateBody up to 524,288 bytes (docs/reference/ros-template-language.md#sections); a
# bigger local file would fail in the cloud, so it fails here too unless the caller lifts the limit.
MAX_TEMPLATE_BYTES = TEMPLATE_BYTES.maximum
# Sections whose size ROS bounds (or we do): checked right after parsing, before any section is
# read, so an oversized section costs nothing but the parse.
_SECTION_LIMITS: tuple[tuple[str, Limit], ...] = (
    ("Parameters", PARAMETERS),
    ("Resources", RESOURCES),
    ("Outputs", OUTPUTS),
)


def load_template(
    source: str | bytes | pathlib.Path,
    *,
    filename: str | None = None,
    max_size: int | None = MAX_TEMPLATE_BYTES,
) -> Template:
    """Parse JSON or YAML and check every section's structure; raise TemplateErrors listing
    every problem found. ``max_size`` (bytes) defaults to ROS's limit; None disables it."""
    name = filename or (str(source) if isinstance(source, pathlib.Path) else "<template>")
    try:
        return _load(source, name, max_size)
    except TemplateErrors:
        raise
    except RecursionError:
        raise _fail(name, "the template nests too deeply to process") from None
    except MemoryError:
        raise _fail(name, "the template is too large to process") from None
    except Exception as exc:  # last line of defence: never a traceback for any input
        raise TemplateErrors(
            [
                TemplateError(
                    INTERNAL_ERROR,
                    f"unexpected problem while loading the template: {type(exc).__name__}: {exc}",
                    file=name,
                )
            ]
        ) from exc


def _load(source: str | bytes | pathlib.Path, name: str, max_size: int | None) -> Template:
    if isinstance(source, pathlib.Path):
        try:
            if max_size is not None:  # a 10 GB file is refused without reading it
                _check_size(name, source.stat().st_size, max_size)
            source = source.read_bytes()
        except OSError as exc:
            raise _fail(name, f"cannot read the template file: {exc.strerror or exc}") from None
    if isinstance(source, bytes | bytearray):
        if max_size is not None:
            _check_size(name, len(source), max_size)
        text = _decode(bytes(source), name)
    elif isinstance(source, str):
        text = source
        if max_size is not None:
            # every character is at least one byte: a long text is refused before it is encoded
            _check_size(name, len(text), max_size, at_least=True)
            _check_size(name, len(text.encode("utf-8", errors="replace")), max_size)
    else:
        raise _fail(name, f"a template must be text or bytes, not {type(source).__name__}")
    if "\x00" in text:
        raise _fail(name, "the template contains NUL characters: is this a binary file?")
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise _fail(name, "the template is empty", 1, 1)

    data, source_map, fmt = _parse(text, name)
    if not isinstance(data, dict):
        raise _fail(
            name,
            f"a template must be a mapping (a JSON object) at the top level, not {type(data).__name__}",
            1,
            1,
        )
    template = Template(data=data, filename=name, source_map=source_map, format=fmt)
    for section, limit in _SECTION_LIMITS:  # the template as written, before a Transform expands it
        entries = data.get(section)
        if isinstance(entries, dict) and limit.exceeded(len(entries)):
            error = limit.error(len(entries), (section,), f"the {section} section")
            raise TemplateErrors([template.locate(error)])
    template, transform_errors, checkable = apply_transform(template)
    data = template.data
    errors = check_sections(data)
    specs, parameter_errors, warnings = parse_parameters(
        data.get("Parameters") if "Transform" not in data else {}
    )
    errors.extend(parameter_errors)
    template.parameter_specs = specs
    template.warnings = [*template.warnings, *(template.locate(warning) for warning in warnings)]
    if errors or transform_errors:
        # Parameter errors leave a template whose other sections can still be checked (`ros
        # validate` does, so one bad Default does not hide every other error); structural ones
        # do not.
        structural = errors[: len(errors) - len(parameter_errors)] or not checkable
        errors = [*transform_errors, *errors]
        raise TemplateErrors(
            [template.locate(err) for err in errors], partial=None if structural else template
        )
    return template


def _parse(text: str, name: str) -> tuple[Any, SourceMap, str]:
    # Like Heat (ROS's ancestor): text starting with "{" is JSON, strictly; no YAML fallback that
    # would quietly accept trailing commas or NaN.
    if text.lstrip()[:1] == "{":
        try:
            data, source_map = load_json(text)
        except ParseError as err:
            raise _from_parse_error(err, name) from None
        return data, source_map, "json"
    from rosengine.template.yaml_parser import load_yaml  # PyYAML (~15 ms to import): YAML text only

    try:
        data, source_map = load_yaml(text)
    except ParseError as err:
        raise _from_parse_error(err, name) from None
    return data, source_map, "yaml"


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(name, "the template is UTF-16 encoded; save it as UTF-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail(
            name,
            f"the template is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start}): is this a binary file?",
            line,
            col,
        ) from None


def _from_parse_error(err: ParseError, name: str) -> TemplateErrors:
    return TemplateErrors(
        [TemplateError(err.code, err.message, err.path, name, err.line, err.col, details=err.details)]
    )


def _check_size(name: str, size: int, max_size: int, *, at_least: bool = False) -> None:
    if size > max_size:
        raise TemplateErrors(
            [
                TemplateError(
                    TEMPLATE_BYTES.code,
                    f"the template is {'at least ' if at_least else ''}{size:,} bytes; "
                    f"ROS accepts at most {max_size:,} bytes",
                    file=name,
                    details={"limit": TEMPLATE_BYTES.what, "maximum": max_size, "actual": size},
                )
            ]
        )


def _fail(name: str, message: str, line: int | None = None, col: int | None = None) -> TemplateErrors:
    return TemplateErrors([TemplateError(INVALID_TEMPLATE_FORMAT, message, (), name, line, col)])
