"""Provision, on-demand and async invoke configs; custom domains; layers and their ACL (official SDK +
FcClient)."""

from __future__ import annotations

import json
import time

import fc2
import pytest
import requests

from rosengine.clients.fc import FcApiError, FcNotFound
from tests.support.fc_api import zip_b64

FcError = fc2.fc_exceptions.FcError


@pytest.fixture(scope="module")
def function(client):
    client.create_service("cfg_svc")
    client.create_function(
        "cfg_svc", "f", code={"zipFile": zip_b64()}, runtime="python3.10", handler="index.handler"
    )
    return "cfg_svc", "f"


def test_provision_config(sdk, function, backend):
    data = sdk.put_provision_config("cfg_svc", "LATEST", "f", 2).data
    assert data["resource"] == f"{backend.config.account_id}#cfg_svc#LATEST#f" and data["target"] == 2
    deadline = time.monotonic() + 5
    while ("f", 2) not in backend.scheduler.provisioned and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ("f", 2) in backend.scheduler.provisioned
    assert sdk.get_provision_config("cfg_svc", "LATEST", "f").data["target"] == 2
    listed = sdk.list_provision_configs("cfg_svc", "LATEST").data
    assert [c["target"] for c in listed["provisionConfigs"]] == [2] and "nextToken" not in listed
    with pytest.raises(FcError) as info:
        sdk.put_provision_config("cfg_svc", "no_such_alias", "f", 1)
    assert info.value.err_code == "AliasNotFound"


def test_on_demand_config(sdk, function):
    assert "configs" not in sdk.list_on_demand_config().data
    data = sdk.put_on_demand_config("cfg_svc", "LATEST", "f", 10).data
    assert data == {"resource": "services/cfg_svc.LATEST/functions/f", "maximumInstanceCount": 10}
    assert sdk.get_on_demand_config("cfg_svc", "LATEST", "f").data["maximumInstanceCount"] == 10
    assert len(sdk.list_on_demand_config().data["configs"]) == 1
    sdk.delete_on_demand_config("cfg_svc", "LATEST", "f")


def test_async_invoke_config_keys_case_insensitive(sdk, function):
    sent = {
        "DestinationConfig": {"OnSuccess": {"Destination": "acs:fc:cn-hangzhou:1:services/s/functions/ok"}},
        "MaxAsyncEventAgeInSeconds": 300,
        "maxasyncretryattempts": 2,
    }
    data = sdk.put_function_async_invoke_config("cfg_svc", "LATEST", "f", sent).data
    assert data["destinationConfig"] == {
        "onSuccess": {"destination": "acs:fc:cn-hangzhou:1:services/s/functions/ok"}
    }
    assert data["maxAsyncEventAgeInSeconds"] == 300 and data["maxAsyncRetryAttempts"] == 2
    listed = sdk.list_function_async_invoke_configs("cfg_svc", "f").data
    assert len(listed["configs"]) == 1 and listed["nextToken"] == ""
    with pytest.raises(FcError):
        sdk.put_function_async_invoke_config("cfg_svc", "LATEST", "f", {"maxAsyncRetryAttempts": 99})
    sdk.delete_function_async_invoke_config("cfg_svc", "LATEST", "f")
    with pytest.raises(FcError) as info:
        sdk.get_function_async_invoke_config("cfg_svc", "LATEST", "f")
    assert info.value.status_code == 404


def test_custom_domains(sdk, function):
    routes = {
        "routes": [{"path": "/api/*", "serviceName": "cfg_svc", "functionName": "f", "qualifier": "LATEST"}]
    }
    cert = {
        "certName": "c",
        "certificate": "-----BEGIN CERTIFICATE-----",
        "privateKey": "-----BEGIN KEY-----",
    }
    data = sdk.create_custom_domain("api.example.com", "HTTP,HTTPS", routes, certConfig=cert).data
    assert data["routeConfig"] == routes and data["certConfig"]["privateKey"] is None
    with pytest.raises(FcError) as info:
        sdk.create_custom_domain("api.example.com", "HTTP", routes)
    assert info.value.status_code == 409
    listed = sdk.list_custom_domains(prefix="api.").data
    assert list(listed) == ["customDomains"] and len(listed["customDomains"]) == 1
    assert sdk.update_custom_domain("api.example.com", protocol="HTTP").data["protocol"] == "HTTP"
    sdk.delete_custom_domain("api.example.com")
    with pytest.raises(FcError) as info:
        sdk.get_custom_domain("api.example.com")
    assert info.value.err_code == "DomainNameNotFound"


