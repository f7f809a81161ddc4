"""ALIYUN::RAM::User provider (https://www.alibabacloud.com/help/en/ros/developer-reference/aliyun-ram-user).

Besides the user itself: ``Groups`` it joins, a console ``LoginProfile``, and ``Policies``/
``PolicyAttachments`` (``ram_api``). Deleting leaves the groups it joined (all of them with
``DeletionForce``) and detaches its policies first; its access keys belong to their own
``ALIYUN::RAM::AccessKey`` resources, which the stack deletes before the user.
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
from rosengine.clients.ram import RamClient

_FIELDS = ("DisplayName", "Email", "MobilePhone", "Comments")


def _attributes(user: dict[str, Any]) -> dict[str, Any]:
    """Exactly the Fn::GetAtt attributes of resource_types/ram/user.json."""
    return {
        "UserName": user.get("UserName"),
        "UserId": user.get("UserId"),
        "CreateDate": user.get("CreateDate"),
        "LastLoginDate": user.get("LastLoginDate") or None,
    }


def _groups(properties: dict[str, Any]) -> set[str]:
    return {str(g) for g in properties.get("Groups") or []}


def _login_flags(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "PasswordResetRequired": profile.get("PasswordResetRequired"),
        "MFABindRequired": profile.get("MFABindRequired"),
    }


def _apply_login_profile(
    client: RamClient, name: str, profile: dict[str, Any] | None, previous: dict[str, Any] | None
) -> None:
    if profile == previous:
        return
    if not profile:
        ignoring_missing(client.delete_login_profile, name)
    elif not previous:
        client.create_login_profile(name, str(profile.get("Password") or ""), **_login_flags(profile))
    else:
        client.update_login_profile(name, Password=profile.get("Password"), **_login_flags(profile))


class UserProvider(ResourceProvider):
    type_name = "ALIYUN::RAM::User"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        client = ctx.client("ram")
        name = str(properties["UserName"])
        with ram_errors(f"creating user {name}"):
            user = client.create_user(name, **{f: properties.get(f) for f in _FIELDS})
            try:
                for group in sorted(_groups(properties)):
                    client.add_user_to_group(name, group)
                _apply_login_profile(client, name, properties.get("LoginProfile"), None)
                apply_policies(client, "User", name, properties)
            except BaseException:
                self._remove(client, name, properties, force=True)
                raise
        return ProviderResult(physical_id=name, attributes=_attributes(user))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        client = ctx.client("ram")
        with ram_errors(f"updating user {physical_id}"):
            after = self.properties_after_update(properties, previous_properties)
            user = client.update_user(physical_id, **{f"New{f}": after.get(f) for f in _FIELDS})
            old, new = _groups(previous_properties), _groups(properties)
            for group in sorted(old - new):
                ignoring_missing(client.remove_user_from_group, physical_id, group)
            for group in sorted(new - old):
                client.add_user_to_group(physical_id, group)
            _apply_login_profile(
                client, physical_id, properties.get("LoginProfile"), previous_properties.get("LoginProfile")
            )
            apply_policies(client, "User", physical_id, properties, previous_properties)
        return ProviderResult(physical_id=physical_id, attributes=_attributes(user))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        client = ctx.client("ram")
        with ram_errors(f"deleting user {physical_id}"):
            self._remove(client, physical_id, properties, force=bool(properties.get("DeletionForce")))

    @staticmethod
    def _remove(client: RamClient, name: str, properties: dict[str, Any], *, force: bool) -> None:
        if not exists(client.get_user, name):
            return
        groups = _groups(properties)
        if force:
            groups |= {g["GroupName"] for g in client.list_groups_for_user(name)}
        for group in sorted(groups):
            ignoring_missing(client.remove_user_from_group, name, group)
        release_policies(client, "User", name, properties, force=force)
        ignoring_missing(client.delete_user, name)

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        name = physical_id or str(properties.get("UserName") or "")
        if not name:
            return None
        user = ignoring_missing(ctx.client("ram").get_user, name)
        if user is None:
            return None
        return read_answer(physical_id, name, _attributes(user))
