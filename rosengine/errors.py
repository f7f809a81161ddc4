"""Errors and findings shared by every layer of the template language.

Why one module: every error a user sees must name *where* (file, line, column, JSON path) and *what*
(an ROS error code and a message). Parsing, functions, parameters, the graph, schema validation and
the stack engine all raise :class:`TemplateError`; ``ros validate`` turns them into :class:`Finding`
rows; the stack CLI prints them. Paths are tuples of keys and indexes (``("Resources", "Fn",
"Properties", "Timeout")``) so they can be looked up in a :class:`~rosengine.template.sourcemap.SourceMap`
and printed as ``Resources.Fn.Properties.Timeout``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """Render a path the way users read it: ``Resources.Fn.Properties.Code[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += "." + str(part)
        else:
            out = str(part)
    return out


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# ROS error codes worth reproducing (docs/reference/ros-template-language.md#error-codes) plus our own for
# findings ROS has no code for.
INVALID_TEMPLATE_SECTION = "InvalidTemplateSection"
INVALID_TEMPLATE_VERSION = "InvalidTemplateVersion"
INVALID_TEMPLATE_REFERENCE = "InvalidTemplateReference"
INVALID_TEMPLATE_ATTRIBUTE = "InvalidTemplateAttribute"
INVALID_TEMPLATE_PROPERTY_TYPE = "InvalidTemplatePropertyType"
INVALID_SCHEMA = "InvalidSchema"
CIRCULAR_DEPENDENCY = "CircularDependency"
STACK_VALIDATION_FAILED = "StackValidationFailed"
UNKNOWN_USER_PARAMETER = "UnknownUserParameter"
USER_PARAMETER_MISSING = "UserParameterMissing"
INVALID_TEMPLATE_FORMAT = "InvalidTemplateFormat"  # not JSON/YAML, duplicate keys, binary input
INVALID_FUNCTION = "InvalidFunction"  # unknown function, bad arguments, short-tag nesting
NOT_SUPPORTED = "NotSupported"
UNKNOWN_RESOURCE_TYPE = "UnknownResourceType"
INTERNAL_ERROR = "InternalError"
TEMPLATE_NOT_FOUND = "TemplateNotFound"  # ros validate: an argument matched no file


@dataclass
class TemplateError(Exception):
    """A problem with a template, located by JSON path (and file/line/col once known).

    ``code`` is the ROS error code (or one of ours above); ``path`` is where in the template;
    ``file``/``line``/``col`` are filled in by whoever owns the source map (the loader or the
    validator) via :meth:`locate`.
    """

    code: str
    message: str
    path: Path = ()
    file: str | None = None
    line: int | None = None
    col: int | None = None
    severity: Severity = Severity.ERROR
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.code}: {self.message}" if where else f"{self.code}: {self.message}"

    def where(self) -> str:
        parts = []
        if self.file:
            loc = self.file
            if self.line is not None:
                loc += f":{self.line}"
                if self.col is not None:
                    loc += f":{self.col}"
            parts.append(loc)
        if self.path:
            parts.append(format_path(self.path))
        return " ".join(parts)

    def with_path_prefix(self, prefix: Path) -> TemplateError:
        """Return a copy whose path is ``prefix + path`` (used when a nested evaluation fails)."""
        return TemplateError(
            self.code,
            self.message,
            tuple(prefix) + tuple(self.path),
            self.file,
            self.line,
            self.col,
            self.severity,
            dict(self.details),
        )


class TemplateErrors(Exception):
    """Several template errors at once: validation reports all of them, never only the first."""

    def __init__(self, errors: list[TemplateError], *, partial: Any = None):
        self.errors = errors
        # What could be built despite the errors (e.g. a PreparedTemplate whose outputs are
        # broken), so a validator can go on checking the rest and report every problem at once.
        self.partial = partial
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class Finding:
    """One row of ``ros validate`` output (text, JSON, SARIF, JUnit)."""

    rule_id: str
    severity: Severity
    message: str
    file: str
    line: int | None
    col: int | None
    path: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "ruleId": self.rule_id,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.col,
            "path": self.path,
        }

    @classmethod
    def from_error(cls, err: TemplateError, default_file: str = "") -> Finding:
        return cls(
            rule_id=err.code,
            severity=err.severity,
            message=err.message,
            file=err.file or default_file,
            line=err.line,
            col=err.col,
            path=format_path(err.path),
        )