def test_layers_versions_and_use_by_function(client, function):
    first = client.publish_layer_version(
        "libs",
        code={"zipFile": zip_b64({"python/lib.py": "X = 1\n"})},
        compatibleRuntime=["python3.10"],
        description="d",
    )
    second = client.publish_layer_version(
        "libs", code={"zipFile": zip_b64({"python/lib.py": "X = 2\n"})}, compatibleRuntime=["python3.10"]
    )
    assert (first["version"], second["version"]) == (1, 2)
    assert first["arn"].endswith(":layers/libs/versions/1")
    assert [v["version"] for v in client.list_layer_versions("libs")] == [1, 2]
    assert [layer["version"] for layer in client.list_layers(prefix="lib")] == [2]
    data = client.update_function("cfg_svc", "f", layers=[second["arn"]])
    assert data["layers"] == [second["arn"]]
    with pytest.raises(FcApiError) as info:
        client.update_function("cfg_svc", "f", layers=["acs:fc:cn-hangzhou:1:layers/libs/versions/9"])
    assert info.value.status == 400 and "does not exist" in info.value.message
    client.delete_layer_version("libs", 1)
    with pytest.raises(FcNotFound):
        client.get_layer_version("libs", 1)
    third = client.publish_layer_version("libs", code={"zipFile": zip_b64({"python/lib.py": "X = 3\n"})})
    assert third["version"] == 3


# -- the layer ACL takes effect; deleting a config that does not exist is a 404
def _signed(sdk, method: str, path: str, **kwargs) -> requests.Response:
    """A raw request signed as the SDK signs it (for calls the SDK has no method for)."""
    headers = sdk._build_common_headers(method, path, {})
    return requests.request(method, sdk.endpoint + path, headers=headers, timeout=10, **kwargs)


def _acls(client, layer: str) -> list[int]:
    return [v["acl"] for v in client.list_layer_versions(layer)]


def test_layer_acl_from_query_and_from_body_applies_to_every_version(sdk, client):
    for text in ("a", "b"):
        client.publish_layer_version("acl_layer", code={"zipFile": zip_b64({"python/m.py": text})})
    path = "/2016-08-15/layers/acl_layer/acl"
    assert _acls(client, "acl_layer") == [0, 0]

    assert _signed(sdk, "PUT", path, params={"public": "true"}).status_code == 202
    assert _acls(client, "acl_layer") == [1, 1]
    assert client.get_layer_version("acl_layer", 2)["acl"] == 1

    assert _signed(sdk, "PUT", path, data=json.dumps({"public": False})).status_code == 202
    assert _acls(client, "acl_layer") == [0, 0]
    assert _signed(sdk, "PUT", path, data=json.dumps({"public": True})).status_code == 202
    assert _acls(client, "acl_layer") == [1, 1]


def test_layer_acl_rejects_a_missing_or_unclear_flag(sdk):
    path = "/2016-08-15/layers/acl_layer/acl"
    for kwargs in ({}, {"params": {"public": "maybe"}}, {"data": json.dumps({"public": "yes please"})}):
        answer = _signed(sdk, "PUT", path, **kwargs)
        assert answer.status_code == 400, kwargs
        assert answer.json()["ErrorCode"] == "InvalidArgument" and "public" in answer.json()["ErrorMessage"]
    missing = _signed(sdk, "PUT", "/2016-08-15/layers/no_such_layer/acl", params={"public": "true"})
    assert missing.status_code == 404


def test_deleting_a_missing_async_or_on_demand_config_is_404(sdk, client):
    client.create_service("missing_cfg_svc")
    client.create_function(
        "missing_cfg_svc", "f", code={"zipFile": zip_b64()}, runtime="python3.10", handler="index.handler"
    )
    with pytest.raises(FcError) as info:
        sdk.delete_function_async_invoke_config("missing_cfg_svc", "LATEST", "f")
    assert (info.value.status_code, info.value.err_code) == (404, "AsyncConfigNotExists")
    with pytest.raises(FcError) as info:
        sdk.delete_on_demand_config("missing_cfg_svc", "LATEST", "f")
    assert (info.value.status_code, info.value.err_code) == (404, "OnDemandConfigNotFound")

    sdk.put_function_async_invoke_config("missing_cfg_svc", "LATEST", "f", {"maxAsyncRetryAttempts": 1})
    sdk.put_on_demand_config("missing_cfg_svc", "LATEST", "f", 3)
    sdk.delete_function_async_invoke_config("missing_cfg_svc", "LATEST", "f")
    sdk.delete_on_demand_config("missing_cfg_svc", "LATEST", "f")
    with pytest.raises(FcError) as info:
        sdk.delete_function_async_invoke_config("missing_cfg_svc", "LATEST", "f")
    assert info.value.status_code == 404
