"""``RamClient``: the RAM and STS client the CLI and the ``ALIYUN::RAM::*`` providers use.

Why our own client rather than ``aliyunsdkcore``: providers run in parallel threads and want a
thread-safe, pooled client (httpx) with typed errors, like :class:`rosengine.clients.fc.FcClient`;
the official SDKs are what the tests drive the twin with. Every call is an RPC request (``POST /``
with a form body) signed with :mod:`backend_contract.rpc_signing`, the code the backend verifies
with.

Where the service is: the local backend (RAM and STS answer on its endpoint), found exactly as
the FC client finds it (``ROS_FC_ENDPOINT`` and ``ROS_FC_ACCESS_KEY_ID``/``_SECRET``, or the running
backend's ``backend.json``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from backend_contract import rpc_signing
from rosengine.clients.transport import http_transport

RAM_VERSION = "2015-05-01"
STS_VERSION = "2015-04-01"
PRINCIPAL_TYPES = ("User", "Group", "Role")


class RamApiError(Exception):
    """An error answer from RAM or STS: HTTP status, the service's code, message, request id."""

    def __init__(self, status: int, code: str, message: str, request_id: str = ""):
        super().__init__(f"{code}: {message}" if code else message)
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id


class RamNotFound(RamApiError):
    """``EntityNotExist.*``: the user, group, role, policy, key ... does not exist."""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _items(answer: dict[str, Any], outer: str, inner: str) -> list[dict[str, Any]]:
    """The list in RAM's ``{"Users": {"User": [...]}}`` shape."""
    found = (answer.get(outer) or {}).get(inner) or []
    return list(found) if isinstance(found, list) else [found]


