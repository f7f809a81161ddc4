"""The twins composed into one backend: one identity across them. A function's role credentials
(minted by the local STS) and a RAM user's key work on the OSS and SLS twins, each request
authorized by the caller's policies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import oss2
import pytest

from rosengine.clients.sls import SlsApiError, SlsClient
from tests.support.cloud_twins import TwinBackend, twin_backend
from tests.support.fc_api import zip_b64
from tests.support.ram import allow, function_role

# Unmodified function code: oss2 comes from FC's built-in libraries, the keys from its role.
WRITER = """
import json
import oss2

def handler(event, context):
    event = json.loads(event)
    creds = context.credentials
    auth = oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token)
    written = {}
    for name in event["buckets"]:
        try:
            oss2.Bucket(auth, event["endpoint"], name).put_object("from-function.txt", b"hello")
            written[name] = "written"
        except oss2.exceptions.OssError as exc:
            written[name] = [exc.status, exc.code]
    return json.dumps(written)
"""


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinBackend]:
    with twin_backend(tmp_path_factory.mktemp("twins"), driver="process") as running:
        root = oss2.Auth(running.config.access_key_id, running.config.access_key_secret)
        for name in ("allowed-bucket", "other-bucket"):
            oss2.Bucket(root, running.endpoint, name).create_bucket()
        yield running


def _root_bucket(backend: TwinBackend, name: str) -> oss2.Bucket:
    return oss2.Bucket(
        oss2.Auth(backend.config.access_key_id, backend.config.access_key_secret), backend.endpoint, name
    )


def _invoke(backend: TwinBackend, service: str, event: dict[str, Any]) -> Any:
    with backend.fc() as fc:
        result = fc.invoke_function(service, "writer", json.dumps(event).encode())
    assert result.error_type is None, result.body
    return json.loads(result.body)


def test_a_functions_role_writes_the_bucket_its_policy_allows_and_no_other(backend: TwinBackend) -> None:
    with backend.ram() as ram:
        role = function_role(ram, "bucket-writer", allow("oss:PutObject", "acs:oss:*:*:allowed-bucket/*"))
    with backend.fc() as fc:
        fc.create_service("writers", role=role)
        fc.create_function(
            "writers",
            "writer",
            {"zipFile": zip_b64({"index.py": WRITER})},
            runtime="python3.10",
            handler="index.handler",
            timeout=60,
        )
    answer = _invoke(
        backend, "writers", {"endpoint": backend.endpoint, "buckets": ["allowed-bucket", "other-bucket"]}
    )
    assert answer == {"allowed-bucket": "written", "other-bucket": [403, "AccessDenied"]}
    assert _root_bucket(backend, "allowed-bucket").get_object("from-function.txt").read() == b"hello"
    assert not _root_bucket(backend, "other-bucket").object_exists("from-function.txt")


def test_a_ram_users_key_works_on_oss_within_its_policy(backend: TwinBackend) -> None:
    with backend.ram() as ram:
        ram.create_user("reader")
        ram.create_policy("read-allowed", allow(["oss:GetObject"], "acs:oss:*:*:allowed-bucket/*"))
        ram.attach_policy("User", "reader", "Custom", "read-allowed")
        key = ram.create_access_key("reader")
    _root_bucket(backend, "allowed-bucket").put_object("for-reader.txt", b"readable")
    user = oss2.Auth(key["AccessKeyId"], key["AccessKeySecret"])
    allowed = oss2.Bucket(user, backend.endpoint, "allowed-bucket")
    assert allowed.get_object("for-reader.txt").read() == b"readable"
    with pytest.raises(oss2.exceptions.AccessDenied):
        allowed.put_object("by-reader.txt", b"no")
    with pytest.raises(oss2.exceptions.AccessDenied):
        oss2.Bucket(user, backend.endpoint, "other-bucket").get_object("for-reader.txt")


def test_a_ram_users_key_works_on_sls_within_its_policy(backend: TwinBackend) -> None:
    with backend.sls() as sls:
        sls.create_project("user-proj")
        sls.create_project("not-users-proj")
    with backend.ram() as ram:
        ram.create_user("logger")
        ram.create_policy("user-proj-logs", allow("log:*", ["acs:log:*:*:project/user-proj*"]))
        ram.attach_policy("User", "logger", "Custom", "user-proj-logs")
        key = ram.create_access_key("logger")
    with SlsClient(backend.endpoint, key["AccessKeyId"], key["AccessKeySecret"]) as as_user:
        as_user.create_logstore("user-proj", "mine")
        assert as_user.list_logstores("user-proj") == ["mine"]
        with pytest.raises(SlsApiError) as denied:
            as_user.create_logstore("not-users-proj", "theirs")
    assert denied.value.status == 401 and denied.value.code == "Unauthorized"
