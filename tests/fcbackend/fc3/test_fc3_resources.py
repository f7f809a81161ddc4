"""FC 3.0 layers, custom domains, async/concurrency/provision configs, VPC bindings, tags,
instances, regions, and the operations the backend refuses, through the official SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.support.fc3_backend import Fc3Backend, create_input, fc, fc3_backend, sdk_error, zip_b64
from tests.support.fc_api import wait_until


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fc3Backend]:
    with fc3_backend(tmp_path_factory.mktemp("fc3-resources")) as b:
        b.sdk.create_function(create_input("res"))
        yield b


def _layer(backend: Fc3Backend, name: str) -> fc.Layer:
    body = fc.CreateLayerVersionInput(
        code=fc.InputCodeLocation(zip_file=zip_b64({"python/lib.py": "X = 1\n"})),
        compatible_runtime=["python3.10"],
        description="d",
        license="MIT",
    )
    return backend.sdk.create_layer_version(name, fc.CreateLayerVersionRequest(body=body)).body


def test_layers(backend: Fc3Backend) -> None:
    first = _layer(backend, "shared")
    second = _layer(backend, "shared")
    assert (first.version, second.version) == (1, 2) and first.acl == "0"
    assert first.layer_version_arn.endswith(":layers/shared/versions/1") and first.code_size > 0
    assert httpx.get(first.code.location).status_code == 200

    by_arn = backend.sdk.get_layer_version_by_arn(second.layer_version_arn).body  # percent-encoded ARN
    assert by_arn.version == 2 and by_arn.license == "MIT"
    assert backend.sdk.get_layer_version("shared", "1").body.description == "d"
    versions = backend.sdk.list_layer_versions("shared", fc.ListLayerVersionsRequest(limit=1)).body
    assert [v.version for v in versions.layers] == [1] and versions.next_version == 2

    backend.sdk.put_layer_acl("shared", fc.PutLayerACLRequest(acl="1"))
    assert backend.sdk.get_layer_version("shared", "2").body.acl == "1"
    public = backend.sdk.list_layers(fc.ListLayersRequest(public=True)).body.layers
    assert [layer.layer_name for layer in public] == ["shared"]

    fn = backend.sdk.create_function(create_input("with-layer", layers=[first.layer_version_arn])).body
    assert fn.layers[0].arn == first.layer_version_arn and fn.layers[0].size == first.code_size
    backend.sdk.delete_layer_version("shared", "1")
    assert sdk_error(lambda: backend.sdk.get_layer_version("shared", "1")).code == "LayerVersionNotFound"
    assert sdk_error(lambda: backend.sdk.get_layer_version("nolayer", "1")).code == "LayerNotFound"
    # the function that uses the deleted version keeps it and can be updated with it
    backend.sdk.update_function(
        "with-layer", fc.UpdateFunctionRequest(body=fc.UpdateFunctionInput(layers=[first.layer_version_arn]))
    )
    err = sdk_error(
        lambda: backend.sdk.create_function(create_input("late", layers=[first.layer_version_arn]))
    )
    assert err.code == "InvalidArgument"
    assert sdk_error(lambda: backend.sdk.get_layer_version_by_arn("not-an-arn")).code == "InvalidArgument"
    assert (
        sdk_error(lambda: backend.sdk.put_layer_acl("shared", fc.PutLayerACLRequest(acl="2"))).status_code
        == 400
    )


def test_custom_domains(backend: Fc3Backend) -> None:
    route = fc.PathConfig(
        path="/api/*",
        function_name="res",
        qualifier="LATEST",
        methods=["GET"],
        rewrite_config=fc.RewriteConfig(wildcard_rules=[fc.WildcardRule(match="/api/*", replacement="/$1")]),
    )
    created = backend.sdk.create_custom_domain(
        fc.CreateCustomDomainRequest(
            body=fc.CreateCustomDomainInput(
                domain_name="api.example.com",
                protocol="HTTP",
                route_config=fc.RouteConfig(routes=[route]),
                auth_config=fc.AuthConfig(auth_type="anonymous"),
                cert_config=fc.CertConfig(cert_name="c", certificate="PEM", private_key="KEY"),
            )
        )
    ).body
    assert created.api_version == "2023-03-30" and created.route_config.routes[0].function_name == "res"
    assert created.cert_config.private_key is None  # never echoed
    got = backend.sdk.get_custom_domain("api.example.com").body
    assert got.route_config.routes[0].rewrite_config.wildcard_rules[0].replacement == "/$1"
    backend.sdk.update_custom_domain(
        "api.example.com",
        fc.UpdateCustomDomainRequest(body=fc.UpdateCustomDomainInput(protocol="HTTP,HTTPS")),
    )
    listed = backend.sdk.list_custom_domains(fc.ListCustomDomainsRequest(prefix="api.")).body.custom_domains
    assert [d.protocol for d in listed] == ["HTTP,HTTPS"]
    again = sdk_error(
        lambda: backend.sdk.create_custom_domain(
            fc.CreateCustomDomainRequest(body=fc.CreateCustomDomainInput(domain_name="api.example.com"))
        )
    )
    assert again.code == "DomainNameAlreadyExists"
    regex = fc.PathConfig(
        path="/*",
        function_name="res",
        rewrite_config=fc.RewriteConfig(regex_rules=[fc.RegexRule(match="^/a(.*)", replacement="/$1")]),
    )
    refused = sdk_error(
        lambda: backend.sdk.create_custom_domain(
            fc.CreateCustomDomainRequest(
                body=fc.CreateCustomDomainInput(
                    domain_name="rx.example.com", route_config=fc.RouteConfig(routes=[regex])
                )
            )
        )
    )
    assert refused.code == "InvalidArgument" and "regexRules" in refused.data["Message"]
    backend.sdk.delete_custom_domain("api.example.com")
    assert sdk_error(lambda: backend.sdk.get_custom_domain("api.example.com")).code == "DomainNameNotFound"


def test_async_invoke_config(backend: Fc3Backend) -> None:
    missing = sdk_error(lambda: backend.sdk.get_async_invoke_config("res", fc.GetAsyncInvokeConfigRequest()))
    assert (missing.status_code, missing.code) == (404, "AsyncConfigNotExists")
    put = backend.sdk.put_async_invoke_config(
        "res",
        fc.PutAsyncInvokeConfigRequest(
            body=fc.PutAsyncInvokeConfigInput(
                async_task=True,
                max_async_retry_attempts=1,
                max_async_event_age_in_seconds=600,
                destination_config=fc.DestinationConfig(
                    on_failure=fc.Destination(destination="acs:fc:cn-hangzhou:1:functions/res")
                ),
            )
        ),
    ).body
    assert put.async_task is True and put.max_async_retry_attempts == 1 and put.function_arn.endswith("/res")
    listed = backend.sdk.list_async_invoke_configs(fc.ListAsyncInvokeConfigsRequest(function_name="res")).body
    assert [c.max_async_event_age_in_seconds for c in listed.configs] == [600]
    bad = sdk_error(
        lambda: backend.sdk.put_async_invoke_config(
            "res",
            fc.PutAsyncInvokeConfigRequest(body=fc.PutAsyncInvokeConfigInput(max_async_retry_attempts=9)),
        )
    )
    assert bad.code == "InvalidArgument" and "maxAsyncRetryAttempts" in bad.data["Message"]
    # task mode is on: an async call without an id becomes a task named by its request id
    answer = backend.client.invoke_function("res", b"t", invocation_type="Async")
    task_id = answer.headers["x-fc-async-task-id"]
    wait_until(
        lambda: (
            backend.sdk.get_async_task("res", task_id, fc.GetAsyncTaskRequest()).body.status == "Succeeded"
        )
    )
    backend.sdk.delete_async_invoke_config("res", fc.DeleteAsyncInvokeConfigRequest())
    gone = sdk_error(
        lambda: backend.sdk.delete_async_invoke_config("res", fc.DeleteAsyncInvokeConfigRequest())
    )
    assert gone.status_code == 404


def test_concurrency_config(backend: Fc3Backend) -> None:
    backend.sdk.create_function(create_input("limited"))
    missing = sdk_error(lambda: backend.sdk.get_concurrency_config("limited"))
    assert (missing.status_code, missing.code) == (404, "ConcurrencyConfigNotFound")
    put = backend.sdk.put_concurrency_config(
        "limited", fc.PutConcurrencyConfigRequest(body=fc.PutConcurrencyInput(reserved_concurrency=0))
    ).body
    assert put.reserved_concurrency == 0 and put.function_arn.endswith("/limited")
    throttled = sdk_error(lambda: backend.sdk.invoke_function("limited", fc.InvokeFunctionRequest(body=b"x")))
    assert (throttled.status_code, throttled.code) == (429, "ResourceExhausted")
    backend.sdk.put_concurrency_config(
        "limited", fc.PutConcurrencyConfigRequest(body=fc.PutConcurrencyInput(reserved_concurrency=5))
    )
    assert backend.sdk.invoke_function("limited", fc.InvokeFunctionRequest(body=b"x")).body.read() == b"x"
    listed = backend.sdk.list_concurrency_configs(fc.ListConcurrencyConfigsRequest()).body.configs
    assert [c.reserved_concurrency for c in listed] == [5]
    backend.sdk.delete_concurrency_config("limited")
    assert sdk_error(lambda: backend.sdk.get_concurrency_config("limited")).status_code == 404


def test_provision_config(backend: Fc3Backend) -> None:
    put = backend.sdk.put_provision_config(
        "res",
        fc.PutProvisionConfigRequest(
            body=fc.PutProvisionConfigInput(
                target=2,
                default_target=2,
                scheduled_actions=[
                    fc.ScheduledAction(name="night", schedule_expression="cron(0 0 20 * * *)", target=0)
                ],
                target_tracking_policies=[
                    fc.TargetTrackingPolicy(
                        name="busy",
                        metric_type="ProvisionedConcurrencyUtilization",
                        metric_target=0.6,
                        min_capacity=1,
                        max_capacity=4,
                    )
                ],
            ),
            qualifier="LATEST",
        ),
    ).body
    assert (put.default_target, put.target) == (2, 2) and put.scheduled_actions[0].name == "night"
    wait_until(lambda: ("res", 2) in backend.scheduler.provisioned)
    got = backend.sdk.get_provision_config("res", fc.GetProvisionConfigRequest(qualifier="LATEST")).body
    assert got.current == 2 and got.target_tracking_policies[0].max_capacity == 4
    # the SDK's always-present empty lists are "nothing scheduled"
    sdk_style = backend.sdk.put_provision_config(
        "res", fc.PutProvisionConfigRequest(body=fc.PutProvisionConfigInput(target=1), qualifier="LATEST")
    ).body
    assert sdk_style.scheduled_actions == [] and sdk_style.default_target == 1
    listed = backend.sdk.list_provision_configs(fc.ListProvisionConfigsRequest(function_name="res")).body
    assert [c.default_target for c in listed.provision_configs] == [1]
    no_alias = sdk_error(
        lambda: backend.sdk.put_provision_config(
            "res", fc.PutProvisionConfigRequest(body=fc.PutProvisionConfigInput(target=1), qualifier="nope")
        )
    )
    assert (no_alias.status_code, no_alias.code) == (404, "AliasNotFound")
    backend.sdk.delete_provision_config("res", fc.DeleteProvisionConfigRequest(qualifier="LATEST"))
    gone = sdk_error(lambda: backend.sdk.get_provision_config("res", fc.GetProvisionConfigRequest()))
    assert (gone.status_code, gone.code) == (404, "ProvisionConfigNotFound")


def test_vpc_bindings(backend: Fc3Backend) -> None:
    backend.sdk.create_vpc_binding(
        "res", fc.CreateVpcBindingRequest(body=fc.CreateVpcBindingInput(vpc_id="vpc-1"))
    )
    backend.sdk.create_vpc_binding(
        "res", fc.CreateVpcBindingRequest(body=fc.CreateVpcBindingInput(vpc_id="vpc-2"))
    )
    assert backend.sdk.list_vpc_bindings("res").body.vpc_ids == ["vpc-1", "vpc-2"]
    dup = sdk_error(
        lambda: backend.sdk.create_vpc_binding(
            "res", fc.CreateVpcBindingRequest(body=fc.CreateVpcBindingInput(vpc_id="vpc-1"))
        )
    )
    assert dup.status_code == 409
    backend.sdk.delete_vpc_binding("res", "vpc-1")
    assert backend.sdk.list_vpc_bindings("res").body.vpc_ids == ["vpc-2"]
    assert sdk_error(lambda: backend.sdk.delete_vpc_binding("res", "vpc-9")).status_code == 404


def test_tags_v2(backend: Fc3Backend) -> None:
    arn = backend.sdk.get_function("res", fc.GetFunctionRequest()).body.function_arn
    backend.sdk.tag_resources(
        fc.TagResourcesRequest(
            body=fc.TagResourcesInput(
                resource_id=[arn],
                resource_type="function",
                tag=[fc.Tag(key="a", value="1"), fc.Tag(key="b", value="2")],
            )
        )
    )
    rows = backend.sdk.list_tag_resources(
        fc.ListTagResourcesRequest(resource_id=[arn], resource_type="function")
    )
    assert {(r.tag_key, r.tag_value) for r in rows.body.tag_resources} == {("a", "1"), ("b", "2")}
    assert {r.resource_type for r in rows.body.tag_resources} == {"ALIYUN::FC::FUNCTION"}
    filtered = backend.sdk.list_tag_resources(fc.ListTagResourcesRequest(tag=[fc.Tag(key="a", value="1")]))
    assert {r.resource_id for r in filtered.body.tag_resources} == {arn}
    backend.sdk.untag_resources(
        fc.UntagResourcesRequest(resource_id=[arn], resource_type="function", tag_key=["a"])
    )
    assert [t.key for t in backend.sdk.get_function("res", fc.GetFunctionRequest()).body.tags] == ["b"]
    bad = sdk_error(
        lambda: backend.sdk.tag_resources(
            fc.TagResourcesRequest(
                body=fc.TagResourcesInput(
                    resource_id=[arn], resource_type="function", tag=[fc.Tag(key="acs:x", value="1")]
                )
            )
        )
    )
    assert bad.code == "InvalidArgument"
    ghost = sdk_error(
        lambda: backend.sdk.tag_resources(
            fc.TagResourcesRequest(
                body=fc.TagResourcesInput(
                    resource_id=[arn.replace("/res", "/ghost")],
                    resource_type="function",
                    tag=[fc.Tag(key="k", value="v")],
                )
            )
        )
    )
    assert ghost.status_code == 404


def test_instances_regions_and_refusals(backend: Fc3Backend) -> None:
    backend.sdk.invoke_function("res", fc.InvokeFunctionRequest(body=b"x"))
    instances = backend.sdk.list_instances("res", fc.ListInstancesRequest()).body.instances
    assert [(i.instance_id, i.version_id) for i in instances] == [("i-1", "LATEST")]
    regions = backend.sdk.describe_regions(fc.DescribeRegionsRequest()).body
    assert regions.regions.region[0].region_id == backend.config.region
    refused = sdk_error(lambda: backend.sdk.list_sessions("res", fc.ListSessionsRequest()))
    assert (refused.status_code, refused.code) == (501, "NotSupported") and "ListSessions" in refused.data[
        "Message"
    ]
    refused = sdk_error(lambda: backend.sdk.get_scaling_config("res", fc.GetScalingConfigRequest()))
    assert refused.status_code == 501


def test_unknown_paths_and_methods_are_fc3_json(backend: Fc3Backend) -> None:
    from rosengine.clients.fc import FcApiError

    with pytest.raises(FcApiError) as caught:
        backend.client.request("GET", "/no-such-thing")
    assert (caught.value.status, caught.value.error_code) == (404, "PathNotSupported")
    with pytest.raises(FcApiError) as caught:
        backend.client.request("PATCH", "/functions/res")
    assert (caught.value.status, caught.value.error_code) == (405, "MethodNotAllowed")
    raw = httpx.get(f"{backend.endpoint}/2023-03-30/no-such-thing")
    assert raw.status_code == 403 and json.loads(raw.text)["Code"] == "AccessDenied"