class RamClient:
    """Thread-safe RAM + STS client. Methods return the API's JSON (PascalCase dicts)."""

    def __init__(
        self,
        endpoint: str,
        access_key_id: str,
        access_key_secret: str,
        security_token: str = "",
        *,
        region_id: str = "cn-hangzhou",
        timeout: float = 30.0,
    ):
        self.endpoint = endpoint.rstrip("/")
        if not self.endpoint.startswith(("http://", "https://")):
            self.endpoint = "https://" + self.endpoint
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.security_token = security_token
        self.region_id = region_id
        transport = http_transport(self.endpoint)
        self._http = httpx.Client(base_url=self.endpoint, timeout=timeout, transport=transport)

    @classmethod
    def from_environment(cls) -> RamClient:
        """A client for the backend the FC client would use (never started by a client)."""
        from rosengine.clients.fc import FcClient

        with FcClient.from_environment() as fc:
            return cls(fc.endpoint, fc.access_key_id, fc.access_key_secret, fc.security_token)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RamClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------------------

    def call(self, action: str, version: str = RAM_VERSION, **params: Any) -> dict[str, Any]:
        """One signed RPC call; ``None`` parameters are left out."""
        given = {k: _text(v) for k, v in params.items() if v is not None}
        form = rpc_signing.signed_params(
            action,
            version,
            given,
            access_key_id=self.access_key_id,
            access_key_secret=self.access_key_secret,
            security_token=self.security_token,
            region_id=self.region_id,
        )
        try:
            # The x-acs-* headers name the product's API as the Tea SDKs do: the backend routes a
            # POST whose parameters are all in the body by them.
            response = self._http.post(
                "/", data=form, headers={"x-acs-action": action, "x-acs-version": version}
            )
        except httpx.HTTPError as exc:
            raise RamApiError(
                0, "BackendUnavailable", f"RAM/STS at {self.endpoint} did not answer: {exc}"
            ) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code >= 400:
            code = str(answer.get("Code") or f"HTTP{response.status_code}")
            kind = RamNotFound if code.startswith("EntityNotExist") else RamApiError
            raise kind(
                response.status_code,
                code,
                str(answer.get("Message") or response.text[:300]),
                str(answer.get("RequestId") or ""),
            )
        return dict(answer)

    # -- users, login profiles, access keys ------------------------------------------------------------

    def create_user(self, name: str, **fields: Any) -> dict[str, Any]:
        """``fields``: DisplayName, Email, MobilePhone, Comments."""
        return dict(self.call("CreateUser", UserName=name, **fields)["User"])

    def get_user(self, name: str) -> dict[str, Any]:
        return dict(self.call("GetUser", UserName=name)["User"])

    def update_user(self, name: str, **changes: Any) -> dict[str, Any]:
        """``changes``: NewUserName, NewDisplayName, NewEmail, NewMobilePhone, NewComments."""
        return dict(self.call("UpdateUser", UserName=name, **changes)["User"])

    def delete_user(self, name: str) -> None:
        self.call("DeleteUser", UserName=name)

    def list_users(self) -> list[dict[str, Any]]:
        return self._all("ListUsers", "Users", "User")

    def create_login_profile(self, user: str, password: str, **flags: Any) -> dict[str, Any]:
        """``flags``: PasswordResetRequired, MFABindRequired."""
        return dict(
            self.call("CreateLoginProfile", UserName=user, Password=password, **flags)["LoginProfile"]
        )

    def get_login_profile(self, user: str) -> dict[str, Any]:
        return dict(self.call("GetLoginProfile", UserName=user)["LoginProfile"])

    def update_login_profile(self, user: str, **changes: Any) -> None:
        """``changes``: Password, PasswordResetRequired, MFABindRequired."""
        self.call("UpdateLoginProfile", UserName=user, **changes)

    def delete_login_profile(self, user: str) -> None:
        self.call("DeleteLoginProfile", UserName=user)

    def create_access_key(self, user: str) -> dict[str, Any]:
        return dict(self.call("CreateAccessKey", UserName=user)["AccessKey"])

    def list_access_keys(self, user: str) -> list[dict[str, Any]]:
        return _items(self.call("ListAccessKeys", UserName=user), "AccessKeys", "AccessKey")

    def update_access_key(self, user: str, key_id: str, status: str) -> None:
        self.call("UpdateAccessKey", UserName=user, UserAccessKeyId=key_id, Status=status)

    def delete_access_key(self, user: str, key_id: str) -> None:
        self.call("DeleteAccessKey", UserName=user, UserAccessKeyId=key_id)

    # -- groups ------------------------------------------------------------------------------------

    def create_group(self, name: str, comments: str | None = None) -> dict[str, Any]:
        return dict(self.call("CreateGroup", GroupName=name, Comments=comments)["Group"])

    def get_group(self, name: str) -> dict[str, Any]:
        return dict(self.call("GetGroup", GroupName=name)["Group"])

    def update_group(self, name: str, **changes: Any) -> dict[str, Any]:
        """``changes``: NewGroupName, NewComments."""
        return dict(self.call("UpdateGroup", GroupName=name, **changes)["Group"])

    def delete_group(self, name: str) -> None:
        self.call("DeleteGroup", GroupName=name)

    def add_user_to_group(self, user: str, group: str) -> None:
        self.call("AddUserToGroup", UserName=user, GroupName=group)

    def remove_user_from_group(self, user: str, group: str) -> None:
        self.call("RemoveUserFromGroup", UserName=user, GroupName=group)

    def list_groups_for_user(self, user: str) -> list[dict[str, Any]]:
        return _items(self.call("ListGroupsForUser", UserName=user), "Groups", "Group")

    def list_users_for_group(self, group: str) -> list[dict[str, Any]]:
        return self._all("ListUsersForGroup", "Users", "User", GroupName=group)

    # -- roles -------------------------------------------------------------------------------------

    def create_role(self, name: str, trust_policy: str | dict[str, Any], **fields: Any) -> dict[str, Any]:
        """``fields``: Description, MaxSessionDuration."""
        return dict(
            self.call("CreateRole", RoleName=name, AssumeRolePolicyDocument=trust_policy, **fields)["Role"]
        )

    def get_role(self, name: str) -> dict[str, Any]:
        return dict(self.call("GetRole", RoleName=name)["Role"])

    def update_role(self, name: str, **changes: Any) -> dict[str, Any]:
        """``changes``: NewAssumeRolePolicyDocument, NewMaxSessionDuration, NewDescription."""
        return dict(self.call("UpdateRole", RoleName=name, **changes)["Role"])

    def delete_role(self, name: str) -> None:
        self.call("DeleteRole", RoleName=name)

    def list_roles(self) -> list[dict[str, Any]]:
        return self._all("ListRoles", "Roles", "Role")

    # -- policies ----------------------------------------------------------------------------------

    def create_policy(
        self, name: str, document: str | dict[str, Any], description: str | None = None
    ) -> dict[str, Any]:
        return dict(
            self.call("CreatePolicy", PolicyName=name, PolicyDocument=document, Description=description)[
                "Policy"
            ]
        )

    def get_policy(self, name: str, policy_type: str = "Custom") -> dict[str, Any]:
        return self.call("GetPolicy", PolicyName=name, PolicyType=policy_type)

    def delete_policy(self, name: str) -> None:
        self.call("DeletePolicy", PolicyName=name)

    def create_policy_version(
        self, name: str, document: str | dict[str, Any], *, set_as_default: bool = True, rotate: bool = True
    ) -> dict[str, Any]:
        """A new version (the default one by default); ``rotate`` drops the oldest non-default
        version when the policy already has five."""
        return dict(
            self.call(
                "CreatePolicyVersion",
                PolicyName=name,
                PolicyDocument=document,
                SetAsDefault=set_as_default,
                RotateStrategy="DeleteOldestNonDefaultVersionWhenLimitExceeded" if rotate else "None",
            )["PolicyVersion"]
        )

    def list_policy_versions(self, name: str, policy_type: str = "Custom") -> list[dict[str, Any]]:
        return _items(
            self.call("ListPolicyVersions", PolicyName=name, PolicyType=policy_type),
            "PolicyVersions",
            "PolicyVersion",
        )

    def delete_policy_version(self, name: str, version_id: str) -> None:
        self.call("DeletePolicyVersion", PolicyName=name, VersionId=version_id)

    def attach_policy(self, principal_type: str, principal: str, policy_type: str, policy: str) -> None:
        """``AttachPolicyTo{User,Group,Role}``."""
        self.call(
            f"AttachPolicyTo{principal_type}",
            PolicyType=policy_type,
            PolicyName=policy,
            **{f"{principal_type}Name": principal},
        )

    def detach_policy(self, principal_type: str, principal: str, policy_type: str, policy: str) -> None:
        """``DetachPolicyFrom{User,Group,Role}``."""
        self.call(
            f"DetachPolicyFrom{principal_type}",
            PolicyType=policy_type,
            PolicyName=policy,
            **{f"{principal_type}Name": principal},
        )

    def list_policies_for(self, principal_type: str, principal: str) -> list[dict[str, Any]]:
        """``ListPoliciesFor{User,Group,Role}``."""
        answer = self.call(f"ListPoliciesFor{principal_type}", **{f"{principal_type}Name": principal})
        return _items(answer, "Policies", "Policy")

    def list_entities_for_policy(
        self, name: str, policy_type: str = "Custom"
    ) -> dict[str, list[dict[str, Any]]]:
        answer = self.call("ListEntitiesForPolicy", PolicyName=name, PolicyType=policy_type)
        return {kind: _items(answer, f"{kind}s", kind) for kind in PRINCIPAL_TYPES}

    # -- STS ---------------------------------------------------------------------------------------

    def assume_role(
        self,
        role_arn: str,
        session_name: str,
        *,
        duration_seconds: int | None = None,
        policy: str | None = None,
    ) -> dict[str, Any]:
        return self.call(
            "AssumeRole",
            STS_VERSION,
            RoleArn=role_arn,
            RoleSessionName=session_name,
            DurationSeconds=duration_seconds,
            Policy=policy,
        )

    def get_caller_identity(self) -> dict[str, Any]:
        return self.call("GetCallerIdentity", STS_VERSION)

    # -- paging ------------------------------------------------------------------------------------

    def _all(self, action: str, outer: str, inner: str, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        marker: str | None = None
        while True:
            answer = self.call(action, MaxItems=1000, Marker=marker, **params)
            found += _items(answer, outer, inner)
            if not answer.get("IsTruncated"):
                return found
            marker = str(answer["Marker"])
