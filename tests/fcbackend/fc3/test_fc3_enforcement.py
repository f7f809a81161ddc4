"""RAM/STS at the FC 3.0 API as at FC 2.0's, driven by the official FC 3.0 SDK: root keys do
everything, a RAM user's key or an STS session (its token in ``x-acs-security-token``) only what
its policies allow, on the routed operations, the invoke fast path and HTTP trigger URLs; a
function with a role gets that role's STS credentials."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from alibabacloud_fc20230330.client import Client
from alibabacloud_tea_openapi.models import Config

from backend_contract import acs3_signing
from fcbackend.api.authorization import request_action
from fcbackend.fc3.routes import PREFIX, TABLE
from rosengine.clients.ram import RamClient
from tests.support.fc3_backend import Fc3Backend, create_input, fc, fc3_backend, sdk_error
from tests.support.ram import FC_TRUST, account_trust, allow


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fc3Backend]:
    with fc3_backend(tmp_path_factory.mktemp("fc3-ram")) as served:
        for name in ("checkout", "admin"):
            served.sdk.create_function(create_input(name))
        served.sdk.create_trigger(
            "checkout",
            fc.CreateTriggerRequest(
                body=fc.CreateTriggerInput(
                    trigger_name="web",
                    trigger_type="http",
                    trigger_config=json.dumps({"authType": "function", "methods": ["POST"]}),
                )
            ),
        )
        yield served


def _ram(backend: Fc3Backend) -> RamClient:
    return RamClient(backend.endpoint, backend.config.access_key_id, backend.config.access_key_secret)


def _user(
    backend: Fc3Backend, name: str, policy: dict | None = None, system: str | None = None
) -> tuple[str, str]:
    with _ram(backend) as ram:
        ram.create_user(name)
        if policy is not None:
            ram.create_policy(f"{name}-policy", policy)
            ram.attach_policy("User", name, "Custom", f"{name}-policy")
        if system is not None:
            ram.attach_policy("User", name, "System", system)
        key = ram.create_access_key(name)
    return key["AccessKeyId"], key["AccessKeySecret"]


def _sdk(backend: Fc3Backend, key: tuple[str, str], token: str | None = None) -> Client:
    """The official FC 3.0 SDK with ``key`` (and an STS token)."""
    return Client(
        Config(
            access_key_id=key[0],
            access_key_secret=key[1],
            security_token=token,
            endpoint=backend.host,
            protocol="http",
            region_id=backend.config.region,
        )
    )


def test_a_read_only_key_reads_and_cannot_write(backend: Fc3Backend) -> None:
    reader = _sdk(backend, _user(backend, "fc3-reader", system="AliyunFCReadOnlyAccess"))
    names = {f.function_name for f in reader.list_functions(fc.ListFunctionsRequest()).body.functions}
    assert {"checkout", "admin"} <= names
    assert reader.get_function("checkout", fc.GetFunctionRequest()).body.function_name == "checkout"
    refused = sdk_error(lambda: reader.create_function(create_input("not-allowed")))
    assert refused.status_code == 403 and refused.code == "AccessDenied"
    assert "fc:CreateFunction" in refused.message and ":user/fc3-reader" in refused.message
    assert sdk_error(lambda: reader.delete_function("admin")).code == "AccessDenied"
    denied = sdk_error(lambda: reader.invoke_function("checkout", fc.InvokeFunctionRequest(body=b"x")))
    assert denied.code == "AccessDenied" and "fc:InvokeFunction" in denied.message


def test_resource_level_permissions_on_the_invoke_path(backend: Fc3Backend) -> None:
    cashier = _sdk(
        backend, _user(backend, "fc3-cashier", allow("fc:InvokeFunction", "acs:fc:*:*:functions/checkout"))
    )
    paid = cashier.invoke_function("checkout", fc.InvokeFunctionRequest(body=b"paid"))
    assert paid.status_code == 200 and paid.body.read() == b"paid"
    refused = sdk_error(lambda: cashier.invoke_function("admin", fc.InvokeFunctionRequest(body=b"x")))
    assert refused.status_code == 403 and "functions/admin" in refused.message


def test_sts_sessions_at_the_fc3_api(backend: Fc3Backend) -> None:
    with _ram(backend) as ram:
        ram.create_role("fc3-deployer", account_trust(backend.config.account_id))
        ram.attach_policy("Role", "fc3-deployer", "System", "AliyunFCFullAccess")
    assumer = _user(backend, "fc3-assumer", system="AliyunSTSAssumeRoleAccess")
    with RamClient(backend.endpoint, *assumer) as ram:
        role = f"acs:ram::{backend.config.account_id}:role/fc3-deployer"
        credentials = ram.assume_role(role, "deploy", duration_seconds=900)["Credentials"]
    key = (credentials["AccessKeyId"], credentials["AccessKeySecret"])
    session = _sdk(backend, key, credentials["SecurityToken"])
    assert session.create_function(create_input("by-session")).body.function_name == "by-session"
    forger = _sdk(backend, key, "CAIS.local.forged")
    forged = sdk_error(lambda: forger.get_function("by-session", fc.GetFunctionRequest()))
    assert forged.status_code == 403 and forged.code == "InvalidSecurityToken"


def _signed_trigger_call(backend: Fc3Backend, key: tuple[str, str], body: bytes) -> httpx.Response:
    path = "/2023-03-30/proxy/checkout/web/pay"
    headers = {
        "host": backend.host,
        "x-acs-date": acs3_signing.acs3_date(),
        "x-acs-signature-nonce": "n",
        "content-type": "application/octet-stream",
    }
    acs3_signing.sign_acs3(
        method="POST",
        raw_path=path,
        query="",
        headers=headers,
        body=body,
        access_key_id=key[0],
        access_key_secret=key[1],
    )
    return httpx.post(backend.endpoint + path, content=body, headers=headers)


def test_http_trigger_with_function_auth_takes_a_users_key_within_its_policy(backend: Fc3Backend) -> None:
    allowed = _user(backend, "fc3-web", allow("fc:InvokeFunction", "acs:fc:*:*:functions/checkout"))
    assert _signed_trigger_call(backend, allowed, b"order").status_code == 200
    other = _user(backend, "fc3-other", allow("fc:InvokeFunction", "acs:fc:*:*:functions/admin"))
    refused = _signed_trigger_call(backend, other, b"order")
    assert refused.status_code == 403 and refused.json()["Code"] == "AccessDenied"
    assert "fc:InvokeFunction" in refused.json()["Message"]


def test_every_fc3_operation_names_its_ram_action() -> None:
    unnamed = []
    for method, path, _, action, _ in TABLE:
        sample = re.sub(r"\{[^}]+\}", "x", path)
        found = request_action(method, f"{PREFIX}/{sample}")
        if found is None or found[0] != f"fc:{action}":
            unnamed.append(f"{method} {path}")
    assert unnamed == []
    assert request_action("GET", f"{PREFIX}/layerarn/acs:fc:cn-hangzhou:1:layers/l/versions/1") == (
        "fc:GetLayerVersionByArn",
        "layers/*",
    )


def _credentials_seen(backend: Fc3Backend, name: str) -> tuple[tuple[str, str, str], str]:
    backend.sdk.invoke_function(name, fc.InvokeFunctionRequest(body=b"x"))
    spec, _ = backend.scheduler.invoked[-1]
    assert spec.function == name
    return spec.credentials, spec.credentials_note


def test_a_functions_role_gives_it_sts_credentials_of_that_role(backend: Fc3Backend) -> None:
    account = backend.config.account_id
    with _ram(backend) as ram:
        ram.create_role("fc3-fn-role", FC_TRUST)
    role = f"acs:ram::{account}:role/fc3-fn-role"
    backend.sdk.create_function(create_input("with-role", role=role))
    backend.sdk.create_function(create_input("no-injection", role=role, disable_inject_credentials="All"))
    backend.sdk.create_function(create_input("missing-role", role=f"acs:ram::{account}:role/nobody"))
    (key_id, secret, token), _ = _credentials_seen(backend, "with-role")
    assert key_id.startswith("STS.") and secret and token
    assert backend.config.access_key_secret != secret
    with RamClient(backend.endpoint, key_id, secret, token) as as_function:
        arn = as_function.get_caller_identity()["Arn"]
    assert arn == f"acs:ram::{account}:assumed-role/fc3-fn-role/with-role"
    assert _credentials_seen(backend, "no-injection")[0] == ("", "", "")
    nothing, note = _credentials_seen(backend, "missing-role")
    assert nothing == ("", "", "") and "EntityNotExist.Role" in note
