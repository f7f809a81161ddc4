"""ALIYUN::RAM::ManagedPolicy provider: a custom policy, optionally attached to users, groups and
roles (https://www.alibabacloud.com/help/en/ros/developer-reference/aliyun-ram-managedpolicy).

The document is ``PolicyDocumentUnchecked`` when given, else ``PolicyDocument``; the local RAM
checks it either way and a bad one fails the create naming the offending statement. A changed
document becomes a new default policy version (the oldest non-default one goes when there are
five, as RAM allows). ``Description`` cannot change after creation (RAM's API has no update for
it here): a new description is kept only by a new policy name.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider, read_answer
from resource_types.ram.ram_api import (
    delete_custom_policy,
    document_text,
    exists,
    ignoring_missing,
    ram_errors,
)
from rosengine.clients.ram import RamClient

_TARGETS = (("Users", "User"), ("Groups", "Group"), ("Roles", "Role"))


def _document(properties: dict[str, Any]) -> str:
    value = properties.get("PolicyDocumentUnchecked") or properties.get("PolicyDocument")
    if not value:
        raise ProviderError("ALIYUN::RAM::ManagedPolicy needs PolicyDocument or PolicyDocumentUnchecked")
    return document_text(value)


def _targets(properties: dict[str, Any]) -> set[tuple[str, str]]:
    return {(kind, str(name)) for prop, kind in _TARGETS for name in properties.get(prop) or []}


def _detach_all(client: RamClient, name: str, targets: set[tuple[str, str]]) -> None:
    for kind, principal in sorted(targets):
        ignoring_missing(client.detach_policy, kind, principal, "Custom", name)


class ManagedPolicyProvider(ResourceProvider):
    type_name = "ALIYUN::RAM::ManagedPolicy"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        client = ctx.client("ram")
        name = str(properties["PolicyName"])
        document = _document(properties)
        with ram_errors(f"creating policy {name}"):
            if properties.get("IgnoreExisting") and exists(client.get_policy, name):
                return ProviderResult(physical_id=name, attributes={"PolicyName": name})
            client.create_policy(name, document, properties.get("Description"))
            attached: set[tuple[str, str]] = set()
            try:
                for kind, principal in sorted(_targets(properties)):
                    client.attach_policy(kind, principal, "Custom", name)
                    attached.add((kind, principal))
            except BaseException:
                _detach_all(client, name, attached)
                delete_custom_policy(client, name)
                raise
        return ProviderResult(physical_id=name, attributes={"PolicyName": name})

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        client = ctx.client("ram")
        with ram_errors(f"updating policy {physical_id}"):
            document = _document(properties)
            if document != _document(previous_properties):
                client.create_policy_version(physical_id, document)
            old, new = _targets(previous_properties), _targets(properties)
            _detach_all(client, physical_id, old - new)
            for kind, principal in sorted(new - old):
                client.attach_policy(kind, principal, "Custom", physical_id)
        return ProviderResult(physical_id=physical_id, attributes={"PolicyName": physical_id})

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        if properties.get("IgnoreExisting"):
            return
        client = ctx.client("ram")
        with ram_errors(f"deleting policy {physical_id}"):
            _detach_all(client, physical_id, _targets(properties))
            delete_custom_policy(client, physical_id, keep_if_attached=False)

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        name = physical_id or str(properties.get("PolicyName") or "")
        if not name or not exists(ctx.client("ram").get_policy, name):
            return None
        return read_answer(physical_id, name, {"PolicyName": name})
