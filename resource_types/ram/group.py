"""ALIYUN::RAM::Group provider (https://www.alibabacloud.com/help/en/ros/developer-reference/aliyun-ram-group).

``Policies``/``PolicyAttachments``/``DeletionForce``/``IgnoreExisting`` as for roles (``ram_api``).
A group with members cannot be deleted (RAM's ``DeleteConflict.Group.User``): members added by
``ALIYUN::RAM::User.Groups`` or ``UserToGroupAddition`` leave it when those resources go first.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider, read_answer
from resource_types.ram.ram_api import (
    apply_policies,
    exists,
    ignoring_missing,
    ram_errors,
    release_policies,
)


class GroupProvider(ResourceProvider):
    type_name = "ALIYUN::RAM::Group"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        client = ctx.client("ram")
        name = str(properties["GroupName"])
        with ram_errors(f"creating group {name}"):
            if properties.get("IgnoreExisting") and exists(client.get_group, name):
                return ProviderResult(physical_id=name, attributes={"GroupName": name})
            client.create_group(name, properties.get("Comments"))
            try:
                apply_policies(client, "Group", name, properties)
            except BaseException:
                release_policies(client, "Group", name, properties, force=True)
                ignoring_missing(client.delete_group, name)
                raise
        return ProviderResult(physical_id=name, attributes={"GroupName": name})

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        client = ctx.client("ram")
        after = self.properties_after_update(properties, previous_properties)
        with ram_errors(f"updating group {physical_id}"):
            client.update_group(physical_id, NewComments=after.get("Comments"))
            apply_policies(client, "Group", physical_id, properties, previous_properties)
        return ProviderResult(physical_id=physical_id, attributes={"GroupName": physical_id})

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        if properties.get("IgnoreExisting"):
            return
        client = ctx.client("ram")
        with ram_errors(f"deleting group {physical_id}"):
            if not exists(client.get_group, physical_id):
                return
            release_policies(
                client, "Group", physical_id, properties, force=bool(properties.get("DeletionForce"))
            )
            ignoring_missing(client.delete_group, physical_id)

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        name = physical_id or str(properties.get("GroupName") or "")
        if not name or not exists(ctx.client("ram").get_group, name):
            return None
        return read_answer(physical_id, name, {"GroupName": name})
