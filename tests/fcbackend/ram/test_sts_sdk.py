"""STS as the official SDKs call it: ``aliyunsdkcore`` + ``aliyunsdksts`` (RPC signature V1) and
the Tea SDK ``alibabacloud_sts20150401`` with its default ACS3-HMAC-SHA256 header signature and in
its RPC-signature mode, against a real backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdksts.request.v20150401.AssumeRoleRequest import AssumeRoleRequest
from aliyunsdksts.request.v20150401.GetCallerIdentityRequest import GetCallerIdentityRequest

from backend_contract import rpc_signing
from tests.support.ram import RamBackend, account_trust, acs_call, allow, ram_backend


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RamBackend]:
    with ram_backend(tmp_path_factory.mktemp("sts")) as served:
        with served.root() as ram:
            ram.create_role("reader", account_trust(served.config.account_id), MaxSessionDuration=7200)
            ram.create_role(
                "fc-only",
                {
                    **account_trust(""),
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Principal": {"Service": ["fc.aliyuncs.com"]},
                        }
                    ],
                },
            )
            ram.create_policy("read-roles", allow(["ram:GetRole", "ram:ListRoles"]))
            ram.attach_policy("Role", "reader", "Custom", "read-roles")
        yield served


@pytest.fixture(scope="module")
def alice(backend: RamBackend) -> tuple[str, str]:
    return backend.user_with_key("alice", "AliyunSTSAssumeRoleAccess")


def _role(backend: RamBackend, name: str) -> str:
    return f"acs:ram::{backend.config.account_id}:role/{name}"


def _assume(backend: RamBackend, key: tuple[str, str], role: str, **params: object) -> dict:
    request = AssumeRoleRequest()
    request.set_RoleArn(_role(backend, role))
    request.set_RoleSessionName(str(params.pop("session", "s1")))
    for name, value in params.items():
        request.add_query_param(name, value)
    return acs_call(backend.endpoint, key[0], key[1], request)


def _error(call) -> ServerException:
    with pytest.raises(ServerException) as caught:
        call()
    return caught.value


def test_assume_role_gives_sts_credentials_that_work(backend: RamBackend, alice: tuple[str, str]) -> None:
    answer = _assume(backend, alice, "reader", DurationSeconds=1800)
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("STS.local")
    assert credentials["SecurityToken"] and credentials["AccessKeySecret"]
    expires = datetime.strptime(credentials["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(expires.timestamp() - (backend.clock.time() + 1800)) < 5
    assert answer["AssumedRoleUser"]["Arn"] == f"acs:ram::{backend.config.account_id}:assumed-role/reader/s1"
    assert answer["AssumedRoleUser"]["AssumedRoleId"].endswith(":s1")
    identity = acs_call(
        backend.endpoint,
        credentials["AccessKeyId"],
        credentials["AccessKeySecret"],
        GetCallerIdentityRequest(),
        credentials["SecurityToken"],
    )
    assert identity["IdentityType"] == "AssumedRoleUser"
    assert identity["Arn"] == answer["AssumedRoleUser"]["Arn"]
    assert identity["PrincipalId"] == answer["AssumedRoleUser"]["AssumedRoleId"]


def test_caller_identity_of_root_and_user(backend: RamBackend, alice: tuple[str, str]) -> None:
    config = backend.config
    root = acs_call(
        backend.endpoint, config.access_key_id, config.access_key_secret, GetCallerIdentityRequest()
    )
    assert root["IdentityType"] == "Account" and root["Arn"] == f"acs:ram::{config.account_id}:root"
    user = acs_call(backend.endpoint, alice[0], alice[1], GetCallerIdentityRequest())
    assert user["IdentityType"] == "RAMUser" and user["Arn"].endswith(":user/alice") and user["UserId"]


def test_unknown_key_is_refused_with_stss_code(backend: RamBackend) -> None:
    error = _error(
        lambda: acs_call(backend.endpoint, "LTAIlocalnobody0000000", "x", GetCallerIdentityRequest())
    )
    assert error.get_error_code() == "InvalidAccessKeyId.NotFound"
    assert error.get_http_status() == 404


def test_bad_signature_is_refused(backend: RamBackend, alice: tuple[str, str]) -> None:
    # STS answers SignatureDoesNotMatch with the string it signed; aliyunsdkcore compares that
    # with its own and, when they agree (only the secret differs), reports InvalidAccessKeySecret.
    error = _error(lambda: acs_call(backend.endpoint, alice[0], alice[1] + "x", GetCallerIdentityRequest()))
    assert error.get_error_code() == "InvalidAccessKeySecret"
    params = rpc_signing.signed_params(
        "GetCallerIdentity", "2015-04-01", {}, access_key_id=alice[0], access_key_secret=alice[1]
    )
    params["Signature"] = params["Signature"][::-1]
    answer = httpx.post(backend.endpoint + "/", params=params)
    assert answer.status_code == 400
    assert answer.json()["Code"] == "SignatureDoesNotMatch"
    assert rpc_signing.string_to_sign("POST", params) in answer.json()["Message"]


def test_expired_token_is_refused(tmp_path: Path) -> None:
    with ram_backend(tmp_path) as backend:
        with backend.root() as ram:
            ram.create_role("short", account_trust(backend.config.account_id))
        bob = backend.user_with_key("bob", "AliyunSTSAssumeRoleAccess")
        credentials = _assume(backend, bob, "short", DurationSeconds=900)["Credentials"]
        session = (credentials["AccessKeyId"], credentials["AccessKeySecret"], credentials["SecurityToken"])
        assert acs_call(backend.endpoint, *session[:2], GetCallerIdentityRequest(), session[2])["Arn"]
        backend.clock.advance(901)
        error = _error(
            lambda: acs_call(backend.endpoint, *session[:2], GetCallerIdentityRequest(), session[2])
        )
        assert error.get_error_code() == "InvalidSecurityToken.Expired"
        wrong = _error(
            lambda: acs_call(backend.endpoint, *session[:2], GetCallerIdentityRequest(), "CAIS.local.x")
        )
        assert wrong.get_error_code() == "InvalidSecurityToken.MismatchWithAccessKey"
        missing = _error(lambda: acs_call(backend.endpoint, *session[:2], GetCallerIdentityRequest()))
        assert missing.get_error_code() == "MissingSecurityToken"


def test_disabled_key_is_refused(backend: RamBackend) -> None:
    key = backend.user_with_key("carol")
    with backend.root() as ram:
        ram.update_access_key("carol", key[0], "Inactive")
    error = _error(lambda: acs_call(backend.endpoint, *key, GetCallerIdentityRequest()))
    assert error.get_error_code() == "InvalidAccessKeyId.Inactive"


def test_root_cannot_assume_a_role(backend: RamBackend) -> None:
    root = (backend.config.access_key_id, backend.config.access_key_secret)
    error = _error(lambda: _assume(backend, root, "reader"))
    assert error.get_error_code() == "NoPermission"
    assert "root accounts" in error.get_error_msg()


def test_a_user_without_sts_permission_is_refused(backend: RamBackend) -> None:
    dave = backend.user_with_key("dave")
    error = _error(lambda: _assume(backend, dave, "reader"))
    assert error.get_error_code() == "NoPermission"
    assert "sts:AssumeRole" in error.get_error_msg()


def test_a_role_that_does_not_trust_the_caller_is_refused(
    backend: RamBackend, alice: tuple[str, str]
) -> None:
    error = _error(lambda: _assume(backend, alice, "fc-only"))
    assert error.get_error_code() == "NoPermission"
    assert "trust policy" in error.get_error_msg()


def test_duration_outside_900_to_max_session_duration(backend: RamBackend, alice: tuple[str, str]) -> None:
    for duration in (899, 7201):
        error = _error(lambda d=duration: _assume(backend, alice, "reader", DurationSeconds=d))
        assert error.get_error_code() == "InvalidParameter.DurationSeconds"
    assert _assume(backend, alice, "reader", DurationSeconds=7200)["Credentials"]


def test_unknown_role_and_bad_session_name(backend: RamBackend, alice: tuple[str, str]) -> None:
    assert _error(lambda: _assume(backend, alice, "nobody")).get_error_code() == "EntityNotExist.Role"
    bad = _error(lambda: _assume(backend, alice, "reader", session="a*b"))
    assert bad.get_error_code() == "InvalidParameter.RoleSessionName"


def test_session_policy_narrows_the_role(backend: RamBackend, alice: tuple[str, str]) -> None:
    narrow = json.dumps(allow("ram:GetRole"))
    credentials = _assume(backend, alice, "reader", Policy=narrow)["Credentials"]
    from rosengine.clients.ram import RamApiError, RamClient

    with RamClient(
        backend.endpoint,
        credentials["AccessKeyId"],
        credentials["AccessKeySecret"],
        credentials["SecurityToken"],
    ) as session:
        assert session.get_role("reader")["RoleName"] == "reader"  # role and session policy allow it
        with pytest.raises(RamApiError) as denied:
            session.list_roles()  # the role allows it, the session policy does not
        assert denied.value.code == "NoPermission" and "session policy" in denied.value.message
    bad = _error(lambda: _assume(backend, alice, "reader", Policy='{"Version": "1", "Statement": []}'))
    assert bad.get_error_code() == "InvalidParameter.PolicyGrammar"


def test_tea_sdk_in_rpc_signature_mode(backend: RamBackend, alice: tuple[str, str]) -> None:
    from alibabacloud_sts20150401.client import Client
    from alibabacloud_sts20150401.models import AssumeRoleRequest as TeaAssumeRole
    from alibabacloud_tea_openapi.models import Config

    host = backend.endpoint.split("://", 1)[1]
    config = Config(
        access_key_id=alice[0],
        access_key_secret=alice[1],
        endpoint=host,
        protocol="http",
        signature_algorithm="v2",
    )
    answer = Client(config).assume_role(
        TeaAssumeRole(role_arn=_role(backend, "reader"), role_session_name="tea")
    )
    assert answer.body.credentials.access_key_id.startswith("STS.")
    assert answer.body.assumed_role_user.arn.endswith("assumed-role/reader/tea")


def _tea_client(backend: RamBackend, key_id: str, secret: str, token: str | None = None) -> Any:
    """The Tea STS client as users create it: its default signature, ACS3-HMAC-SHA256."""
    from alibabacloud_sts20150401.client import Client
    from alibabacloud_tea_openapi.models import Config

    host = backend.endpoint.split("://", 1)[1]
    return Client(
        Config(
            access_key_id=key_id,
            access_key_secret=secret,
            security_token=token,
            endpoint=host,
            protocol="http",
        )
    )


def test_tea_sdk_with_its_default_header_signature(backend: RamBackend, alice: tuple[str, str]) -> None:
    from alibabacloud_sts20150401.models import AssumeRoleRequest as TeaAssumeRole

    answer = _tea_client(backend, *alice).assume_role(
        TeaAssumeRole(role_arn=_role(backend, "reader"), role_session_name="tea-acs3", duration_seconds=900)
    )
    credentials = answer.body.credentials
    assert credentials.access_key_id.startswith("STS.")
    assert answer.body.assumed_role_user.arn.endswith("assumed-role/reader/tea-acs3")
    session = _tea_client(
        backend, credentials.access_key_id, credentials.access_key_secret, credentials.security_token
    )
    identity = session.get_caller_identity().body
    assert identity.identity_type == "AssumedRoleUser" and identity.arn.endswith("reader/tea-acs3")


def test_tea_sdk_header_signature_with_a_wrong_secret_or_unknown_key_is_refused(
    backend: RamBackend, alice: tuple[str, str]
) -> None:
    from Tea.exceptions import TeaException

    with pytest.raises(TeaException) as wrong_secret:
        _tea_client(backend, alice[0], "not-the-secret").get_caller_identity()
    assert wrong_secret.value.code == "SignatureDoesNotMatch"
    with pytest.raises(TeaException) as unknown:
        _tea_client(backend, "LTAInobody", "x").get_caller_identity()
    assert unknown.value.code == "InvalidAccessKeyId.NotFound"


def _acs3_request(backend: RamBackend, key: tuple[str, str], body: bytes, *, nonce: str) -> dict[str, str]:
    from backend_contract import acs3_signing

    headers = {
        "host": backend.endpoint.split("://", 1)[1],
        "x-acs-action": "GetCallerIdentity",
        "x-acs-version": "2015-04-01",
        "x-acs-date": acs3_signing.acs3_date(),
        "x-acs-signature-nonce": nonce,
        "content-type": "application/x-www-form-urlencoded",
    }
    acs3_signing.sign_acs3(
        method="POST",
        raw_path="/",
        query="",
        headers=headers,
        body=body,
        access_key_id=key[0],
        access_key_secret=key[1],
    )
    return headers


def test_header_signature_binds_the_body_and_the_nonce(backend: RamBackend, alice: tuple[str, str]) -> None:
    headers = _acs3_request(backend, alice, b"Format=JSON", nonce="n-1")
    with httpx.Client(base_url=backend.endpoint) as http:
        first = http.post("/", content=b"Format=JSON", headers=headers)
        assert first.status_code == 200, first.text
        assert first.json()["Arn"].endswith(":user/alice")
        replayed = http.post("/", content=b"Format=JSON", headers=headers)
        assert replayed.json()["Code"] == "SignatureNonceUsed"
        signed_for_another_body = _acs3_request(backend, alice, b"Format=JSON", nonce="n-2")
        tampered = http.post("/", content=b"Format=JSON&Extra=1", headers=signed_for_another_body)
        assert tampered.status_code == 400
        assert tampered.json()["Code"] == "SignatureDoesNotMatch" and "SHA-256" in tampered.json()["Message"]
