"""ALIYUN::RAM::LoginProfile provider: a RAM user's console password
(https://www.alibabacloud.com/help/en/ros/developer-reference/aliyun-ram-loginprofile).

The user is named by ``UserPrincipalName`` (``<user>@<account alias or id>.onaliyun.com``); the
local account has one domain, so the part before ``@`` names the user (INFERRED: the cloud also
checks the domain). ``GenerateRandomPassword`` makes a 16-character password that meets RAM's
default policy; the attribute ``Password`` is what was set. ``Status`` (``Activate``/``Inactivate``,
the spelling of the ROS spec) is recorded; console logins do not exist locally.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider
from resource_types.ram.ram_api import ignoring_missing, ram_errors


def user_name(properties: dict[str, Any]) -> str:
    return str(properties["UserPrincipalName"]).split("@", 1)[0]


def _random_password() -> str:
    """16 characters with a lower-case letter, an upper-case letter, a digit and a symbol."""
    alphabet = string.ascii_letters + string.digits + "!@#%^*-_=+"
    while True:
        text = "".join(secrets.choice(alphabet) for _ in range(16))
        if (
            any(c.islower() for c in text)
            and any(c.isupper() for c in text)
            and any(c.isdigit() for c in text)
            and any(not c.isalnum() for c in text)
        ):
            return text


def _password(properties: dict[str, Any]) -> str:
    if properties.get("Password"):
        return str(properties["Password"])
    if properties.get("GenerateRandomPassword"):
        return _random_password()
    raise ProviderError("ALIYUN::RAM::LoginProfile needs Password or GenerateRandomPassword: true")


_FLAGS = ("PasswordResetRequired", "MFABindRequired")


def _flags(properties: dict[str, Any]) -> dict[str, Any]:
    return {flag: bool(properties.get(flag)) for flag in _FLAGS}


class LoginProfileProvider(ResourceProvider):
    type_name = "ALIYUN::RAM::LoginProfile"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        name = user_name(properties)
        password = _password(properties)
        with ram_errors(f"creating the login profile of user {name}"):
            ctx.client("ram").create_login_profile(name, password, **_flags(properties))
        return ProviderResult(
            physical_id=str(properties["UserPrincipalName"]), attributes={"Password": password}
        )

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        name = user_name(properties)
        after = self.properties_after_update(properties, previous_properties)
        changes: dict[str, Any] = {flag: bool(after[flag]) for flag in _FLAGS if after.get(flag) is not None}
        password = previous_attributes.get("Password")
        if properties.get("Password") != previous_properties.get("Password") or (
            properties.get("GenerateRandomPassword") and not previous_properties.get("GenerateRandomPassword")
        ):
            password = _password(properties)
            changes["Password"] = password
        with ram_errors(f"updating the login profile of user {name}"):
            ctx.client("ram").update_login_profile(name, **changes)
        return ProviderResult(physical_id=physical_id, attributes={"Password": password})

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        name = user_name(properties)
        with ram_errors(f"deleting the login profile of user {name}"):
            ignoring_missing(ctx.client("ram").delete_login_profile, name)
