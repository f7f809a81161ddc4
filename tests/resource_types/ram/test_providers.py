"""The ALIYUN::RAM::* providers against a real backend's RAM, through RamClient."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from resource_types import registry
from resource_types.base import ProviderContext, ProviderError, ProviderResult
from rosengine.clients.ram import RamApiError, RamClient, RamNotFound
from tests.support.ram import FC_TRUST, RamBackend, account_trust, allow, ram_backend

_names = itertools.count(1)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RamBackend]:
    with ram_backend(tmp_path_factory.mktemp("ram-providers")) as served:
        yield served


@pytest.fixture
def ram(backend: RamBackend) -> Iterator[RamClient]:
    with backend.root() as client:
        yield client


@pytest.fixture
def unique() -> Callable[[str], str]:
    return lambda prefix: f"{prefix}-{next(_names)}"


class Provided:
    """One resource type's provider with a context for it."""

    def __init__(self, type_name: str, ram: RamClient, account_id: str):
        resource_type = registry.get(type_name)
        assert resource_type is not None and resource_type.provider is not None, type_name
        self.provider = resource_type.provider()
        self.ctx = ProviderContext(
            stack_name="test",
            stack_id="stack-1",
            region="cn-hangzhou",
            account_id=account_id,
            logical_id="Res",
            resource_type=type_name,
            clients=lambda service: ram,
        )

    def create(self, properties: dict[str, Any]) -> ProviderResult:
        return self.provider.create(self.ctx, properties)

    def update(self, result: ProviderResult, new: dict[str, Any], old: dict[str, Any]) -> ProviderResult:
        return self.provider.update(self.ctx, result.physical_id, new, old, result.attributes)

    def delete(self, physical_id: str, properties: dict[str, Any]) -> None:
        self.provider.delete(self.ctx, physical_id, properties)


@pytest.fixture
def provided(ram: RamClient, backend: RamBackend) -> Callable[[str], Provided]:
    return lambda type_name: Provided(type_name, ram, backend.config.account_id)


def _attached(ram: RamClient, kind: str, name: str) -> set[tuple[str, str]]:
    return {(p["PolicyType"], p["PolicyName"]) for p in ram.list_policies_for(kind, name)}


def test_role_with_inline_and_attached_policies(
    provided, ram: RamClient, unique, backend: RamBackend
) -> None:
    role = provided("ALIYUN::RAM::Role")
    name, policy = unique("role"), unique("inline")
    properties = {
        "RoleName": name,
        "AssumeRolePolicyDocument": FC_TRUST,
        "Policies": [{"PolicyName": policy, "PolicyDocument": allow("oss:GetObject")}],
        "PolicyAttachments": {"System": ["AliyunLogFullAccess"]},
        "MaxSessionDuration": 7200,
        "Description": "for functions",
    }
    result = role.create(properties)
    assert result.physical_id == name
    assert result.attributes == {
        "Arn": f"acs:ram::{backend.config.account_id}:role/{name}",
        "RoleId": ram.get_role(name)["RoleId"],
        "RoleName": name,
    }
    assert _attached(ram, "Role", name) == {("Custom", policy), ("System", "AliyunLogFullAccess")}
    changed = {
        **properties,
        "AssumeRolePolicyDocument": account_trust(backend.config.account_id),
        "Policies": [{"PolicyName": policy, "PolicyDocument": allow("oss:*")}],
        "PolicyAttachments": {"System": ["AliyunFCReadOnlyAccess"]},
        "MaxSessionDuration": 3600,
    }
    role.update(result, changed, properties)
    after = ram.get_role(name)
    assert after["MaxSessionDuration"] == 3600 and "RAM" in after["AssumeRolePolicyDocument"]
    assert _attached(ram, "Role", name) == {("Custom", policy), ("System", "AliyunFCReadOnlyAccess")}
    assert ram.get_policy(policy)["Policy"]["DefaultVersion"] == "v2"
    role.delete(name, changed)
    with pytest.raises(RamNotFound):
        ram.get_role(name)
    with pytest.raises(RamNotFound):
        ram.get_policy(policy)  # the role's own policy went with it
    role.delete(name, changed)  # deleting again is fine


def test_a_session_duration_removed_from_the_template_goes_back_to_its_default(
    provided, ram: RamClient, unique
) -> None:
    role = provided("ALIYUN::RAM::Role")
    name = unique("role")
    properties = {
        "RoleName": name,
        "AssumeRolePolicyDocument": FC_TRUST,
        "MaxSessionDuration": 7200,
        "Description": "for functions",
    }
    result = role.create(properties)
    role.update(result, {"RoleName": name, "AssumeRolePolicyDocument": FC_TRUST}, properties)
    assert ram.get_role(name)["MaxSessionDuration"] == 3600
    role.delete(name, properties)


