"""Version, Alias, Layer, ProvisionConfig and CustomDomain against a real backend."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from fcbackend.backend_config import BackendConfig
from fcbackend.composition import create_app
from fcbackend.server import ThreadedServer
from resource_types.base import ProviderContext
from resource_types.fc.alias import AliasProvider
from resource_types.fc.custom_domain import CustomDomainProvider
from resource_types.fc.function import FunctionProvider
from resource_types.fc.layer import LayerProvider
from resource_types.fc.provision_config import ProvisionConfigProvider
from resource_types.fc.service import ServiceProvider
from resource_types.fc.version import VersionProvider
from rosengine.clients.fc import FcClient
from tests.support.fc_api import FakeScheduler
from tests.support.fc_providers import zip_b64
from tests.support.paths import REPO

ROOT = REPO / "resource_types/fc"


def _attrs(schema: str) -> set[str]:
    return set(json.loads((ROOT / f"{schema}.json").read_text())["attributes"])


def _source(text: str) -> dict:
    return {"SourceCode": f"def handler(event, context):\n    return b'{text}'\n"}


@pytest.fixture
def service(make_ctx, unique) -> str:
    name = unique("versvc")
    ServiceProvider().create(make_ctx(), {"ServiceName": name})
    FunctionProvider().create(
        make_ctx("ALIYUN::FC::Function"),
        {
            "ServiceName": name,
            "FunctionName": "fn",
            "Handler": "index.handler",
            "Runtime": "python3",
            "Code": _source("v1"),
        },
    )
    return name


def test_version_and_alias_route_calls(fc, make_ctx, service):
    vctx, actx = make_ctx("ALIYUN::FC::Version"), make_ctx("ALIYUN::FC::Alias")
    version = VersionProvider().create(vctx, {"ServiceName": service, "Description": "first"})
    assert set(version.attributes) == _attrs("version")
    assert version.attributes == {"VersionId": "1", "ServiceName": service}
    assert VersionProvider().read(vctx, version.physical_id, {}) == version.attributes

    fn_props = {
        "ServiceName": service,
        "FunctionName": "fn",
        "Handler": "index.handler",
        "Runtime": "python3",
    }
    FunctionProvider().update(
        make_ctx("ALIYUN::FC::Function"),
        f"{service}|fn",
        {**fn_props, "Code": _source("v2")},
        {**fn_props, "Code": _source("v1")},
        {},
    )
    v2 = VersionProvider().create(vctx, {"ServiceName": service})
    assert v2.attributes["VersionId"] == "2"

    alias_props = {"ServiceName": service, "AliasName": "prod", "VersionId": "1"}
    alias = AliasProvider().create(actx, alias_props)
    assert set(alias.attributes) == _attrs("alias")
    assert alias.attributes == {"AliasName": "prod", "ServiceName": service, "VersionId": "1"}
    assert fc.invoke_function(service, "fn", b"", qualifier="prod").body == b"v1"

    canary = {**alias_props, "AdditionalVersion": "2", "AdditionalWeight": 100}
    AliasProvider().update(actx, alias.physical_id, canary, alias_props, alias.attributes)
    assert fc.get_alias(service, "prod")["additionalVersionWeight"] == {"2": 1.0}
    assert fc.invoke_function(service, "fn", b"", qualifier="prod").body == b"v2"
    AliasProvider().update(actx, alias.physical_id, alias_props, canary, alias.attributes)
    assert not fc.get_alias(service, "prod").get("additionalVersionWeight")

    AliasProvider().delete(actx, alias.physical_id, alias_props)
    AliasProvider().delete(actx, alias.physical_id, alias_props)
    for published in (version, v2):
        VersionProvider().delete(vctx, published.physical_id, {})
        VersionProvider().delete(vctx, published.physical_id, {})
    assert fc.list_versions(service) == []


def test_layer_publish_and_delete(fc, make_ctx, unique):
    ctx, name = make_ctx("ALIYUN::FC::Layer"), unique("layer")
    props = {
        "LayerName": name,
        "CompatibleRuntime": ["python3"],
        "Description": "libs",
        "Code": {"ZipFile": zip_b64({"python/helper.py": "X = 1\n"})},
    }
    layer = LayerProvider().create(ctx, props)
    assert set(layer.attributes) == _attrs("layer")
    assert layer.attributes["Version"] == 1 and layer.attributes["Arn"]
    assert layer.physical_id == f"{name}|1"
    assert LayerProvider().read(ctx, layer.physical_id, props) == layer.attributes
    LayerProvider().delete(ctx, layer.physical_id, props)
    assert LayerProvider().read(ctx, layer.physical_id, props) is None
    LayerProvider().delete(ctx, layer.physical_id, props)


@pytest.fixture
def fake_scheduler_ctx(tmp_path) -> Iterator[tuple[ProviderContext, FcClient, FakeScheduler]]:
    """A backend whose scheduler only records what it is asked: real provisioned instances block
    the backend's shutdown for 30 s at the moment (reported to the lead), and what this test checks
    is the provider's use of the API."""
    config = BackendConfig.for_state_dir(tmp_path / "fc", flush_interval_s=0.02)
    scheduler = FakeScheduler()
    server = ThreadedServer(create_app(config, scheduler=scheduler)).start()
    client = FcClient(server.endpoint, config.access_key_id, config.access_key_secret)
    ctx = ProviderContext(
        stack_name="t",
        stack_id="s",
        region="cn-hangzhou",
        account_id="123456789",
        logical_id="Provision",
        resource_type="ALIYUN::FC::ProvisionConfig",
        clients=lambda service: client,
    )
    try:
        yield ctx, client, scheduler
    finally:
        client.close()
        server.stop()


