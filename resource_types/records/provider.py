"""Record twins: one generic provider for the types that FC templates reference but that have no
local data plane (VPCs, security groups, EIPs, NAT gateways, resource groups, DNS records, MNS
queues and topics, API Gateway groups, apps, APIs, deployments and their bindings, NAS mount
targets and access groups).

A record validates its properties (the engine checks them against the type's schema before any
provider runs; a rule adds what a schema cannot say, such as a CIDR block that is not a network),
returns an ID in the cloud's format with the local marker and a value for every attribute of the
schema (the rule's realistic ones, :mod:`resource_types.local_values` for the rest), is kept in
the stack's state (``ros stack resources``, ``ros records list``) and is deleted with the stack.
Its status reason says it is a record. A rule may also *publish* a record to a backend service
that gives it a data plane after all (API Gateway APIs backed by a function get a local route).

Why one mechanism: thirty hand-copied providers would drift apart; a table of small per-type rules
(:mod:`resource_types.records.rules`) says only what differs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from resource_types import registry
from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider
from resource_types.local_values import attribute_values, local_id, prefix_for, primary_id_attribute

IdRule = Callable[[ProviderContext, Mapping[str, Any]], str]
AttributeRule = Callable[[ProviderContext, Mapping[str, Any], str], dict[str, Any]]
CheckRule = Callable[[Mapping[str, Any]], None]


class Publisher:
    """A backend service a record is told about (create/update: ``publish``; delete: ``withdraw``)."""

    def publish(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: Mapping[str, Any],
        attributes: Mapping[str, Any],
    ) -> None:
        raise NotImplementedError

    def withdraw(self, ctx: ProviderContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class RecordRule:
    """What is particular about one record type."""

    type_name: str
    service: str  # what is not emulated, for the status reason ("VPC", "API Gateway")
    new_id: IdRule | None = None  # default: <prefix>-lcl<random> from the ID attribute's name
    attributes: AttributeRule | None = None  # realistic values beyond the generic ones
    check: CheckRule | None = None  # validation a schema cannot express; raises ProviderError
    publisher: Publisher | None = None
    keep_id_on_update: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)


def record_note(rule: RecordRule) -> str:
    return f"record: {rule.service} is not emulated here (no data plane); IDs are local"


class RecordProvider(ResourceProvider):
    """The provider of every record type; :func:`provider_for` makes one subclass per rule."""

    rule: ClassVar[RecordRule]

    def _attributes(
        self, ctx: ProviderContext, properties: Mapping[str, Any], physical_id: str
    ) -> dict[str, Any]:
        schema = registry.schema(self.rule.type_name)
        known = self.rule.attributes(ctx, properties, physical_id) if self.rule.attributes else {}
        if schema is None:
            return dict(known)
        return attribute_values(schema, ctx, properties, physical_id, known=known)

    def _new_id(self, ctx: ProviderContext, properties: Mapping[str, Any]) -> str:
        if self.rule.new_id is not None:
            return self.rule.new_id(ctx, properties)
        schema = registry.schema(self.rule.type_name)
        attribute = primary_id_attribute(schema) if schema is not None else None
        return local_id(prefix_for(self.rule.type_name, attribute))

    def _check(self, properties: Mapping[str, Any]) -> None:
        if self.rule.check is not None:
            self.rule.check(properties)

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        self._check(properties)
        physical_id = self._new_id(ctx, properties)
        attributes = self._attributes(ctx, properties, physical_id)
        if self.rule.publisher is not None:
            self.rule.publisher.publish(ctx, physical_id, properties, attributes)
        return ProviderResult(physical_id, attributes, note=record_note(self.rule))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        self._check(properties)
        fresh = self._attributes(ctx, properties, physical_id)
        # IDs and secrets made at create stay; values that follow the properties follow them.
        kept = {k: v for k, v in previous_attributes.items() if k not in properties}
        attributes = {**fresh, **kept}
        if self.rule.publisher is not None:
            self.rule.publisher.publish(ctx, physical_id, properties, attributes)
        return ProviderResult(physical_id, attributes, note=record_note(self.rule))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        if self.rule.publisher is not None:
            self.rule.publisher.withdraw(ctx, physical_id, properties)

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        return None


def provider_for(rule: RecordRule) -> type[RecordProvider]:
    name = "".join(part for part in rule.type_name.split("::")[1:]) + "Record"
    return type(name, (RecordProvider,), {"type_name": rule.type_name, "rule": rule})


def invalid(message: str) -> ProviderError:
    return ProviderError(message, code="InvalidParameter")
