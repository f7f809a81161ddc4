"""The ten ALIYUN::FC3::* providers against a real backend: create, update, read, delete, and the
attributes their schemas promise."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from resource_types import registry
from resource_types.base import ProviderContext, ProviderError
from rosengine.clients.sls import SlsClient
from tests.support.fc3_backend import Fc3Backend, zip_b64

Ctx = Callable[..., ProviderContext]
ECHO = "def handler(event, context):\n    return event\n"


def provider(type_name: str) -> Any:
    found = registry.get(type_name)
    assert found is not None and found.provider is not None, type_name
    return found.provider()


def _attribute_names(type_name: str) -> set[str]:
    found = registry.get(type_name)
    assert found is not None
    return set(found.schema.attributes)


def _function(ctx: Ctx, name: str, **props: Any) -> Any:
    props = {
        "FunctionName": name,
        "Handler": "index.handler",
        "Runtime": "python3.10",
        "Code": {"SourceCode": ECHO},
        **props,
    }
    return provider("ALIYUN::FC3::Function").create(ctx(), props), props


def test_function_create_update_read_delete(ctx: Ctx, live: Fc3Backend, unique: Callable[[str], str]) -> None:
    name = unique("fn")
    fn = provider("ALIYUN::FC3::Function")
    config = live.config
    with SlsClient(live.endpoint, config.access_key_id, config.access_key_secret) as sls:
        sls.create_project(f"{name}-logs")  # a LogConfig names what exists in the SLS twin
        sls.create_logstore(f"{name}-logs", "functions")
    props = {
        "FunctionName": name,
        "Handler": "index.handler",
        "Runtime": "python3.10",
        "Code": {"SourceCode": ECHO + "\ndef init(context):\n    pass\n"},
        "MemorySize": 256,
        "EnvironmentVariables": {"A": "1"},
        "LogConfig": {"Project": f"{name}-logs", "Logstore": "functions", "EnableRequestMetrics": True},
        "NasConfig": {
            "UserId": 10,
            "GroupId": 10,
            "MountPoints": [{"ServerAddr": "n:/x", "MountDir": "/mnt/n", "EnableTls": True}],
        },
        "CustomDns": {"NameServers": ["8.8.8.8"], "DnsOptions": [{"Name": "ndots", "Value": "2"}]},
        "SessionAffinity": "HEADER_FIELD",
        "SessionAffinityConfig": {"affinityHeaderFieldName": "x-s"},
        "InstanceLifecycleConfig": {"Initializer": {"Handler": "index.init", "Timeout": 5}},
        "Tags": [{"Key": "team", "Value": "a"}],
    }
    result = fn.create(ctx(), props)
    assert result.physical_id == name and set(result.attributes) == _attribute_names("ALIYUN::FC3::Function")
    assert result.attributes["ARN"].endswith(f":functions/{name}") and result.attributes["FunctionId"]
    got = live.client.get_function(name)
    assert got["nasConfig"]["mountPoints"][0] == {
        "serverAddr": "n:/x",
        "mountDir": "/mnt/n",
        "enableTLS": True,
    }
    assert got["customDNS"]["dnsOptions"] == [{"name": "ndots", "value": "2"}]
    assert json.loads(got["sessionAffinityConfig"]) == {"affinityHeaderFieldName": "x-s"}
    assert got["tags"] == [{"Key": "team", "Value": "a"}]
    assert live.client.invoke_function(name, b"ping").body == b"ping"  # SourceCode became index.py

    new = {**props, "MemorySize": 512, "Tags": [{"Key": "team", "Value": "b"}]}
    del new["EnvironmentVariables"], new["NasConfig"]
    fn.update(ctx(), name, new, props, result.attributes)
    got = live.client.get_function(name)
    assert got["memorySize"] == 512 and got["environmentVariables"] == {} and got["nasConfig"] == {}
    assert got["tags"] == [{"Key": "team", "Value": "b"}]
    assert fn.read(ctx(), name, new) == result.attributes

    fn.delete(ctx(), name, new)
    assert fn.read(ctx(), name, new) is None
    fn.delete(ctx(), name, new)  # already gone: fine


def test_function_errors_are_provider_errors(ctx: Ctx, unique: Callable[[str], str]) -> None:
    fn = provider("ALIYUN::FC3::Function")
    with pytest.raises(ProviderError, match="MemorySize|memorySize"):
        fn.create(
            ctx(),
            {
                "FunctionName": unique("bad"),
                "Handler": "i.h",
                "Runtime": "python3.10",
                "Code": {"SourceCode": ECHO},
                "MemorySize": 100,
            },
        )
    with pytest.raises(ProviderError, match="Code is required"):
        fn.create(ctx(), {"FunctionName": unique("bad"), "Handler": "i.h", "Runtime": "python3.10"})


def test_local_path_code(ctx: Ctx, live: Fc3Backend, tmp_path: Path, unique: Callable[[str], str]) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("def handler(e, c):\n    return b'local'\n")
    name = unique("local")
    _function(ctx, name, Handler="main.handler", Code={"LocalPath": "app"})
    assert live.client.invoke_function(name, b"").body == b"local"


def test_trigger(ctx: Ctx, live: Fc3Backend, unique: Callable[[str], str]) -> None:
    name = unique("trig")
    _function(ctx, name)
    trigger = provider("ALIYUN::FC3::Trigger")
    props = {
        "FunctionName": name,
        "TriggerName": "http",
        "TriggerType": "http",
        "TriggerConfig": {"AuthType": "anonymous", "Methods": ["POST"]},
    }
    created = trigger.create(ctx("ALIYUN::FC3::Trigger"), props)
    assert created.physical_id == f"{name}|http"
    assert set(created.attributes) == _attribute_names("ALIYUN::FC3::Trigger")
    url = created.attributes["UrlInternet"]
    assert httpx.post(url, content=b"x").status_code == 200
    assert httpx.get(url).status_code == 405
    updated = trigger.update(
        ctx("ALIYUN::FC3::Trigger"),
        created.physical_id,
        {**props, "TriggerConfig": {"AuthType": "anonymous", "Methods": ["GET"]}, "Description": "d"},
        props,
        created.attributes,
    )
    assert updated.attributes["TriggerId"] == created.attributes["TriggerId"]
    assert httpx.get(url).status_code == 200
    assert json.loads(live.client.get_trigger(name, "http")["triggerConfig"]) == {
        "authType": "anonymous",
        "methods": ["GET"],
    }
    timer = trigger.create(
        ctx(),
        {
            "FunctionName": name,
            "TriggerName": "tick",
            "TriggerType": "timer",
            "TriggerConfig": {"CronExpression": "@every 1h", "Enable": True},
        },
    )
    assert timer.attributes["UrlInternet"] is None
    trigger.delete(ctx(), created.physical_id, props)
    trigger.delete(ctx(), timer.physical_id, {})
    assert live.client.list_triggers(name) == []


def test_function_version(ctx: Ctx, live: Fc3Backend, unique: Callable[[str], str]) -> None:
    name = unique("ver")
    _function(ctx, name)
    version = provider("ALIYUN::FC3::FunctionVersion")
    props = {"FunctionName": name, "Description": "first"}
    created = version.create(ctx(), props)
    assert created.physical_id == "1" and created.attributes["VersionId"] == "1"
    assert set(created.attributes) == _attribute_names("ALIYUN::FC3::FunctionVersion")
    assert version.read(ctx(), "1", props)["Description"] == "first"
    version.delete(ctx(), "1", props)
    assert version.read(ctx(), "1", props) is None


def test_layer_version(ctx: Ctx, live: Fc3Backend, unique: Callable[[str], str]) -> None:
    name = unique("layer")
    layer = provider("ALIYUN::FC3::LayerVersion")
    props = {
        "LayerName": name,
        "Code": {"ZipFile": zip_b64({"python/helper.py": "VALUE = 42\n"})},
        "CompatibleRuntime": ["python3.10"],
        "Description": "d",
        "License": "MIT",
        "Acl": "1",
    }
    created = layer.create(ctx(), props)
    assert set(created.attributes) == _attribute_names("ALIYUN::FC3::LayerVersion")
    assert created.attributes["Acl"] == "1" and created.attributes["Version"] == 1
    assert created.physical_id == created.attributes["LayerVersionArn"]
    fn_name = unique("uses-layer")
    _function(
        ctx,
        fn_name,
        Code={"SourceCode": "import helper\ndef handler(e, c):\n    return str(helper.VALUE)\n"},
        Layers=[created.physical_id],
    )
    assert live.client.invoke_function(fn_name, b"").body == b"42"
    updated = layer.update(ctx(), created.physical_id, {**props, "Acl": "0"}, props, created.attributes)
    assert updated.attributes["Acl"] == "0"
    layer.delete(ctx(), created.physical_id, props)
    assert layer.read(ctx(), created.physical_id, props) is None


def test_custom_domain(ctx: Ctx, live: Fc3Backend, unique: Callable[[str], str]) -> None:
    name = unique("site")
    _function(
        ctx,
        name,
        Code={
            "SourceCode": (
                "import json\ndef handler(e, c):\n"
                "    return {'statusCode': 200, 'body': json.loads(e)['rawPath']}\n"
            )
        },
    )
    domain = provider("ALIYUN::FC3::CustomDomain")
    host = f"{name}.example.com"
    props = {
        "DomainName": host,
        "Protocol": "HTTP",
        "AuthConfig": {"AuthType": "anonymous"},
        "RouteConfig": {
            "Routes": [
                {
                    "Path": "/*",
                    "FunctionName": name,
                    "Qualifier": "LATEST",
                    "RewriteConfig": {"EqualRules": [{"Match": "/", "Replacement": "/home"}]},
                }
            ]
        },
        "WafConfig": {"EnableWAF": False},
    }
    created = domain.create(ctx(), props)
    assert created.attributes == {"DomainName": host}
    assert httpx.get(f"{live.endpoint}/", headers={"host": host}).text == "/home"
    assert live.client.get_custom_domain(host)["wafConfig"] == {"enableWAF": False}
    domain.update(ctx(), host, {**props, "Protocol": "HTTP,HTTPS"}, props, created.attributes)
    assert live.client.get_custom_domain(host)["protocol"] == "HTTP,HTTPS"
    without_routes = {key: value for key, value in props.items() if key != "RouteConfig"}
    domain.update(ctx(), host, without_routes, props, created.attributes)
    assert live.client.get_custom_domain(host)["routeConfig"] == {"routes": []}  # RouteConfig's default
    domain.delete(ctx(), host, props)
    assert domain.read(ctx(), host, props) is None


def test_configs_and_binding(ctx: Ctx, live: Fc3Backend, unique: Callable[[str], str]) -> None:
    name = unique("cfg")
    _function(ctx, name)
    concurrency = provider("ALIYUN::FC3::ConcurrencyConfig")
    concurrency.create(ctx(), {"FunctionName": name, "ReservedConcurrency": 3})
    assert live.client.get_concurrency_config(name)["reservedConcurrency"] == 3
    concurrency.update(ctx(), name, {"FunctionName": name, "ReservedConcurrency": 4}, {}, {})
    assert live.client.get_concurrency_config(name)["reservedConcurrency"] == 4
    concurrency.delete(ctx(), name, {})

    async_config = provider("ALIYUN::FC3::AsyncInvokeConfig")
    props = {
        "FunctionName": name,
        "AsyncTask": True,
        "MaxAsyncRetryAttempts": 1,
        "DestinationConfig": {"OnFailure": {"Destination": f"acs:fc:cn-hangzhou:1:functions/{name}"}},
    }
    async_config.create(ctx(), props)
    got = live.client.get_async_invoke_config(name)
    assert got["asyncTask"] is True and got["destinationConfig"]["onFailure"]["destination"].endswith(name)
    async_config.delete(ctx(), name, props)

    provision = provider("ALIYUN::FC3::ProvisionConfig")
    props = {
        "FunctionName": name,
        "DefaultTarget": 1,
        "AlwaysAllocateCPU": True,
        "ScheduledActions": [{"Name": "n", "Target": 0, "ScheduleExpression": "cron(0 0 22 * * *)"}],
    }
    created = provision.create(ctx(), props)
    assert created.physical_id == f"{name}|LATEST"
    got = live.client.get_provision_config(name)
    assert got["defaultTarget"] == 1 and got["scheduledActions"][0]["name"] == "n"
    provision.delete(ctx(), created.physical_id, props)

    binding = provider("ALIYUN::FC3::VpcBinding")
    created = binding.create(ctx(), {"FunctionName": name, "VpcId": "vpc-abc"})
    assert created.attributes == {"VpcId": "vpc-abc"} and live.client.list_vpc_bindings(name) == ["vpc-abc"]
    assert binding.read(ctx(), created.physical_id, {}) == {"VpcId": "vpc-abc"}
    binding.delete(ctx(), created.physical_id, {})
    assert live.client.list_vpc_bindings(name) == []


def test_function_invoker(ctx: Ctx, live: Fc3Backend, unique: Callable[[str], str]) -> None:
    name = unique("inv")
    _function(
        ctx,
        name,
        Code={
            "SourceCode": (
                "def handler(e, c):\n    if e == b'boom':\n        raise ValueError('bad')\n    return e\n"
            )
        },
    )
    invoker = provider("ALIYUN::FC3::FunctionInvoker")
    none = invoker.create(ctx(), {"FunctionName": name, "Event": "x"})
    assert none.attributes["ResultType"] == "NoResult"
    assert set(none.attributes) == _attribute_names("ALIYUN::FC3::FunctionInvoker")
    props = {"FunctionName": name, "Event": "hello", "ExecuteVersion": 1}
    done = invoker.create(ctx(), props)
    assert (done.attributes["ResultType"], done.attributes["Result"]) == ("Success", "hello")
    calls = len(live.client.local("invocations", function=name)["invocations"])
    same = invoker.update(ctx(), done.physical_id, {**props, "Event": "changed"}, props, done.attributes)
    assert same.attributes["Result"] == "hello"  # ExecuteVersion unchanged: not invoked
    assert len(live.client.local("invocations", function=name)["invocations"]) == calls
    again = invoker.update(
        ctx(), done.physical_id, {**props, "ExecuteVersion": 2, "Event": "again"}, props, done.attributes
    )
    assert again.attributes["Result"] == "again"
    failed = invoker.create(ctx(), {"FunctionName": name, "Event": "boom", "ExecuteVersion": 1})
    assert failed.attributes["ResultType"] == "Failure" and "bad" in failed.attributes["Result"]
    with pytest.raises(ProviderError, match="bad"):
        invoker.create(
            ctx(), {"FunctionName": name, "Event": "boom", "ExecuteVersion": 1, "CheckError": True}
        )

    check = {"Enabled": True, "CheckInterval": 10, "CheckTimes": 3}
    waited = invoker.create(
        ctx(),
        {
            "FunctionName": name,
            "Event": "later",
            "ExecuteVersion": 1,
            "Async": True,
            "CheckAsyncInvocation": check,
        },
    )
    assert waited.attributes["ResultType"] == "Success" and waited.attributes["Result"] == "later"
    assert (
        waited.attributes["TaskId"] and [e["status"] for e in waited.attributes["Events"]][-1] == "Succeeded"
    )
    with pytest.raises(ProviderError, match="bad"):
        invoker.create(
            ctx(),
            {
                "FunctionName": name,
                "Event": "boom",
                "ExecuteVersion": 1,
                "Async": True,
                "CheckError": True,
                "CheckAsyncInvocation": check,
            },
        )
    fire = invoker.create(ctx(), {"FunctionName": name, "Event": "bg", "ExecuteVersion": 1, "Async": True})
    assert fire.attributes["ResultType"] == "NoResult" and fire.attributes["TaskId"]
    with pytest.raises(ProviderError, match="one region"):
        invoker.create(ctx(), {"FunctionName": name, "ExecuteVersion": 1, "ServiceRegionId": "us-west-1"})
