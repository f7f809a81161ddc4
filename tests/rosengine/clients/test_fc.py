"""FcClient against a real server: typed errors, pagination across pages, environment lookup."""

from __future__ import annotations

import json

import pytest

from rosengine.clients.fc import FcApiError, FcBackendUnavailable, FcClient, FcNotFound
from tests.support.fc_api import zip_b64


@pytest.fixture
def client(backend):
    with FcClient(backend.endpoint, backend.config.access_key_id, backend.config.access_key_secret) as c:
        yield c


def test_crud_and_not_found(client):
    client.create_service("cli_svc", description="x")
    assert client.get_service("cli_svc")["description"] == "x"
    assert client.update_service("cli_svc", description="y")["description"] == "y"
    created = client.create_function(
        "cli_svc", "f", code={"zipFile": zip_b64()}, runtime="python3.10", handler="index.handler"
    )
    assert client.get_function("cli_svc", "f")["codeChecksum"] == created["codeChecksum"]
    assert client.download_function_code("cli_svc", "f")[:2] == b"PK"
    with pytest.raises(FcNotFound) as info:
        client.get_function("cli_svc", "nope")
    assert info.value.error_code == "FunctionNotFound" and info.value.request_id
    with pytest.raises(FcApiError) as info:
        client.create_service("cli_svc")
    assert info.value.status == 409 and not isinstance(info.value, FcNotFound)
    client.delete_function("cli_svc", "f")
    client.delete_service("cli_svc")


def test_lists_follow_next_tokens(client):
    for i in range(5):
        client.create_service(f"many_{i}")
    assert [s["serviceName"] for s in client.list_services(prefix="many_", limit=2)] == [
        f"many_{i}" for i in range(5)
    ]


def test_triggers_versions_aliases_tags(client, backend):
    client.create_service("cli_full")
    client.create_function("cli_full", "f", code={"zipFile": zip_b64()}, runtime="python3.10", handler="i.h")
    trigger = client.create_trigger(
        "cli_full",
        "f",
        triggerName="t",
        triggerType="timer",
        triggerConfig={"cronExpression": "@every 1h", "enable": True},
    )
    assert trigger["triggerName"] == "t"
    assert [t["triggerName"] for t in client.list_triggers("cli_full", "f")] == ["t"]
    version = client.publish_version("cli_full", description="v")
    alias = client.create_alias("cli_full", "live", versionId=version["versionId"])
    assert alias["versionId"] == version["versionId"]
    arn = f"acs:fc:{backend.config.region}:{backend.config.account_id}:services/cli_full"
    client.tag_resource(arn, {"k": "v"})
    assert client.get_resource_tags(arn) == {"k": "v"}
    client.untag_resource(arn, ["k"])
    assert client.get_resource_tags(arn) == {}


def test_from_environment_prefers_endpoint_variable(monkeypatch, backend):
    monkeypatch.setenv("ROS_FC_ENDPOINT", backend.endpoint)
    monkeypatch.setenv("ROS_FC_ACCESS_KEY_ID", backend.config.access_key_id)
    monkeypatch.setenv("ROS_FC_ACCESS_KEY_SECRET", backend.config.access_key_secret)
    with FcClient.from_environment() as client:
        assert client.get_account_settings()["availableAZs"]


def test_from_environment_reads_backend_json(monkeypatch, tmp_path, backend):
    monkeypatch.delenv("ROS_FC_ENDPOINT", raising=False)
    monkeypatch.setenv("ROS_HOME", str(tmp_path))
    (tmp_path / "fc").mkdir()
    (tmp_path / "fc" / "backend.json").write_text(
        json.dumps(
            {
                "endpoint": backend.endpoint,
                "pid": 1,
                "accessKeyId": backend.config.access_key_id,
                "accessKeySecret": backend.config.access_key_secret,
            }
        )
    )
    with FcClient.from_environment() as client:
        assert client.backend_status()["auth"] is True


def test_unreachable_backend_is_a_clear_error():
    with (
        FcClient("http://127.0.0.1:9", "id", "secret", timeout=2) as client,
        pytest.raises(FcBackendUnavailable) as info,
    ):
        client.list_services()
    assert "cannot reach the FC backend" in info.value.message
