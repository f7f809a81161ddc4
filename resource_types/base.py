"""Resource types: a schema plus a provider, and the contract between a provider and the engine.

Why this split: ``ros validate`` needs only the schema (properties with JSON-Schema types and
constraints, required, attributes that Fn::GetAtt may name, create-only properties that force
replacement); the stack engine needs the provider too.

**Schemas** are JSON files next to the provider module, in the spirit of the CloudFormation
resource-provider schema:

.. code-block:: json

    {
      "typeName": "ALIYUN::FC::Service",
      "description": "...",
      "properties": {
        "ServiceName": {"type": "string", "minLength": 1, "maxLength": 128},
        "Description": {"type": "string", "default": ""}
      },
      "required": ["ServiceName"],
      "additionalProperties": false,
      "createOnlyProperties": ["ServiceName"],
      "attributes": {"ServiceId": {"type": "string"}, "ServiceName": {"type": "string"}},
      "caseInsensitiveProperties": ["TriggerConfig"]
    }

``createOnlyProperties`` and ``caseInsensitiveProperties`` name top-level properties; a
``caseInsensitiveProperties`` entry means the keys *inside* that map property are matched without
regard to case (FC's TriggerConfig). A top-level property's ``default`` (JSON Schema's own
annotation keyword; validation ignores it) is the value the *service* gives the property when it
is not set, and so what an update that removes the property sends it back to
(:meth:`ResourceTypeSchema.reset_values`); ``"default": null`` means "unset": the provider clears
the setting as its API allows (a delete call, an empty value). A property without ``default``
keeps whatever the service has when it is removed. ``default`` is written in the hand-written
schemas (``<family>/handwritten/*.json``), which the generator merges over the ROS CDK's.

**Providers** implement :class:`ResourceProvider`; the contract, both ways, is written on its
methods and on :class:`ProviderContext` and :class:`ProviderResult`.
"""

from __future__ import annotations

import copy
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, Protocol, overload