def test_a_failed_role_create_leaves_nothing(provided, ram: RamClient, unique) -> None:
    role = provided("ALIYUN::RAM::Role")
    name, policy = unique("doomed"), unique("doomed-policy")
    with pytest.raises(ProviderError) as failed:
        role.create(
            {
                "RoleName": name,
                "AssumeRolePolicyDocument": FC_TRUST,
                "Policies": [{"PolicyName": policy, "PolicyDocument": allow("oss:GetObject")}],
                "PolicyAttachments": {"System": ["AliyunNoSuchPolicy"]},
            }
        )
    assert "EntityNotExist.Policy" in failed.value.message
    with pytest.raises(RamNotFound):
        ram.get_role(name)
    with pytest.raises(RamNotFound):
        ram.get_policy(policy)


def test_an_invalid_trust_policy_is_refused_naming_the_statement(provided, unique) -> None:
    bad = {
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Who": "x"}}],
    }
    with pytest.raises(ProviderError) as failed:
        provided("ALIYUN::RAM::Role").create({"RoleName": unique("bad"), "AssumeRolePolicyDocument": bad})
    assert "MalformedPolicyDocument" in failed.value.message and "Statement[0]" in failed.value.message


def test_deletion_force_detaches_what_others_attached(provided, ram: RamClient, unique) -> None:
    role = provided("ALIYUN::RAM::Role")
    name = unique("forced")
    properties = {"RoleName": name, "AssumeRolePolicyDocument": FC_TRUST}
    role.create(properties)
    ram.attach_policy("Role", name, "System", "AliyunOSSFullAccess")
    with pytest.raises(ProviderError) as conflict:
        role.delete(name, properties)
    assert "DeleteConflict.Role.Policy" in conflict.value.message
    role.delete(name, {**properties, "DeletionForce": True})
    with pytest.raises(RamNotFound):
        ram.get_role(name)


def test_ignore_existing_adopts_nothing(provided, ram: RamClient, unique) -> None:
    name = unique("existing")
    ram.create_role(name, FC_TRUST, Description="made outside the stack")
    properties = {"RoleName": name, "AssumeRolePolicyDocument": FC_TRUST, "IgnoreExisting": True}
    result = provided("ALIYUN::RAM::Role").create(properties)
    assert result.attributes["RoleName"] == name
    provided("ALIYUN::RAM::Role").delete(name, properties)
    assert ram.get_role(name)["Description"] == "made outside the stack"


def test_user_groups_login_profile_and_keys(provided, ram: RamClient, unique) -> None:
    group_name, user_name, policy = unique("grp"), unique("usr"), unique("usr-policy")
    group = provided("ALIYUN::RAM::Group")
    group.create({"GroupName": group_name, "PolicyAttachments": {"System": ["AliyunFCReadOnlyAccess"]}})
    user = provided("ALIYUN::RAM::User")
    properties = {
        "UserName": user_name,
        "DisplayName": "A User",
        "Groups": [group_name],
        "LoginProfile": {"Password": "Secret-Pass-123", "PasswordResetRequired": True},
        "Policies": [{"PolicyName": policy, "PolicyDocument": allow("oss:Get*")}],
    }
    created = user.create(properties)
    assert created.physical_id == user_name
    assert (
        created.attributes["UserId"]
        and created.attributes["CreateDate"]
        and created.attributes["UserName"] == user_name
    )
    assert ram.get_login_profile(user_name)["PasswordResetRequired"] is True
    assert [g["GroupName"] for g in ram.list_groups_for_user(user_name)] == [group_name]
    key = provided("ALIYUN::RAM::AccessKey").create({"UserName": user_name})
    assert key.physical_id == key.attributes["AccessKeyId"] and key.attributes["Status"] == "Active"
    with RamClient(ram.endpoint, key.attributes["AccessKeyId"], key.attributes["AccessKeySecret"]) as as_user:
        assert as_user.get_caller_identity()["Arn"].endswith(f":user/{user_name}")
    changed = {**properties, "DisplayName": "Renamed", "Groups": [], "LoginProfile": None}
    user.update(created, changed, properties)
    assert ram.get_user(user_name)["DisplayName"] == "Renamed"
    assert ram.list_groups_for_user(user_name) == []
    with pytest.raises(RamNotFound):
        ram.get_login_profile(user_name)
    with pytest.raises(ProviderError) as has_key:
        user.delete(user_name, changed)
    assert "DeleteConflict.User.AccessKey" in has_key.value.message
    provided("ALIYUN::RAM::AccessKey").delete(key.physical_id, {"UserName": user_name})
    user.delete(user_name, changed)
    group.delete(
        group_name, {"GroupName": group_name, "PolicyAttachments": {"System": ["AliyunFCReadOnlyAccess"]}}
    )
    for check in (
        lambda: ram.get_user(user_name),
        lambda: ram.get_group(group_name),
        lambda: ram.get_policy(policy),
    ):
        with pytest.raises(RamNotFound):
            check()


