"""The data types of the Template API (ARCHITECTURE.md): a loaded template, the stack identity
pseudo parameters resolve to, and the resource/output definitions ``prepare`` produces."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from rosengine import local_environment
from rosengine.errors import Path, TemplateError
from rosengine.template.sourcemap import SourceMap


@dataclass
class Template:
    """A parsed template whose sections passed the structural checks.

    ``data`` is plain Python data; functions are one-key dicts (``{"Fn::Join": [...]}``).
    ``warnings`` holds findings that do not stop the template from working (an unknown
    parameter property, say) so ``ros validate`` can show them.
    """

    data: dict[str, Any]
    filename: str
    source_map: SourceMap
    format: str = "yaml"  # "json" or "yaml": what the text was parsed as
    warnings: list[TemplateError] = field(default_factory=list)
    # name -> parameters.ParameterSpec, parsed once by the loader for every prepare()
    parameter_specs: dict[str, Any] = field(default_factory=dict, repr=False)
    # The Transform this template was expanded from (``data`` is then the processed template and
    # ``source_map`` answers with positions and paths of the file as written).
    transform: str | None = None

    def locate(self, err: TemplateError) -> TemplateError:
        """Fill in file/line/col of ``err`` from its path (in place; returns it for chaining)."""
        if err.file is None:
            err.file = self.filename
        if err.line is None:
            found = self.source_map.locate(err.path)
            err.path = self.source_map.original_path(err.path)
            if found is not None:
                err.line, err.col = found
        return err

    @property
    def parameters(self) -> dict[str, Any]:
        return _section(self.data, "Parameters")

    @property
    def resources(self) -> dict[str, Any]:
        return _section(self.data, "Resources")

    @property
    def outputs(self) -> dict[str, Any]:
        return _section(self.data, "Outputs")

    @property
    def conditions(self) -> dict[str, Any]:
        return _section(self.data, "Conditions")

    @property
    def mappings(self) -> dict[str, Any]:
        return _section(self.data, "Mappings")

    @property
    def rules(self) -> dict[str, Any]:
        return _section(self.data, "Rules")

    @property
    def locals(self) -> dict[str, Any]:
        return _section(self.data, "Locals")


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _new_stack_id() -> str:
    return str(uuid.uuid4())


@dataclass
class StackIdentity:
    """What the pseudo parameters resolve to. ``tenant_id`` defaults to the account id (a local
    engine runs as the main account)."""

    stack_name: str = "stack"
    stack_id: str = field(default_factory=_new_stack_id)
    region: str = field(default_factory=local_environment.region)
    account_id: str = field(default_factory=local_environment.account_id)
    tenant_id: str = ""
    resource_group_id: str = "rg-default"

    def __post_init__(self) -> None:
        if not self.tenant_id:
            self.tenant_id = self.account_id


@dataclass
class ResourceDefinition:
    """One resource after Count expansion (``A[0]``…) with condition-false resources removed.

    ``properties`` is the raw node (functions unresolved; in a Count copy ``ALIYUN::Index`` is
    already the integer). ``path`` points at the resource as written (``("Resources", "A")``),
    so errors in a copy land on the original lines. ``count_of``/``index`` say which Count
    resource a copy came from.
    """

    logical_id: str
    type: str
    properties: Any
    depends_on: list[str]
    condition: str | None
    deletion_policy: str
    metadata: Any
    description: str | None
    path: Path
    count_of: str | None = None
    index: int | None = None


@dataclass
class OutputDefinition:
    """One output whose Condition (if any) is true; ``value`` is the raw node."""

    name: str
    value: Any
    description: Any = None
    condition: str | None = None
    label: Any = None
    no_echo: bool = False
    path: Path = ()
