"""Resource types: a schema plus a provider with create / read / update / delete handlers.

Why this split: ``ros validate`` needs only the schema (properties with JSON-Schema types and
constraints, required, attributes that Fn::GetAtt may name, create-only properties that force
replacement); the stack engine needs the provider too. Schemas are JSON files next to the
provider module, in the spirit of the CloudFormation resource-provider schema:

.. code-block:: json

    {
      "typeName": "ALIYUN::FC::Service",
      "description": "...",
      "properties": {"ServiceName": {"type": "string", "minLength": 1, "maxLength": 128}},
      "required": ["ServiceName"],
      "additionalProperties": false,
      "createOnlyProperties": ["ServiceName"],
      "attributes": {"ServiceId": {"type": "string"}, "ServiceName": {"type": "string"}},
      "caseInsensitiveProperties": ["TriggerConfig"]
    }

``createOnlyProperties`` and ``caseInsensitiveProperties`` name top-level properties; a
``caseInsensitiveProperties`` entry means the keys *inside* that map property are matched without
regard to case (FC's TriggerConfig).

Providers reach services only through clients (``rosengine.clients``), never by importing a backend.
They are synchronous; the engine runs them on a thread pool, so a provider must be thread-safe
(httpx clients are). A provider signals failure by raising :class:`ProviderError` with a message
fit for the stack's event log.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar


@dataclass(frozen=True)
class ResourceTypeSchema:
    type_name: str
    properties: dict[str, Any]
    required: tuple[str, ...] = ()
    create_only: frozenset[str] = frozenset()
    attributes: dict[str, Any] = field(default_factory=dict)
    case_insensitive: frozenset[str] = frozenset()
    additional_properties: bool = False
    description: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResourceTypeSchema:
        return cls(
            type_name=data["typeName"],
            properties=data.get("properties", {}),
            required=tuple(data.get("required", ())),
            create_only=frozenset(data.get("createOnlyProperties", ())),
            attributes=data.get("attributes", {}),
            case_insensitive=frozenset(data.get("caseInsensitiveProperties", ())),
            additional_properties=bool(data.get("additionalProperties", False)),
            description=data.get("description", ""),
            raw=data,
        )

    @classmethod
    def from_file(cls, path: Path) -> ResourceTypeSchema:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def json_schema(self) -> dict[str, Any]:
        """The object schema jsonschema validates a resource's Properties against."""
        schema: dict[str, Any] = {
            "type": "object",
            "properties": self.properties,
            "required": list(self.required),
            "additionalProperties": self.additional_properties,
        }
        # Cross-property rules (a trigger's TriggerConfig shape chosen by its TriggerType, "one of"
        # code sources) live in these top-level keywords; dropping them would lose those checks.
        for keyword in (
            "definitions",
            "$defs",
            "allOf",
            "anyOf",
            "oneOf",
            "dependencies",
            "dependentRequired",
            "dependentSchemas",
            "if",
            "then",
            "else",
        ):
            if keyword in self.raw:
                schema[keyword] = self.raw[keyword]
        return schema


class ProviderError(Exception):
    """A resource operation failed; ``message`` goes into the resource's StatusReason."""

    def __init__(self, message: str, *, code: str = "ResourceOperationFailed"):
        super().__init__(message)
        self.message = message
        self.code = code


class ResourceNotFound(ProviderError):
    """The physical resource is gone; for delete this counts as success."""

    def __init__(self, message: str = "resource not found"):
        super().__init__(message, code="NotFound")


@dataclass
class ProviderContext:
    """What the engine hands every provider call."""

    stack_name: str
    stack_id: str
    region: str
    account_id: str
    logical_id: str
    resource_type: str
    # Factory for service clients, keyed by service ("fc", "oss"): providers never build
    # endpoints or credentials themselves.
    clients: Callable[[str], Any]
    # Seconds left before the stack timeout; a provider that waits must not wait longer.
    deadline: Callable[[], float] = lambda: 3600.0
    # Report progress into the stack's event stream (optional).
    emit: Callable[[str], None] = lambda message: None
    # Directory of the template file, for properties naming local paths (our Code.LocalPath).
    template_dir: str | None = None
    # The resources (``"<logical id> (<type>)"``) that are the only ones able to signal this
    # resource (a WaitCondition) and are deployed as placeholders, so nothing will ever signal it:
    # the provider signals SUCCESS itself and says so. Empty for everything else.
    placeholder_signallers: tuple[str, ...] = ()


@dataclass
class ProviderResult:
    """Outcome of create/update: the physical id (what Ref returns) and GetAtt attributes."""

    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    # How the resource exists here when it is not a full twin, shown as its StatusReason and in
    # its events: "record: ...", "placeholder: ...", "no-op locally: ...". Empty for a real twin.
    note: str = ""


class ResourceProvider(ABC):
    """Create/read/update/delete for one resource type. One instance per call is fine."""

    type_name: ClassVar[str]

    @abstractmethod
    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult: ...

    @abstractmethod
    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        """Update in place (only called when no create-only property changed)."""

    @abstractmethod
    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        """Delete; raise nothing when the resource is already gone."""

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Current attributes, or None if the resource no longer exists (drift/recovery)."""
        return None


@dataclass(frozen=True)
class ResourceType:
    schema: ResourceTypeSchema
    provider: type[ResourceProvider] | None = None
