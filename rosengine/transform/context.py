"""The state of one expansion: generated resources, where each came from, problems found.

Why one object passed around: every resource kind's expander adds resources, records the origin
of each generated node (for error positions) and reports problems the same way; the expanders
themselves stay small functions of (context, logical id, resource).
"""

from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from rosengine.errors import STACK_VALIDATION_FAILED, Path, Severity, TemplateError
from rosengine.transform.sourcemap import Origins

# Keys every resource may carry besides Type and Properties; the expansion hands them on to the
# resources it generates (Count is refused: a generated group of resources cannot be copied).
PASSED_ON_KEYS = ("DependsOn", "Condition", "DeletionPolicy", "Metadata", "Description")


@dataclass
class Generated:
    """A resource the expansion produced, before it is written into the template."""

    logical_id: str
    type: str
    properties: dict[str, Any]
    origin: Path
    depends_on: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # Condition, DeletionPolicy, Metadata …


class Expansion:
    """Collects the plain ROS resources of one template and the origin of every node."""

    def __init__(self, base_dir: str, taken_ids: set[str]):
        self.base_dir = base_dir
        self._base = os.path.realpath(base_dir)
        self._base_prefix = self._base.rstrip(os.sep) + os.sep
        self.resources: dict[str, dict[str, Any]] = {}
        self.origins = Origins()
        self.errors: list[TemplateError] = []
        self.warnings: list[TemplateError] = []
        # Logical ids of the template's own resources: a generated id must not take one of them.
        self._taken = taken_ids
        # (logical id, attribute) -> (logical id, attribute): GetAtt targets renamed by the expansion.
        self.attribute_renames: dict[tuple[str, str], tuple[str, str]] = {}
        # Serverless services and their functions, for references by name (routes, API backends).
        self.services: dict[str, dict[str, str]] = {}  # service id -> {function name: generated id}

    # -- problems -----------------------------------------------------------------------------
    def error(self, message: str, path: Path, code: str = STACK_VALIDATION_FAILED) -> None:
        self.errors.append(TemplateError(code, message, path))

    def warning(self, message: str, path: Path, code: str) -> None:
        self.warnings.append(TemplateError(code, message, path, severity=Severity.WARNING))

    def unknown_keys(self, entry: dict[str, Any], allowed: tuple[str, ...], path: Path, owner: str) -> None:
        for key in entry:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(allowed)})"
                self.error(f"{owner} has an unknown property {key!r}{hint}", path + (key,))

    # -- output ---------------------------------------------------------------------------------
    def add(self, resource: Generated) -> bool:
        """Write a generated resource; False (and an error at its origin) when its logical id is
        already used by the template or by another generated resource."""
        logical_id = resource.logical_id
        clash = logical_id in self._taken and resource.origin[1:2] != (logical_id,)
        if logical_id in self.resources or clash:
            self.error(
                f"the expansion of this resource needs the logical ID {logical_id!r}, which the template "
                "already uses; rename one of them",
                resource.origin,
            )
            return False
        body: dict[str, Any] = {"Type": resource.type}
        if resource.properties:
            body["Properties"] = resource.properties
        depends = list(dict.fromkeys(resource.depends_on))
        if depends:
            body["DependsOn"] = depends
        body.update(resource.extra)
        self.resources[logical_id] = body
        self.origins.add(("Resources", logical_id), resource.origin, keep_rest=False)
        return True

    def passthrough(self, logical_id: str, body: Any) -> None:
        """A resource of plain ROS inside a Transform template: kept exactly as written."""
        self.resources[logical_id] = body
        self.origins.add(("Resources", logical_id), ("Resources", logical_id))

    def map(self, generated: Path, original: Path, *, keep_rest: bool = True) -> None:
        self.origins.add(generated, original, keep_rest=keep_rest)

    def copy(
        self,
        target: dict[str, Any],
        logical_id: str,
        key: str,
        source: dict[str, Any],
        where: Path,
        *,
        as_key: str | None = None,
    ) -> None:
        """Copy ``source[key]`` (when present) into generated properties as ``as_key``, recording
        that the generated node is the original one."""
        if key in source:
            name = as_key or key
            target[name] = source[key]
            self.map(("Resources", logical_id, "Properties", name), where + (key,))

    @property
    def base_prefix(self) -> str:
        """The template's directory with a trailing separator."""
        return self._base_prefix

    # -- names ----------------------------------------------------------------------------------
    def resolve_file(self, value: str, path: Path, what: str) -> str | None:
        """An absolute path for a file named relative to the template's directory, or None (and an
        error at ``path``) when it points outside that directory. The check is on the path as
        written (``..``, an absolute path elsewhere); a symbolic link the author placed inside the
        directory is theirs to follow."""
        base = self._base
        full = os.path.normpath(os.path.join(base, os.path.expanduser(value)))
        if full != base and not full.startswith(self._base_prefix):
            self.error(
                f"{what} {value!r} points outside the template's directory ({base}); keep the files a "
                "template deploys next to it or below it",
                path,
            )
            return None
        return full


def name_suffix(logical_id: str) -> str:
    """12 upper-case hex digits derived from a logical id: the tail of a generated physical name.

    ROS appends a random suffix per stack (``test-MyService-E522E1B83D81``); a digest of the
    logical id keeps the same shape and stays stable across updates (the stack name in front
    already separates stacks)."""
    return hashlib.sha256(logical_id.encode("utf-8")).hexdigest()[:12].upper()


def generated_name(logical_id: str) -> dict[str, Any]:
    """``<stack name>-<logical id>-<suffix>``, the shape of the names ROS generates."""
    return {"Fn::Sub": f"${{ALIYUN::StackName}}-{logical_id}-{name_suffix(logical_id)}"}
