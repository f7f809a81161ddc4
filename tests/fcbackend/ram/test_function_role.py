"""A function whose service has a role gets that role's STS credentials, and code inside the
sandbox uses them, unmodified, with the official SDK (aliyunsdkcore shipped in the function's
code) against the backend's STS and RAM. Real instances (sandbox or process driver)."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import aliyunsdkcore
import aliyunsdksts
import jmespath
import pytest

from rosengine.clients.fc import FcClient
from tests.support.ram import FC_TRUST, RamBackend, ram_backend

CODE = """
import json, os
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from aliyunsdksts.request.v20150401.GetCallerIdentityRequest import GetCallerIdentityRequest


def _call(client, request):
    request.set_endpoint(os.environ["STS_ENDPOINT"])
    request.set_protocol_type("http")
    try:
        return json.loads(client.do_action_with_exception(request))
    except ServerException as exc:
        return {"error": exc.get_error_code()}


def _ram(action):
    request = CommonRequest(domain="ram.aliyuncs.com", version="2015-05-01", action_name=action)
    request.set_method("POST")
    if action == "CreateUser":
        request.add_query_param("UserName", "made-by-a-function")
    return request


def handler(event, context):
    creds = context.credentials
    client = AcsClient(
        region_id=context.region,
        credential=StsTokenCredential(creds.accessKeyId, creds.accessKeySecret, creds.securityToken),
    )
    return json.dumps({
        "key": creds.access_key_id,
        "env_key": os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        "identity": _call(client, GetCallerIdentityRequest()),
        "list_roles": _call(client, _ram("ListRoles")),
        "create_user": _call(client, _ram("CreateUser")),
    })
"""


def _package(module: object) -> Path:
    return Path(module.__file__).parent  # type: ignore[attr-defined]


def _code_zip() -> str:
    """The handler plus the official SDK packages, as a user would ship them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.py", CODE)
        for package in (aliyunsdkcore, aliyunsdksts, jmespath):
            root = _package(package)
            for path in root.rglob("*"):
                if path.is_file() and "__pycache__" not in path.parts:
                    archive.write(path, str(Path(root.name) / path.relative_to(root)))
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RamBackend]:
    with ram_backend(tmp_path_factory.mktemp("fn-role")) as served:
        yield served


@pytest.fixture(scope="module")
def fc(backend: RamBackend) -> Iterator[FcClient]:
    config = backend.config
    with backend.root() as ram:
        ram.create_role("fn-role", FC_TRUST)
        ram.attach_policy("Role", "fn-role", "System", "AliyunRAMReadOnlyAccess")
    code = {"zipFile": _code_zip()}
    environment = {"STS_ENDPOINT": backend.endpoint.split("://", 1)[1]}
    with FcClient(backend.endpoint, config.access_key_id, config.access_key_secret, timeout=60) as client:
        for service, role in (("with-role", "fn-role"), ("missing-role", "nobody")):
            client.create_service(service, role=f"acs:ram::{config.account_id}:role/{role}")
            client.create_function(
                service,
                "who",
                code=code,
                runtime="python3.10",
                handler="index.handler",
                timeout=30,
                environmentVariables=environment,
            )
        yield client


def test_the_function_calls_sts_and_ram_with_its_roles_credentials(backend: RamBackend, fc: FcClient) -> None:
    result = fc.invoke_function("with-role", "who", b"")
    assert result.error_type is None, result.body
    seen = json.loads(result.body)
    assert seen["key"].startswith("STS.local") and seen["env_key"] == seen["key"]
    identity = seen["identity"]
    assert identity["IdentityType"] == "AssumedRoleUser"
    assert identity["Arn"] == f"acs:ram::{backend.config.account_id}:assumed-role/fn-role/who"
    assert "Roles" in seen["list_roles"]  # the role's AliyunRAMReadOnlyAccess allows it
    assert seen["create_user"] == {"error": "NoPermission"}  # ... and nothing more


def test_credentials_are_refreshed_before_they_expire(backend: RamBackend, fc: FcClient) -> None:
    first = json.loads(fc.invoke_function("with-role", "who", b"").body)
    assert json.loads(fc.invoke_function("with-role", "who", b"").body)["key"] == first["key"]  # still fresh
    backend.clock.advance(3600 * 2 / 3 + 1)  # two thirds of the role's 3600 s session
    second = json.loads(fc.invoke_function("with-role", "who", b"").body)
    assert second["key"] != first["key"] and second["env_key"] == second["key"]
    assert second["identity"]["IdentityType"] == "AssumedRoleUser"


def test_a_role_that_does_not_exist_gives_nothing_and_the_log_says_why(fc: FcClient) -> None:
    result = fc.invoke_function("missing-role", "who", b"", log_type="Tail")
    seen = json.loads(result.body)
    assert seen["key"] == "" and seen["env_key"] == ""
    assert seen["identity"] == {"error": "MissingAccessKeyId"}  # STS's answer to a call without a key
    assert "role/nobody gives this function no credentials" in result.log
    assert "EntityNotExist.Role" in result.log
