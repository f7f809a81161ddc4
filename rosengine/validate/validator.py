"""``ros validate``: every problem of every template file, located, never a traceback.

The pipeline per file: load (parse + section structure) → prepare statically (parameters bound or
left symbolic, Rules, Conditions, Locals, Count, references and the dependency graph) → for each
resource: is the type known? → resolve its Properties statically (``Fn::GetAtt`` results and
parameters without values become :class:`Unknown`) → check them against the type's schema.

A failing stage stops that file only: a file that does not parse cannot be prepared, a template
that cannot be prepared has no resources to check. Each stage reports all of its errors.

:func:`check_template` is the same check for a template already loaded; the stack engine calls it
with ``strict=True`` before creating anything, so an unknown type stops a stack before it starts.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from rosengine.errors import (
    INTERNAL_ERROR,
    UNKNOWN_RESOURCE_TYPE,
    Finding,
    Severity,
    TemplateError,
    TemplateErrors,
)
from rosengine.functions.base import NO_VALUE, Unknown
from rosengine.validate.properties import validate_properties
from rosengine.validate.resource_schemas import attribute_names, schema_for


def validate(
    files: Iterable[str | os.PathLike[str]],
    parameters: Mapping[str, Any] | None = None,
    *,
    strict: bool = False,
    jobs: int = 1,
) -> list[Finding]:
    """Validate template files; findings in file order, then by position within a file.

    ``jobs`` > 1 spreads large batches over worker processes (parsing YAML is CPU-bound); the
    result is the same as with one process.
    """
    names = [str(f) for f in files]
    if jobs > 1 and len(names) >= _PARALLEL_THRESHOLD:
        return _validate_parallel(names, parameters, strict, jobs)
    findings: list[Finding] = []
    for file in names:
        findings.extend(validate_file(file, parameters, strict=strict))
    return findings


_PARALLEL_THRESHOLD = 40


def _validate_batch(
    batch: list[str], parameters: Mapping[str, Any] | None, strict: bool
) -> list[list[Finding]]:
    return [validate_file(file, parameters, strict=strict) for file in batch]


def _validate_parallel(
    names: list[str], parameters: Mapping[str, Any] | None, strict: bool, jobs: int
) -> list[Finding]:
    from concurrent.futures import ProcessPoolExecutor

    size = max(8, len(names) // (jobs * 4))
    batches = [names[i : i + size] for i in range(0, len(names), size)]
    params = dict(parameters) if parameters is not None else None
    findings: list[Finding] = []
    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for result in pool.map(
                _validate_batch, batches, [params] * len(batches), [strict] * len(batches)
            ):
                for per_file in result:
                    findings.extend(per_file)
    except (OSError, RuntimeError):  # no processes available here: fall back to this one
        return validate(names, parameters, strict=strict, jobs=1)
    return findings


def validate_file(
    file: str | os.PathLike[str], parameters: Mapping[str, Any] | None = None, *, strict: bool = False
) -> list[Finding]:
    """All findings of one file. Internal failures become one ``InternalError`` finding."""
    name = str(file)
    try:
        from rosengine.template import load_template

        try:
            template = load_template(Path(file), filename=name)
        except (TemplateError, TemplateErrors) as exc:
            found = exc.errors if isinstance(exc, TemplateErrors) else [exc]
            partial = getattr(exc, "partial", None)  # only parameter errors: check the rest too
            if partial is not None:
                found = _dedupe([*found, *check_template(partial, parameters, strict=strict)])
            return _sorted([Finding.from_error(e, name) for e in found])
        errors = check_template(template, parameters, strict=strict)
        return _sorted([Finding.from_error(e, name) for e in errors])
    except Exception as exc:
        return [_internal_error(name, exc)]


def check_template(
    template: Any, parameters: Mapping[str, Any] | None = None, *, strict: bool = False
) -> list[TemplateError]:
    """Every problem of a loaded template, located (file/line/col filled in)."""
    errors: list[TemplateError] = list(getattr(template, "warnings", []) or [])
    try:
        prepared = _prepare(template, parameters)
    except (TemplateError, TemplateErrors) as exc:
        found = exc.errors if isinstance(exc, TemplateErrors) else [exc]
        errors.extend(found)
        # Errors in one place (a wrong reference in Outputs, a typo in an attribute name) must
        # not hide the property errors of every resource: go on with what prepare could build.
        prepared = getattr(exc, "partial", None)
        if prepared is None:
            return _dedupe(_locate_all(template, errors))

    attributes, physical_ids = _static_callbacks(prepared)
    reported_types: set[tuple[Any, ...]] = set()
    for logical_id, resource in prepared.resources.items():
        schema = schema_for(resource.type)
        base = tuple(resource.path)
        if schema is None:
            key = (base, resource.type)
            if key not in reported_types:
                reported_types.add(key)
                errors.append(_unknown_type(resource.type, base, strict))
        try:
            properties = prepared.resolve_properties(logical_id, attributes, physical_ids)
        except (TemplateError, TemplateErrors) as exc:
            errors.extend(_errors_at(exc, base + ("Properties",)))
            properties = _resolve_each_property(prepared, logical_id, attributes, physical_ids, errors)
            if properties is None:
                continue
        if schema is not None:  # unknown types still get their functions evaluated above
            errors.extend(validate_properties(properties, schema, base + ("Properties",)))
    for name in prepared.outputs:  # one by one: a bad output must not hide the next one's error
        try:
            prepared.resolve_output(name, attributes, physical_ids)
        except (TemplateError, TemplateErrors) as exc:
            errors.extend(_errors_at(exc, ("Outputs", name)))
    return _dedupe(_locate_all(template, errors))


def _resolve_each_property(
    prepared: Any, logical_id: str, attributes: Any, physical_ids: Any, errors: list[TemplateError]
) -> dict | None:
    """Properties resolved one by one after the whole failed: each property's own errors are
    added to ``errors`` (the first is found again; :func:`_dedupe` drops the repeat), and a
    property that cannot be evaluated becomes an Unknown of no declared type, so the schema still
    checks the others — one bad function must not hide the next one or a wrong type next to it."""
    resource = prepared.resources[logical_id]
    if not isinstance(resource.properties, dict):
        return None
    resolved: dict[str, Any] = {}
    for key, node in resource.properties.items():
        try:
            value = prepared.resolve(
                node,
                tuple(resource.path) + ("Properties", key),
                attributes=attributes,
                physical_ids=physical_ids,
                referencer=f"Resources.{logical_id}",
                index=resource.index,
            )
        except (TemplateError, TemplateErrors) as exc:
            errors.extend(_errors_at(exc, tuple(resource.path) + ("Properties", key)))
            value = Unknown(None, f"{logical_id}.{key}")
        if value is not NO_VALUE:
            resolved[key] = value
    return resolved


def _errors_at(exc: TemplateError | TemplateErrors, fallback: tuple[Any, ...]) -> list[TemplateError]:
    """The errors of ``exc``; one raised without a path (by our callbacks) is placed at ``fallback``."""
    found = exc.errors if isinstance(exc, TemplateErrors) else [exc]
    for err in found:
        if not err.path:
            err.path = fallback
    return found


def _prepare(template: Any, parameters: Mapping[str, Any] | None, *, check_attributes: bool = True) -> Any:
    from rosengine.template import prepare

    kwargs: dict[str, Any] = {"static": True}
    if check_attributes and "attribute_names" in _parameters_of(prepare):
        kwargs["attribute_names"] = attribute_names
    return prepare(template, dict(parameters or {}), **kwargs)


def _parameters_of(fn: Callable[..., Any]) -> set[str]:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


def _static_callbacks(prepared: Any) -> tuple[Callable[[str, str], Any], Callable[[str], Any]]:
    """Attribute and Ref values of resources that do not exist yet: typed :class:`Unknown`."""

    def attributes(logical_id: str, attribute: str) -> Unknown:
        resource = prepared.resources.get(logical_id)
        names = attribute_names(resource.type) if resource is not None else None
        # prepare() has checked the name already (attribute_names); here only the type matters.
        kind = names.type_of(attribute) if names is not None else None
        return Unknown(kind, f"Fn::GetAtt {logical_id}.{attribute}")

    def physical_ids(logical_id: str) -> Unknown:
        return Unknown("string", f"Ref {logical_id}")

    return attributes, physical_ids


def _unknown_type(type_name: Any, base: tuple[Any, ...], strict: bool) -> TemplateError:
    severity = Severity.ERROR if strict else Severity.WARNING
    hint = "" if strict else "; its properties were not checked"
    return TemplateError(
        UNKNOWN_RESOURCE_TYPE,
        f"resource type '{type_name}' is not known to rosengine{hint}",
        base + ("Type",),
        severity=severity,
    )


def _locate_all(template: Any, errors: list[TemplateError]) -> list[TemplateError]:
    for err in errors:
        template.locate(err)
    return errors


def _dedupe(errors: list[TemplateError]) -> list[TemplateError]:
    """Report each problem once: Count copies of one resource repeat it, and a problem found
    while preparing is found again (at the enclosing path) when the properties are resolved —
    the deepest, most precise location wins."""
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for err in errors:
        key = (err.code, tuple(err.path), err.message, err.line, err.col)
        if key not in seen:
            seen.add(key)
            unique.append(err)

    def same_problem(deep: TemplateError, shallow: TemplateError) -> bool:
        """One problem seen twice: same code, nested paths, and one message the other's start (the
        graph check says "… is incorrect. No such resource.", the evaluator "… is incorrect.")."""
        path = tuple(shallow.path)
        if deep is shallow or deep.code != shallow.code or len(deep.path) <= len(path):
            return False
        if tuple(deep.path[: len(path)]) != path:
            return False
        a, b = deep.message.rstrip(". "), shallow.message.rstrip(". ")
        return a.startswith(b) or b.startswith(a)

    # Errors by (code, each proper prefix of their path): the deeper candidates of an error are
    # found by one lookup, not by comparing every pair (8,000 errors took 17 s).
    below: dict[tuple[Any, ...], list[TemplateError]] = {}
    for other in unique:
        path = tuple(other.path)
        for end in range(len(path)):
            below.setdefault((other.code, path[:end]), []).append(other)
    kept = []
    for err in unique:
        deeper = [other for other in below.get((err.code, tuple(err.path)), ()) if same_problem(other, err)]
        if not deeper:
            kept.append(err)
        elif len(err.message) > len(deeper[0].message):
            deeper[0].message = err.message  # the deepest location, with the fuller explanation
    return kept


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.line is None, f.line or 0, f.col or 0))


def _internal_error(file: str, exc: BaseException) -> Finding:
    where = ""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
    return Finding(
        rule_id=INTERNAL_ERROR,
        severity=Severity.ERROR,
        message=f"rosengine failed on this file ({type(exc).__name__}: {exc}{where}); please report it",
        file=file,
        line=None,
        col=None,
        path="",
    )
