"""The RAM API (2015-05-01): users, keys, groups, roles, policies and attachments, with RAM's
error codes, through ``aliyunsdkcore``'s CommonRequest and our own client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.request import CommonRequest

from backend_contract import rpc_signing
from rosengine.clients.ram import RamApiError, RamClient, RamNotFound
from tests.support.ram import RamBackend, account_trust, acs_call, allow, ram_backend


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RamBackend]:
    with ram_backend(tmp_path_factory.mktemp("ram")) as served:
        yield served


@pytest.fixture
def ram(backend: RamBackend) -> Iterator[RamClient]:
    with backend.root() as client:
        yield client


def _sdk(backend: RamBackend, action: str, **params: Any) -> dict[str, Any]:
    request = CommonRequest(domain="ram.aliyuncs.com", version="2015-05-01", action_name=action)
    request.set_method("POST")
    for name, value in params.items():
        request.add_query_param(name, value)
    return acs_call(backend.endpoint, backend.config.access_key_id, backend.config.access_key_secret, request)


def _code(call) -> str:
    with pytest.raises(RamApiError) as caught:
        call()
    return caught.value.code


def test_users_through_the_official_sdk(backend: RamBackend) -> None:
    created = _sdk(backend, "CreateUser", UserName="sdk-user", DisplayName="SDK", Email="a@example.com")
    assert created["User"]["UserName"] == "sdk-user" and created["User"]["UserId"]
    assert _sdk(backend, "GetUser", UserName="SDK-USER")["User"]["DisplayName"] == "SDK"  # names ignore case
    _sdk(backend, "UpdateUser", UserName="sdk-user", NewDisplayName="Renamed")
    names = [u["UserName"] for u in _sdk(backend, "ListUsers")["Users"]["User"]]
    assert "sdk-user" in names
    with pytest.raises(ServerException) as duplicate:
        _sdk(backend, "CreateUser", UserName="sdk-user")
    assert duplicate.value.get_error_code() == "EntityAlreadyExists.User"
    assert duplicate.value.get_http_status() == 409
    _sdk(backend, "DeleteUser", UserName="sdk-user")
    with pytest.raises(ServerException) as gone:
        _sdk(backend, "GetUser", UserName="sdk-user")
    assert gone.value.get_error_code() == "EntityNotExist.User"


def test_user_names_are_checked(ram: RamClient) -> None:
    assert _code(lambda: ram.create_user("bad name")) == "InvalidParameter.UserName"
    assert _code(lambda: ram.call("CreateUser")) == "MissingUserName"


def test_access_keys(ram: RamClient) -> None:
    ram.create_user("keyed")
    first, second = ram.create_access_key("keyed"), ram.create_access_key("keyed")
    assert first["AccessKeyId"].startswith("LTAIlocal") and len(first["AccessKeyId"]) == 24
    assert {k["AccessKeyId"] for k in ram.list_access_keys("keyed")} == {
        first["AccessKeyId"],
        second["AccessKeyId"],
    }
    assert "AccessKeySecret" not in ram.list_access_keys("keyed")[0]
    assert _code(lambda: ram.create_access_key("keyed")) == "LimitExceeded.User.AccessKey"
    assert _code(lambda: ram.delete_user("keyed")) == "DeleteConflict.User.AccessKey"
    ram.update_access_key("keyed", first["AccessKeyId"], "Inactive")
    assert {k["Status"] for k in ram.list_access_keys("keyed")} == {"Active", "Inactive"}
    for key in (first, second):
        ram.delete_access_key("keyed", key["AccessKeyId"])
    assert (
        _code(lambda: ram.delete_access_key("keyed", first["AccessKeyId"])) == "EntityNotExist.User.AccessKey"
    )
    ram.delete_user("keyed")


def test_groups_and_members(ram: RamClient) -> None:
    ram.create_user("member")
    ram.create_group("team", "the team")
    ram.add_user_to_group("member", "team")
    assert _code(lambda: ram.add_user_to_group("member", "team")) == "EntityAlreadyExists.User.Group"
    assert [g["GroupName"] for g in ram.list_groups_for_user("member")] == ["team"]
    assert [u["UserName"] for u in ram.list_users_for_group("team")] == ["member"]
    assert _code(lambda: ram.delete_group("team")) == "DeleteConflict.Group.User"
    assert _code(lambda: ram.delete_user("member")) == "DeleteConflict.User.Group"
    ram.update_group("team", NewGroupName="crew")
    assert [g["GroupName"] for g in ram.list_groups_for_user("member")] == ["crew"]
    ram.remove_user_from_group("member", "crew")
    ram.delete_group("crew")
    ram.delete_user("member")


def test_roles_and_their_trust_policies(backend: RamBackend, ram: RamClient) -> None:
    role = ram.create_role("App.Role", account_trust(backend.config.account_id), Description="app")
    assert role["Arn"] == f"acs:ram::{backend.config.account_id}:role/app.role"
    assert role["MaxSessionDuration"] == 3600 and role["RoleId"]
    bad_trust = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    with pytest.raises(RamApiError) as invalid:
        ram.create_role("broken", bad_trust)
    assert invalid.value.code == "MalformedPolicyDocument" and "Statement[0]" in invalid.value.message
    assert _code(lambda: ram.create_role("long", account_trust("1"), MaxSessionDuration=50000)) == (
        "InvalidParameter.MaxSessionDuration"
    )
    updated = ram.update_role("app.role", NewMaxSessionDuration=7200, NewDescription="changed")
    assert updated["MaxSessionDuration"] == 7200 and updated["Description"] == "changed"
    assert "App.Role" in [r["RoleName"] for r in ram.list_roles()]
    ram.delete_role("App.Role")
    assert isinstance(_raises(lambda: ram.get_role("App.Role")), RamNotFound)


def _raises(call) -> Exception:
    with pytest.raises(RamApiError) as caught:
        call()
    return caught.value


def test_policies_versions_and_attachments(ram: RamClient) -> None:
    ram.create_role("holder", account_trust("1"))
    ram.create_policy("reader", allow("oss:Get*"), "reads")
    bad = {
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": "oss:*", "Resource": "*"}, {"Effect": "Maybe"}],
    }
    with pytest.raises(RamApiError) as invalid:
        ram.create_policy("broken", bad)
    assert invalid.value.code == "MalformedPolicyDocument" and "Statement[1]" in invalid.value.message
    assert _code(lambda: ram.get_policy("broken")) == "EntityNotExist.Policy"  # nothing partial was stored
    for n in range(2, 7):
        version = ram.create_policy_version("reader", allow(f"oss:List{n}*"))
        assert version["VersionId"] == f"v{n}" and version["IsDefaultVersion"]
    versions = ram.list_policy_versions("reader")
    assert [v["VersionId"] for v in versions] == ["v3", "v4", "v5", "v6"][-len(versions) :] or len(
        versions
    ) == 5
    assert len(versions) == 5 and [v for v in versions if v["IsDefaultVersion"]][0]["VersionId"] == "v6"
    policy = ram.get_policy("reader")
    assert policy["Policy"]["DefaultVersion"] == "v6"
    assert json.loads(policy["DefaultPolicyVersion"]["PolicyDocument"]) == allow("oss:List6*")
    ram.attach_policy("Role", "holder", "Custom", "reader")
    ram.attach_policy("Role", "holder", "System", "AliyunOSSReadOnlyAccess")
    assert (
        _code(lambda: ram.attach_policy("Role", "holder", "Custom", "reader"))
        == "EntityAlreadyExists.Role.Policy"
    )
    assert (
        _code(lambda: ram.attach_policy("Role", "holder", "System", "AliyunNoSuchThing"))
        == "EntityNotExist.Policy"
    )
    attached = {(p["PolicyType"], p["PolicyName"]) for p in ram.list_policies_for("Role", "holder")}
    assert attached == {("Custom", "reader"), ("System", "AliyunOSSReadOnlyAccess")}
    assert [r["RoleName"] for r in ram.list_entities_for_policy("reader")["Role"]] == ["holder"]
    assert _code(lambda: ram.delete_policy("reader")) == "DeleteConflict.Policy.Role"
    assert _code(lambda: ram.delete_role("holder")) == "DeleteConflict.Role.Policy"
    ram.detach_policy("Role", "holder", "Custom", "reader")
    ram.detach_policy("Role", "holder", "System", "AliyunOSSReadOnlyAccess")
    assert _code(lambda: ram.delete_policy("reader")) == "DeleteConflict.Policy.Version"
    for version in ram.list_policy_versions("reader"):
        if not version["IsDefaultVersion"]:
            ram.delete_policy_version("reader", version["VersionId"])
    ram.delete_policy("reader")
    ram.delete_role("holder")
    system = ram.get_policy("AliyunFCFullAccess", "System")
    assert json.loads(system["DefaultPolicyVersion"]["PolicyDocument"])["Statement"][0]["Action"] == "fc:*"


def test_paging(ram: RamClient) -> None:
    for n in range(5):
        ram.create_group(f"page-{n}")
    first = ram.call("ListGroups", MaxItems=2)
    assert len(first["Groups"]["Group"]) == 2 and first["IsTruncated"] is True
    second = ram.call("ListGroups", MaxItems=2, Marker=first["Marker"])
    assert second["Groups"]["Group"][0]["GroupName"] != first["Groups"]["Group"][0]["GroupName"]
    assert {g["GroupName"] for g in ram.call("ListGroups")["Groups"]["Group"]} >= {
        f"page-{n}" for n in range(5)
    }


def test_xml_answers_and_unknown_actions(backend: RamBackend) -> None:
    config = backend.config
    params = rpc_signing.signed_params(
        "ListRoles",
        "2015-05-01",
        {"Format": "XML"},
        access_key_id=config.access_key_id,
        access_key_secret=config.access_key_secret,
        method="GET",
    )
    answer = httpx.get(backend.endpoint + "/", params=params)
    assert (
        answer.status_code == 200 and answer.text.startswith("<?xml") and "<ListRolesResponse>" in answer.text
    )
    unknown = rpc_signing.signed_params(
        "CreateSAMLProvider",
        "2015-05-01",
        {},
        access_key_id=config.access_key_id,
        access_key_secret=config.access_key_secret,
    )
    refused = httpx.post(backend.endpoint + "/", params=unknown)
    assert refused.status_code == 404 and refused.json()["Code"] == "InvalidAction.NotFound"
    # by Host, as the *.aliyuncs.com gateway forwards it: only that product's actions answer
    sts_only = rpc_signing.signed_params(
        "ListRoles",
        "2015-05-01",
        {},
        access_key_id=config.access_key_id,
        access_key_secret=config.access_key_secret,
    )
    via_sts = httpx.post(
        backend.endpoint + "/", params=sts_only, headers={"Host": "sts.cn-hangzhou.aliyuncs.com"}
    )
    assert via_sts.json()["Code"] == "InvalidAction.NotFound"
    via_ram = httpx.post(
        backend.endpoint + "/anything", params={**sts_only, "SignatureNonce": "n2", "Signature": ""}
    )
    assert via_ram.status_code == 404  # a path other than / with no RAM host is not RAM's
    by_host = rpc_signing.signed_params(
        "ListRoles",
        "2015-05-01",
        {},
        access_key_id=config.access_key_id,
        access_key_secret=config.access_key_secret,
    )
    assert (
        httpx.post(backend.endpoint + "/", params=by_host, headers={"Host": "ram.aliyuncs.com"}).status_code
        == 200
    )


def test_a_users_ram_permissions(backend: RamBackend) -> None:
    key = backend.user_with_key("ram-reader", "AliyunRAMReadOnlyAccess")
    with RamClient(backend.endpoint, *key) as reader:
        assert reader.list_roles() is not None
        with pytest.raises(RamApiError) as denied:
            reader.create_user("intruder")
        assert denied.value.code == "NoPermission" and denied.value.status == 403


def test_the_account_survives_a_restart(tmp_path: Path) -> None:
    with ram_backend(tmp_path) as first:
        key = first.user_with_key("durable", "AliyunRAMReadOnlyAccess")
    with ram_backend(tmp_path) as second, RamClient(second.endpoint, *key) as again:
        assert again.get_caller_identity()["Arn"].endswith(":user/durable")
