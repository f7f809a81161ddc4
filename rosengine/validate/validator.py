"""``ros validate``: every problem of every template file, located, never a traceback.

Per file: load (parse + section structure), then :func:`~rosengine.validate.template_check.check_template`
(the same static check the stack engine runs before it creates anything). A file that does not
parse cannot be checked further; one whose only load errors are in its parameters is checked on.
Anything unexpected becomes one ``InternalError`` finding for that file, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rosengine.errors import INTERNAL_ERROR, Finding, Severity, TemplateError, TemplateErrors
from rosengine.template.model import Template
from rosengine.validate.template_check import check_template


def validate(
    files: Iterable[str | os.PathLike[str]],
    parameters: Mapping[str, Any] | None = None,
    *,
    jobs: int = 1,
) -> list[Finding]:
    """Validate template files; findings in file order, then by position within a file.

    ``jobs`` > 1 spreads large batches over worker processes (parsing YAML is CPU-bound); the
    result is the same as with one process.
    """
    names = [str(f) for f in files]
    if jobs > 1 and len(names) >= _PARALLEL_THRESHOLD:
        return _validate_parallel(names, parameters, jobs)
    findings: list[Finding] = []
    for file in names:
        findings.extend(validate_file(file, parameters))
    return findings


_PARALLEL_THRESHOLD = 40


def _validate_batch(batch: list[str], parameters: Mapping[str, Any] | None) -> list[list[Finding]]:
    return [validate_file(file, parameters) for file in batch]


def _validate_parallel(names: list[str], parameters: Mapping[str, Any] | None, jobs: int) -> list[Finding]:
    from concurrent.futures import ProcessPoolExecutor

    size = max(8, len(names) // (jobs * 4))
    batches = [names[i : i + size] for i in range(0, len(names), size)]
    params = dict(parameters) if parameters is not None else None
    findings: list[Finding] = []
    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for result in pool.map(_validate_batch, batches, [params] * len(batches)):
                for per_file in result:
                    findings.extend(per_file)
    except (OSError, RuntimeError):  # no processes available here: fall back to this one
        return validate(names, parameters, jobs=1)
    return findings


def validate_file(file: str | os.PathLike[str], parameters: Mapping[str, Any] | None = None) -> list[Finding]:
    """All findings of one file. Internal failures become one ``InternalError`` finding."""
    name = str(file)
    try:
        from rosengine.template import load_template

        try:
            template = load_template(Path(file), filename=name)
        except (TemplateError, TemplateErrors) as exc:
            found = exc.errors if isinstance(exc, TemplateErrors) else [exc]
            partial = exc.partial if isinstance(exc, TemplateErrors) else None
            if isinstance(partial, Template):  # only parameter errors: check the rest too
                found = [*found, *check_template(partial, parameters)]
            return _sorted(_unique([Finding.from_error(e, name) for e in found]))
        return _sorted([Finding.from_error(e, name) for e in check_template(template, parameters)])
    except Exception as exc:
        return [_internal_error(name, exc)]


def _unique(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for finding in findings:
        key = (finding.rule_id, finding.path, finding.message, finding.line, finding.col)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


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
