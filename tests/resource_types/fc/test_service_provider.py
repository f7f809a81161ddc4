"""ALIYUN::FC::Service against a real backend: create, update, read, delete, gone-is-deleted."""

from __future__ import annotations

import json

import pytest

from resource_types.base import ProviderError
from resource_types.fc.function import FunctionProvider
from resource_types.fc.service import ServiceProvider
from tests.support.fc_providers import zip_b64
from tests.support.paths import REPO

SCHEMA = json.loads((REPO / "resource_types/fc/service.json").read_text())


def test_create_returns_every_schema_attribute(fc, make_ctx, unique, live_backend):
    from rosengine.clients.sls import SlsClient

    name = unique("svc")
    with SlsClient(live_backend.endpoint, fc.access_key_id, fc.access_key_secret) as sls:
        sls.create_project("proj")
        sls.create_logstore("proj", "store")
    result = ServiceProvider().create(
        make_ctx(),
        {
            "ServiceName": name,
            "Description": "first",
            "InternetAccess": False,
            "LogConfig": {"Project": "proj", "Logstore": "store"},
            "Tags": [{"Key": "team", "Value": "blue"}],
        },
    )
    assert result.physical_id == name
    assert set(result.attributes) == set(SCHEMA["attributes"])
    assert result.attributes["ServiceName"] == name
    assert result.attributes["ServiceId"] == fc.get_service(name)["serviceId"]
    assert result.attributes["InternetAccess"] is False
    assert result.attributes["LogProject"] == "proj" and result.attributes["Logstore"] == "store"
    assert result.attributes["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert fc.get_service(name)["description"] == "first"


def test_update_in_place_changes_config_and_tags(fc, make_ctx, unique):
    provider, ctx, name = ServiceProvider(), make_ctx(), unique("svc")
    old = {"ServiceName": name, "Description": "v1", "Tags": [{"Key": "a", "Value": "1"}]}
    created = provider.create(ctx, old)
    new = {"ServiceName": name, "Description": "v2", "Tags": [{"Key": "b", "Value": "2"}]}
    updated = provider.update(ctx, name, new, old, created.attributes)
    assert updated.physical_id == name
    assert updated.attributes["ServiceId"] == created.attributes["ServiceId"]
    assert fc.get_service(name)["description"] == "v2"
    arn = f"acs:fc:{ctx.region}:{ctx.account_id}:services/{name}"
    assert fc.get_resource_tags(arn) == {"b": "2"}


def test_read_and_delete_and_gone_counts_as_deleted(fc, make_ctx, unique):
    provider, ctx, name = ServiceProvider(), make_ctx(), unique("svc")
    provider.create(ctx, {"ServiceName": name})
    assert provider.read(ctx, name, {"ServiceName": name})["ServiceName"] == name
    recovered = provider.read(ctx, "", {"ServiceName": name})
    assert recovered["PhysicalResourceId"] == name
    provider.delete(ctx, name, {"ServiceName": name})
    assert [s for s in fc.list_services(prefix=name) if s["serviceName"] == name] == []
    assert provider.read(ctx, name, {"ServiceName": name}) is None
    provider.delete(ctx, name, {"ServiceName": name})  # already gone: no error


def test_duplicate_create_is_a_clear_provider_error(make_ctx, unique):
    provider, ctx, name = ServiceProvider(), make_ctx(), unique("svc")
    provider.create(ctx, {"ServiceName": name})
    with pytest.raises(ProviderError) as info:
        provider.create(ctx, {"ServiceName": name})
    assert name in info.value.message and "creating service" in info.value.message


def test_delete_with_a_function_still_inside_fails_clearly(make_ctx, unique, monkeypatch):
    ctx, name = make_ctx(), unique("svc")
    ServiceProvider().create(ctx, {"ServiceName": name})
    FunctionProvider().create(
        make_ctx("ALIYUN::FC::Function"),
        {
            "ServiceName": name,
            "FunctionName": "f",
            "Handler": "index.handler",
            "Runtime": "python3",
            "Code": {"ZipFile": zip_b64({"index.py": "def handler(e, c):\n    return e\n"})},
        },
    )
    ctx.deadline = lambda: 0.0  # no grace period: the conflict is reported at once
    with pytest.raises(ProviderError) as info:
        ServiceProvider().delete(ctx, name, {"ServiceName": name})
    assert info.value.code == "ServiceNotEmpty"


def test_a_description_removed_from_the_template_goes_back_to_none(fc, make_ctx, unique):
    provider, ctx, name = ServiceProvider(), make_ctx(), unique("svc")
    old = {"ServiceName": name, "Description": "v1"}
    created = provider.create(ctx, old)
    provider.update(ctx, name, {"ServiceName": name}, old, created.attributes)
    assert fc.get_service(name)["description"] == ""
