"""ALIYUN::RAM::Role provider (https://www.alibabacloud.com/help/en/ros/developer-reference/aliyun-ram-role).

The role's ``AssumeRolePolicyDocument`` (its trust policy) decides who may assume it: a function
gets the role's credentials only when it names ``fc.aliyuncs.com``. ``Policies`` and
``PolicyAttachments`` are handled as for users and groups (``ram_api``). A create that fails after
the role exists removes it again, so nothing half-made stays behind.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider, read_answer
from resource_types.ram.ram_api import (
    apply_policies,
    document_text,
    exists,
    ignoring_missing,
    ram_errors,
    release_policies,
)


def _attributes(role: dict[str, Any]) -> dict[str, Any]:
    """Exactly the Fn::GetAtt attributes of resource_types/ram/role.json."""
    return {"Arn": role.get("Arn"), "RoleId": role.get("RoleId"), "RoleName": role.get("RoleName")}


class RoleProvider(ResourceProvider):
    type_name = "ALIYUN::RAM::Role"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        client = ctx.client("ram")
        name = str(properties["RoleName"])
        with ram_errors(f"creating role {name}"):
            if properties.get("IgnoreExisting") and exists(client.get_role, name):
                return ProviderResult(physical_id=name, attributes=_attributes(client.get_role(name)))
            role = client.create_role(
                name,
                document_text(properties["AssumeRolePolicyDocument"]),
                Description=properties.get("Description"),
                MaxSessionDuration=properties.get("MaxSessionDuration"),
            )
            try:
                apply_policies(client, "Role", name, properties)
            except BaseException:
                release_policies(client, "Role", name, properties, force=True)
                ignoring_missing(client.delete_role, name)
                raise
        return ProviderResult(physical_id=name, attributes=_attributes(role))

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
        with ram_errors(f"updating role {physical_id}"):
            role = client.update_role(
                physical_id,
                NewAssumeRolePolicyDocument=document_text(properties["AssumeRolePolicyDocument"]),
                NewMaxSessionDuration=after.get("MaxSessionDuration"),
                NewDescription=after.get("Description"),
            )
            apply_policies(client, "Role", physical_id, properties, previous_properties)
        return ProviderResult(physical_id=physical_id, attributes=_attributes(role))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        if properties.get("IgnoreExisting"):
            return
        client = ctx.client("ram")
        with ram_errors(f"deleting role {physical_id}"):
            if not exists(client.get_role, physical_id):
                return
            release_policies(
                client, "Role", physical_id, properties, force=bool(properties.get("DeletionForce"))
            )
            ignoring_missing(client.delete_role, physical_id)

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        name = physical_id or str(properties.get("RoleName") or "")
        if not name:
            return None
        role = ignoring_missing(ctx.client("ram").get_role, name)
        if role is None:
            return None
        return read_answer(physical_id, name, _attributes(role))
