"""ALIYUN::RAM::UserToGroupAddition provider: users added to a group
(https://www.alibabacloud.com/help/en/ros/developer-reference/aliyun-ram-usertogroupaddition).

The physical id is the group's name; an update adds and removes the difference; deleting removes
exactly the listed users (a user or group already gone counts as removed).
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.ram.ram_api import ignoring_missing, ram_errors


def _users(properties: dict[str, Any]) -> list[str]:
    return sorted({str(u) for u in properties.get("Users") or []})


class UserToGroupAdditionProvider(ResourceProvider):
    type_name = "ALIYUN::RAM::UserToGroupAddition"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        client = ctx.client("ram")
        group = str(properties["GroupName"])
        added: list[str] = []
        with ram_errors(f"adding users to group {group}"):
            try:
                for user in _users(properties):
                    client.add_user_to_group(user, group)
                    added.append(user)
            except BaseException:
                for user in added:
                    ignoring_missing(client.remove_user_from_group, user, group)
                raise
        return ProviderResult(physical_id=group)

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        client = ctx.client("ram")
        old, new = set(_users(previous_properties)), set(_users(properties))
        with ram_errors(f"changing the users of group {physical_id}"):
            for user in sorted(old - new):
                ignoring_missing(client.remove_user_from_group, user, physical_id)
            for user in sorted(new - old):
                client.add_user_to_group(user, physical_id)
        return ProviderResult(physical_id=physical_id)

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        client = ctx.client("ram")
        with ram_errors(f"removing users from group {physical_id}"):
            for user in _users(properties):
                ignoring_missing(client.remove_user_from_group, user, physical_id)
