"""Regressions from the official-SDK audit of the FC 2.0 API (fake scheduler): alias reads are
deterministic, the layer ACL takes effect, partial service ARNs can be tagged, and deleting a
missing config is a 404."""

from __future__ import annotations

import json

import pytest
import requests

from rosengine.clients.fc import FcClient
from tests.support.fc_api import zip_b64

fc2 = pytest.importorskip("fc2")
FcError = fc2.fc_exceptions.FcError

READS = 20  # with a 50/50 split, a random pick passes all reads with probability 2**-20


@pytest.fixture(scope="module")
def client(backend):
    with FcClient(backend.endpoint, backend.config.access_key_id, backend.config.access_key_secret) as c:
        yield c


def _signed(sdk, method: str, path: str, **kwargs) -> requests.Response:
    """A raw request signed as the SDK signs it (for calls the SDK has no method for)."""
    headers = sdk._build_common_headers(method, path, {})
    return requests.request(method, sdk.endpoint + path, headers=headers, timeout=10, **kwargs)


@pytest.fixture(scope="module")
def split_alias(sdk, client):
    """Service ``audit_split`` with versions 1 and 2 (different description and code) and alias
    ``prod`` -> 1 sending half the traffic to 2."""
    client.create_service("audit_split", description="v1 service")
    client.create_function(
        "audit_split",
        "f",
        code={"zipFile": zip_b64({"index.py": "V = 1\n"})},
        runtime="python3.10",
        handler="index.handler",
        description="fn one",
    )
    sdk.publish_version("audit_split", "version one")
    client.update_service("audit_split", description="v2 service")
    client.update_function(
        "audit_split", "f", code={"zipFile": zip_b64({"index.py": "V = 2\n"})}, description="fn two"
    )
    sdk.publish_version("audit_split", "version two")
    sdk.create_alias("audit_split", "prod", "1", additionalVersionWeight={"2": 0.5})
    return "audit_split"


def test_reads_through_a_weighted_alias_name_its_main_version(sdk, split_alias):
    expected_checksum = sdk.get_function_code(split_alias, "f", qualifier="1").data["checksum"]
    assert expected_checksum != sdk.get_function_code(split_alias, "f", qualifier="2").data["checksum"]
    for _ in range(READS):
        assert sdk.get_service(split_alias, qualifier="prod").data["description"] == "version one"
        assert sdk.get_function(split_alias, "f", qualifier="prod").data["description"] == "fn one"
        assert sdk.get_function_code(split_alias, "f", qualifier="prod").data["checksum"] == expected_checksum
        names = [
            f["description"] for f in sdk.list_functions(split_alias, qualifier="prod").data["functions"]
        ]
        assert names == ["fn one"]


def test_invocations_through_the_alias_still_follow_the_weights(sdk, split_alias, backend):
    chosen = {
        sdk.invoke_function(split_alias, "f", payload=b"x", qualifier="prod").headers[
            "x-fc-invocation-service-version"
        ]
        for _ in range(60)
    }
    assert chosen == {"1", "2"}


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


def test_tags_accept_partial_and_full_service_arns_as_the_same_resource(sdk, backend, client):
    client.create_service("audit_tags")
    full = f"acs:fc:{backend.config.region}:{backend.config.account_id}:services/audit_tags"
    sdk.tag_resource("services/audit_tags", {"env": "dev"})
    assert sdk.get_resource_tags(full).data["tags"] == {"env": "dev"}
    assert sdk.get_resource_tags("services/audit_tags").data == {"resourceArn": full, "tags": {"env": "dev"}}
    sdk.tag_resource(full, {"team": "a"})
    assert sdk.get_resource_tags("services/audit_tags").data["tags"] == {"env": "dev", "team": "a"}
    assert [s["serviceName"] for s in sdk.list_services(tags={"env": "dev"}).data["services"]] == [
        "audit_tags"
    ]
    sdk.untag_resource("services/audit_tags", ["env"])
    assert sdk.get_resource_tags(full).data["tags"] == {"team": "a"}
    for wrong in ("services/audit_tags/functions/f", "functions/f", "svc/audit_tags"):
        with pytest.raises(FcError) as info:
            sdk.tag_resource(wrong, {"k": "v"})
        assert info.value.err_code == "InvalidArgument" and "services/<name>" in info.value.message
    with pytest.raises(FcError) as info:
        sdk.tag_resource("services/no_such_service", {"k": "v"})
    assert info.value.err_code == "ServiceNotFound"


def test_deleting_a_missing_async_or_on_demand_config_is_404(sdk, client):
    client.create_service("audit_cfg")
    client.create_function(
        "audit_cfg", "f", code={"zipFile": zip_b64()}, runtime="python3.10", handler="index.handler"
    )
    with pytest.raises(FcError) as info:
        sdk.delete_function_async_invoke_config("audit_cfg", "LATEST", "f")
    assert (info.value.status_code, info.value.err_code) == (404, "AsyncConfigNotExists")
    with pytest.raises(FcError) as info:
        sdk.delete_on_demand_config("audit_cfg", "LATEST", "f")
    assert (info.value.status_code, info.value.err_code) == (404, "OnDemandConfigNotFound")

    sdk.put_function_async_invoke_config("audit_cfg", "LATEST", "f", {"maxAsyncRetryAttempts": 1})
    sdk.put_on_demand_config("audit_cfg", "LATEST", "f", 3)
    sdk.delete_function_async_invoke_config("audit_cfg", "LATEST", "f")
    sdk.delete_on_demand_config("audit_cfg", "LATEST", "f")
    with pytest.raises(FcError) as info:
        sdk.delete_function_async_invoke_config("audit_cfg", "LATEST", "f")
    assert info.value.status_code == 404