if TYPE_CHECKING:
    from rosengine.clients.fc import FcClient
    from rosengine.clients.fc3 import Fc3Client
    from rosengine.clients.oss import OssClient
    from rosengine.clients.ram import RamClient
    from rosengine.clients.sls import SlsClient


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

    def defaults(self) -> dict[str, Any]:
        """Top-level properties with a ``default``, and that default (None: "unset")."""
        return {
            name: spec["default"]
            for name, spec in self.properties.items()
            if isinstance(spec, dict) and "default" in spec
        }

    def reset_values(self, previous: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
        """What an update that goes from ``previous`` to ``properties`` must send back to its
        default: each top-level property ``previous`` set and ``properties`` no longer sets
        (absent or None) and whose schema has a ``default``, with a copy of that default.

        Why: an update API keeps what it is not sent, so a property taken out of the template
        would otherwise stay as it was, unlike what the template now says."""
        defaults = self.defaults()
        return {
            name: copy.deepcopy(defaults[name])
            for name, value in previous.items()
            if value is not None and properties.get(name) is None and name in defaults
        }

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
    """A resource operation failed. ``message`` becomes the resource's StatusReason (as
    ``<code>: <message>``), so it names what was being done ("creating function svc/fn: ...").
    ``code`` is the service's error code where there is one (``InvalidArgument``,
    ``ServiceNotEmpty``), else ``ResourceOperationFailed``."""

    def __init__(self, message: str, *, code: str = "ResourceOperationFailed"):
        super().__init__(message)
        self.message = message
        self.code = code


class ResourceNotFound(ProviderError):
    """The physical resource is gone. On delete this counts as success (the engine catches it);
    on update it fails the update (the resource drifted away)."""

    def __init__(self, message: str = "resource not found"):
        super().__init__(message, code="NotFound")


class ServiceClients(Protocol):
    """The operation's client factory: one client per service name, built on first use, shared
    by every provider call of the operation (clients must be thread-safe), closed by the engine
    when the operation ends. Unknown service names raise :class:`ProviderError`."""

    def __call__(self, service: str) -> Any: ...


def _no_progress(message: str) -> None:
    """The default of :attr:`ProviderContext.emit`: progress goes nowhere."""


def _an_hour() -> float:
    """The default of :attr:`ProviderContext.deadline`: ROS's default stack timeout."""
    return 3600.0


@dataclass
class ProviderContext:
    """What the engine hands every provider call: who is asking, and the operation's means.

    One context per call. Providers reach services only through :meth:`client` (never by building
    endpoints or credentials, never by importing a backend)."""

    stack_name: str
    stack_id: str
    region: str
    account_id: str
    # The resource being operated on (a Count-expanded id looks like ``Fn[2]``).
    logical_id: str
    resource_type: str
    # The operation's client factory (see ServiceClients); providers use client().
    clients: ServiceClients
    # Seconds left before the stack timeout. A provider that waits or retries must stop by then:
    # at the deadline the engine abandons the call (its thread keeps running, its result is lost)
    # and records the resource as failed.
    deadline: Callable[[], float] = _an_hour
    # Report progress into the stack's event stream (optional).
    emit: Callable[[str], None] = _no_progress
    # Directory of the template file, for properties naming local paths (our Code.LocalPath);
    # None when the template came from a string.
    template_dir: str | None = None
    # The resources (``"<logical id> (<type>)"``) that are the only ones able to signal this
    # resource (a WaitCondition) and are deployed as placeholders, so nothing will ever signal it:
    # the provider signals SUCCESS itself and says so. Empty for everything else.
    placeholder_signallers: tuple[str, ...] = ()
    # The user asked for placeholders (--placeholders): a provider that cannot build the real
    # thing from what exists locally (a code package only the cloud has) may deploy a marked
    # stand-in instead (ProviderResult.placeholder) rather than fail.
    placeholders: bool = False
    # With --placeholders: the placeholders this resource depends on (``"<logical id> (<type>)"``).
    # What they would have created in the cloud (a service an FC application deploys) does not
    # exist here; a provider whose target is missing because of them may deploy a marked
    # stand-in that names them (ProviderResult.placeholder) rather than fail. Empty otherwise.
    placeholder_sources: tuple[str, ...] = ()

    @overload
    def client(self, service: Literal["fc"]) -> FcClient: ...
    @overload
    def client(self, service: Literal["fc3"]) -> Fc3Client: ...
    @overload
    def client(self, service: Literal["oss"]) -> OssClient: ...
    @overload
    def client(self, service: Literal["ram"]) -> RamClient: ...
    @overload
    def client(self, service: Literal["sls"]) -> SlsClient: ...
    def client(self, service: str) -> Any:
        """The operation's client for ``service``: ``"fc"`` (FC 2.0 API), ``"fc3"`` (FC 3.0 API),
        ``"oss"``, ``"ram"`` (RAM and STS), ``"sls"``; typed, so a provider's calls are checked
        against the client's methods. A new service adds its overload here and its builder to
        the engine's client factory."""
        return self.clients(service)


@dataclass
class ProviderResult:
    """Outcome of create/update: the physical id (what Ref returns), the Fn::GetAtt attributes,
    and optionally the StatusReason of the success. Update reports the attributes it changed
    (merged over the recorded ones). A call that returns anything else fails the resource (a
    broken contract)."""

    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    # How the resource exists here when it is not a full twin, shown as its StatusReason and in
    # its events: "record: ...", "placeholder: ...", "no-op locally: ...". Empty for a real twin
    # (the engine's default StatusReason then).
    note: str = ""
    # The resource is a stand-in (say why in ``note``): counted and shown as a placeholder.
    placeholder: bool = False


# The key under which read() returns the physical id of a resource it looked up by its
# properties (recovery of a create whose result was never recorded, see ResourceProvider.read).
PHYSICAL_RESOURCE_ID: Final = "PhysicalResourceId"


def read_answer(asked_id: str, physical_id: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """What :meth:`ResourceProvider.read` returns for a resource that exists: its attributes,
    plus its physical id under :data:`PHYSICAL_RESOURCE_ID` when it was looked up by its
    properties (``asked_id`` empty)."""
    return dict(attributes) if asked_id else {**attributes, PHYSICAL_RESOURCE_ID: physical_id}


def found_by_properties(answer: object) -> ProviderResult | None:
    """The resource a ``read(ctx, "", properties)`` answer says exists, as create would have
    reported it; None for any answer that does not name a physical id (the engine then creates the
    resource again). The engine's side of :data:`PHYSICAL_RESOURCE_ID`."""
    if not isinstance(answer, dict) or not answer.get(PHYSICAL_RESOURCE_ID):
        return None
    attributes = {k: v for k, v in answer.items() if k != PHYSICAL_RESOURCE_ID}
    return ProviderResult(str(answer[PHYSICAL_RESOURCE_ID]), attributes)


class ResourceProvider(ABC):
    """Create/read/update/delete for one resource type (``type_name``).

    What a provider may rely on:

    * The engine constructs a new instance for every call (no arguments), so instance state
      lives for one call. Calls run on worker threads, several resources at once: anything shared
      between calls (module state, the clients) must be thread-safe. One resource is in one call
      at a time, except that a call abandoned at the stack deadline may still run while the
      rollback works on the same resource.
    * ``properties`` are the resource's resolved Properties (the provider's own copy): functions
      evaluated, properties set to ``Ref: ALIYUN::NoValue`` left out, valid against the schema
      (checked before the operation starts and, for updates, again once resolved). Scalars may be
      strings where the template wrote them so (ROS accepts ``"128"`` for an integer).
      Create-only properties never change in an update: a change there makes the engine create
      a replacement, and delete the old resource once the whole update succeeded.
    * The engine records a create's intent before calling ``create`` and its result right after,
      so a process killed in between leaves a row that recovery resolves with ``read``.

    What a provider must guarantee:

    * Synchronous calls that return when the service has done the work, and stop waiting at
      ``ctx.deadline()``.
    * Failures raise :class:`ProviderError` (or :class:`ResourceNotFound`); any other exception
      also fails the resource, reported as ``<ExceptionType>: <message>``.
    * Calls may be repeated: ContinueCreateStack calls ``create`` again after a failed create
      (so a create that fails removes what it had made, or leaves it where ``read`` finds it); a
      rollback calls ``update`` with the previous properties whatever state the resource is in;
      ``delete`` may be called for a resource already gone (see :meth:`delete`).
    """

    type_name: ClassVar[str]

    @abstractmethod
    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        """Create the resource; return its physical id and the attributes the schema declares,
        by those names (one without a value is None: Fn::GetAtt reads it as null). The physical
        id must let update, delete and read find the resource again (a name, or a composite like
        ``service|function``)."""

    @abstractmethod
    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        """Bring the resource from ``previous_properties`` to ``properties`` in place (only called
        when no create-only property changed); return the physical id (the same) and the
        attributes that changed. A property removed from the template goes back to its schema
        ``default``: see :meth:`properties_after_update`."""

    @abstractmethod
    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        """Delete the resource. Already gone counts as deleted: return normally or raise
        :class:`ResourceNotFound`. ``properties`` are the last recorded ones (options such as
        ``DeletionForce`` live there)."""

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The resource's current attributes, or None when it does not exist.

        With an empty ``physical_id`` the engine is recovering a create whose result was never
        recorded (the process died during the call): look the resource up by ``properties`` (its
        name, say) and, when it exists, return its attributes with its physical id under
        :data:`PHYSICAL_RESOURCE_ID` (:func:`read_answer` builds both answers); the engine then
        adopts it instead of creating a duplicate. A provider that cannot look resources up by
        their properties returns None (the default), and the create is simply run again (as it is
        when read raises)."""
        return None

    def schema(self) -> ResourceTypeSchema | None:
        """This type's schema (the registry's; None for a type it does not know)."""
        from resource_types import registry  # the registry imports this module

        return registry.schema(self.type_name)

    def properties_after_update(
        self, properties: Mapping[str, Any], previous_properties: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``properties`` plus, for each property the previous template set and this one removes,
        the value the schema's ``default`` says it goes back to (None where the default is
        "unset"): what an update must send so the resource matches the template, since update
        APIs keep what they are not sent (:meth:`ResourceTypeSchema.reset_values`)."""
        schema = self.schema()
        resets = schema.reset_values(previous_properties, properties) if schema is not None else {}
        return {**properties, **resets}


@dataclass(frozen=True)
class ResourceType:
    schema: ResourceTypeSchema
    provider: type[ResourceProvider] | None = None