def test_managed_policy_documents_and_attachments(provided, ram: RamClient, unique) -> None:
    user_name, role_name, policy = unique("mp-user"), unique("mp-role"), unique("managed")
    ram.create_user(user_name)
    ram.create_role(role_name, FC_TRUST)
    managed = provided("ALIYUN::RAM::ManagedPolicy")
    properties = {
        "PolicyName": policy,
        "PolicyDocument": allow("log:*"),
        "Users": [user_name],
        "Description": "d",
    }
    result = managed.create(properties)
    assert result.attributes == {"PolicyName": policy}
    assert _attached(ram, "User", user_name) == {("Custom", policy)}
    changed = {**properties, "PolicyDocumentUnchecked": allow("log:Get*"), "Users": [], "Roles": [role_name]}
    managed.update(result, changed, properties)
    assert (
        ram.get_policy(policy)["DefaultPolicyVersion"]["PolicyDocument"]
        == '{"Version":"1","Statement":[{"Effect":"Allow","Action":"log:Get*","Resource":"*"}]}'
    )
    assert _attached(ram, "User", user_name) == set() and _attached(ram, "Role", role_name) == {
        ("Custom", policy)
    }
    managed.delete(policy, changed)
    with pytest.raises(RamNotFound):
        ram.get_policy(policy)
    bad = {
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": "log:*", "Resource": "*"}, {"Effect": "Allow"}],
    }
    with pytest.raises(ProviderError) as invalid:
        managed.create({"PolicyName": unique("bad"), "PolicyDocument": bad})
    assert "Statement[1]" in invalid.value.message


@pytest.mark.parametrize("principal", ["Role", "User", "Group"])
def test_attach_policy_resources(provided, ram: RamClient, unique, principal: str) -> None:
    name = unique(principal.lower())
    {
        "Role": lambda: ram.create_role(name, FC_TRUST),
        "User": lambda: ram.create_user(name),
        "Group": lambda: ram.create_group(name),
    }[principal]()
    attach = provided(f"ALIYUN::RAM::AttachPolicyTo{principal}")
    properties = {"PolicyName": "AliyunOSSReadOnlyAccess", "PolicyType": "System", f"{principal}Name": name}
    result = attach.create(properties)
    assert _attached(ram, principal, name) == {("System", "AliyunOSSReadOnlyAccess")}
    if principal == "Group":
        assert result.attributes == {"GroupName": name, "PolicyName": "AliyunOSSReadOnlyAccess"}
    assert attach.provider.read(attach.ctx, result.physical_id, properties) is not None
    attach.delete(result.physical_id, properties)
    assert _attached(ram, principal, name) == set()
    attach.delete(result.physical_id, properties)  # already detached: fine
    with pytest.raises(ProviderError):
        attach.create({**properties, f"{principal}Name": unique("nobody")})


def test_user_to_group_addition_and_login_profile(provided, ram: RamClient, unique) -> None:
    group, first, second = unique("adds"), unique("u1"), unique("u2")
    ram.create_group(group)
    for name in (first, second):
        ram.create_user(name)
    addition = provided("ALIYUN::RAM::UserToGroupAddition")
    properties = {"GroupName": group, "Users": [first]}
    result = addition.create(properties)
    addition.update(result, {"GroupName": group, "Users": [second]}, properties)
    assert [u["UserName"] for u in ram.list_users_for_group(group)] == [second]
    addition.delete(group, {"GroupName": group, "Users": [second]})
    assert ram.list_users_for_group(group) == []
    login = provided("ALIYUN::RAM::LoginProfile")
    principal = f"{first}@1234567890123456.onaliyun.com"
    made = login.create(
        {"UserPrincipalName": principal, "GenerateRandomPassword": True, "MFABindRequired": True}
    )
    assert len(made.attributes["Password"]) == 16
    assert ram.get_login_profile(first)["MFABindRequired"] is True
    login.delete(made.physical_id, {"UserPrincipalName": principal})
    with pytest.raises(RamNotFound):
        ram.get_login_profile(first)
    with pytest.raises(ProviderError, match="Password or GenerateRandomPassword"):
        login.create({"UserPrincipalName": principal})


def test_roles_data_source_reads_the_local_ram(provided, ram: RamClient, unique) -> None:
    prefix = unique("ds")
    for suffix in ("a", "b"):
        ram.create_role(f"{prefix}-{suffix}", FC_TRUST)
    found = provided("DATASOURCE::RAM::Roles").create({"RoleName": f"{prefix.upper()}-?"})
    assert found.attributes["RoleNames"] == [f"{prefix}-a", f"{prefix}-b"]
    assert {r["Arn"] for r in found.attributes["Roles"]} == {
        ram.get_role(f"{prefix}-{s}")["Arn"] for s in "ab"
    }


def test_client_errors_keep_rams_code(ram: RamClient) -> None:
    with pytest.raises(RamApiError) as caught:
        ram.create_group("bad group")
    assert caught.value.code == "InvalidParameter.GroupName" and caught.value.status == 400