def test_provision_config_sets_and_clears_target(fake_scheduler_ctx):
    ctx, fc, scheduler = fake_scheduler_ctx
    fc.create_service("prov")
    fc.create_function(
        "prov",
        "fn",
        code={"zipFile": zip_b64({"index.py": "def handler(e, c):\n    return e\n"})},
        handler="index.handler",
        runtime="python3",
    )
    fc.publish_version("prov")
    fc.create_alias("prov", "live", versionId="1")
    props = {"ServiceName": "prov", "FunctionName": "fn", "Qualifier": "live", "Target": 1}
    created = ProvisionConfigProvider().create(ctx, props)
    assert set(created.attributes) == _attrs("provision_config")
    assert created.attributes["Target"] == 1
    assert created.attributes["Resource"].endswith("#prov#live#fn")
    assert created.physical_id == created.attributes["Resource"]
    updated = ProvisionConfigProvider().update(
        ctx, created.physical_id, {**props, "Target": 2}, props, created.attributes
    )
    assert updated.attributes["Target"] == 2
    ProvisionConfigProvider().delete(ctx, created.physical_id, props)
    assert fc.get_provision_config("prov", "fn", "live")["target"] == 0


def test_custom_domain_routes(fc, make_ctx, service, unique):
    ctx, domain = make_ctx("ALIYUN::FC::CustomDomain"), f"{unique('d')}.example.com"
    props = {
        "DomainName": domain,
        "Protocol": "HTTP",
        "RouteConfig": {"Routes": [{"Path": "/*", "ServiceName": service, "FunctionName": "fn"}]},
    }
    created = CustomDomainProvider().create(ctx, props)
    assert set(created.attributes) == _attrs("custom_domain")
    assert created.attributes == {"DomainName": domain, "Domain": f"http://{domain}"}
    assert fc.get_custom_domain(domain)["routeConfig"]["routes"][0]["functionName"] == "fn"
    new = {**props, "Protocol": "HTTP,HTTPS"}
    assert (
        CustomDomainProvider().update(ctx, domain, new, props, {}).attributes["Domain"] == f"https://{domain}"
    )
    CustomDomainProvider().delete(ctx, domain, new)
    assert CustomDomainProvider().read(ctx, domain, new) is None
    CustomDomainProvider().delete(ctx, domain, new)
