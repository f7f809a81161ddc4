"""FC 3.0 functions through the official SDK: create, get, update, delete, list, code, the
invocation switch, and every kind of bad input (answered with FC 3.0's JSON error, nothing left
half-created)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fcbackend.store.crc64 import checksum_text
from tests.support.fc3_backend import Fc3Backend, create_input, fc, fc3_backend, make_zip, sdk_error, zip_b64


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fc3Backend]:
    with fc3_backend(tmp_path_factory.mktemp("fc3-functions")) as b:
        yield b


def _names(backend: Fc3Backend, **query: Any) -> list[str]:
    body = backend.sdk.list_functions(fc.ListFunctionsRequest(**query)).body
    return [f.function_name for f in body.functions]


def test_create_get_update_delete(backend: Fc3Backend) -> None:
    created = backend.sdk.create_function(
        create_input(
            "crud",
            memory_size=1024,
            timeout=60,
            description="first",
            environment_variables={"A": "1"},
            instance_concurrency=4,
            internet_access=False,
            log_config=fc.LogConfig(project="p", logstore="s", log_begin_rule="DefaultRegex"),
            tags=[fc.Tag(key="team", value="core")],
        )
    ).body
    assert created.function_arn.endswith(":functions/crud") and created.function_id
    assert (created.state, created.last_update_status) == ("Active", "Successful")
    assert created.memory_size == 1024 and created.cpu == 0.65 and created.disk_size == 512
    assert created.code_size > 0 and created.code_checksum.isdigit()
    assert [(t.key, t.value) for t in created.tags] == [("team", "core")]

    got = backend.sdk.get_function("crud", fc.GetFunctionRequest()).body
    assert got.description == "first" and got.environment_variables == {"A": "1"}
    assert got.log_config.project == "p" and got.internet_access is False

    updated = backend.sdk.update_function(
        "crud", fc.UpdateFunctionRequest(body=fc.UpdateFunctionInput(description="second", memory_size=2048))
    ).body
    assert updated.description == "second" and updated.memory_size == 2048
    assert updated.cpu == 1.35  # derived again from the new memory: none was given
    assert updated.environment_variables == {"A": "1"} and updated.timeout == 60  # partial update

    code = make_zip({"index.py": "def handler(e, c):\n    return b'v2'\n"})
    replaced = backend.sdk.update_function(
        "crud",
        fc.UpdateFunctionRequest(
            body=fc.UpdateFunctionInput(code=fc.InputCodeLocation(zip_file=base64.b64encode(code).decode()))
        ),
    ).body
    assert replaced.code_checksum == checksum_text(code) and replaced.code_checksum != created.code_checksum

    backend.sdk.delete_function("crud")
    err = sdk_error(lambda: backend.sdk.get_function("crud", fc.GetFunctionRequest()))
    assert (err.status_code, err.code) == (404, "FunctionNotFound")


def test_code_download_url_serves_the_package(backend: Fc3Backend) -> None:
    code = make_zip({"index.py": "def handler(e, c):\n    return e\n", "data.txt": "x"})
    backend.sdk.create_function(
        create_input(
            "code-dl",
            code=fc.InputCodeLocation(zip_file=base64.b64encode(code).decode(), checksum=checksum_text(code)),
        )
    )
    out = backend.sdk.get_function_code("code-dl", fc.GetFunctionCodeRequest()).body
    assert out.checksum == checksum_text(code)
    assert httpx.get(out.url).content == code


def test_code_from_the_local_object_store(backend: Fc3Backend) -> None:
    code = make_zip({"index.py": "def handler(e, c):\n    return e\n"})
    path = backend.config.oss_dir / "code-bucket" / "pkg" / "f.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(code)
    created = backend.sdk.create_function(
        create_input(
            "from-oss", code=fc.InputCodeLocation(oss_bucket_name="code-bucket", oss_object_name="pkg/f.zip")
        )
    ).body
    assert created.code_checksum == checksum_text(code)


def test_list_prefix_pagination_and_fc_versions(backend: Fc3Backend) -> None:
    for name in ("page-a", "page-b", "page-c"):
        backend.sdk.create_function(create_input(name))
    backend.fc2.create_service("legacy")
    backend.fc2.create_function(
        "legacy", "old", {"zipFile": zip_b64()}, runtime="python3", handler="index.handler"
    )

    first = backend.sdk.list_functions(fc.ListFunctionsRequest(prefix="page-", limit=2)).body
    assert [f.function_name for f in first.functions] == ["page-a", "page-b"] and first.next_token == "page-c"
    rest = backend.sdk.list_functions(
        fc.ListFunctionsRequest(prefix="page-", limit=2, next_token=first.next_token)
    )
    assert [f.function_name for f in rest.body.functions] == ["page-c"] and not rest.body.next_token
    assert first.functions[0].state is None  # state fields only come from GetFunction

    everything = _names(backend, limit=100)
    assert "legacy$old" in everything and "page-a" in everything
    assert "legacy$old" not in _names(backend, limit=100, fc_version="v3")
    assert _names(backend, limit=100, fc_version="v2") == ["legacy$old"]
    fc2_as_fc3 = backend.sdk.get_function("legacy$old", fc.GetFunctionRequest()).body
    assert fc2_as_fc3.runtime == "python3" and fc2_as_fc3.function_arn.endswith("functions/legacy$old")
    # FC 2.0 listings do not show FC 3.0 functions' storage
    assert [s["serviceName"] for s in backend.fc2.list_services()] == ["legacy"]


def test_list_filters_by_runtime_and_tags(backend: Fc3Backend) -> None:
    backend.sdk.create_function(
        create_input("node-fn", runtime="nodejs20", tags=[fc.Tag(key="env", value="dev")])
    )
    assert "node-fn" in _names(backend, runtime="nodejs20", limit=100)
    assert _names(backend, tags=[fc.Tag(key="env", value="dev")], limit=100) == ["node-fn"]
    assert _names(backend, tags=[fc.Tag(key="env", value="prod")], limit=100) == []


def test_create_existing_is_conflict(backend: Fc3Backend) -> None:
    backend.sdk.create_function(create_input("twice"))
    err = sdk_error(lambda: backend.sdk.create_function(create_input("twice")))
    assert (err.status_code, err.code) == (409, "FunctionAlreadyExists")


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"runtime": "python2.5"}, "runtime must be one of"),
        ({"memory_size": 100}, "memorySize"),
        ({"memory_size": 200}, "multiple of 64"),
        ({"cpu": 0.33}, "multiple of 0.05"),
        ({"cpu": 4.0, "memory_size": 512}, "do not fit"),
        ({"disk_size": 1024}, "diskSize"),
        ({"timeout": 86401}, "timeout"),
        ({"instance_concurrency": 0}, "instanceConcurrency"),
        ({"environment_variables": {"1A": "x"}}, "environmentVariables key"),
        ({"layers": ["acs:fc:cn-hangzhou:1:layers/nope/versions/1"]}, "does not exist"),
        ({"session_affinity": "STICKY"}, "sessionAffinity"),
        ({"session_affinity": "HEADER_FIELD"}, "affinityHeaderFieldName"),
        ({"code": fc.InputCodeLocation(zip_file="not base64!")}, "base64"),
        ({"code": fc.InputCodeLocation(zip_file=zip_b64(), checksum="123")}, "checksum"),
        ({"code": fc.InputCodeLocation(oss_bucket_name="nobucket", oss_object_name="x.zip")}, "not found"),
        ({"code": None}, "code is required"),
        ({"runtime": "custom-container", "code": None}, "customContainerConfig.image"),
        ({"gpu_config": fc.GPUConfig(gpu_type="tesla", gpu_memory_size=1024)}, "gpuConfig.gpuType"),
        ({"custom_runtime_config": fc.CustomRuntimeConfig(port=70000)}, "port"),
        (
            {
                "nas_config": fc.NASConfig(
                    mount_points=[fc.NASMountConfig(server_addr="s:/x", mount_dir="/etc/x")]
                )
            },
            "mountDir",
        ),
        (
            {
                "instance_lifecycle_config": fc.InstanceLifecycleConfig(
                    initializer=fc.LifecycleHook(handler="i.init", timeout=301)
                )
            },
            "timeout",
        ),
    ],
)
def test_bad_function_config_is_refused_and_nothing_created(
    backend: Fc3Backend, fields: dict[str, Any], fragment: str
) -> None:
    request = create_input("bad-config", **{k: v for k, v in fields.items() if v is not None})
    if "code" in fields and fields["code"] is None:
        request.body.code = None
    err = sdk_error(lambda: backend.sdk.create_function(request))
    assert (err.status_code, err.code) == (400, "InvalidArgument")
    assert fragment in err.data["Message"] and err.data["RequestId"]
    assert "bad-config" not in _names(backend, limit=100)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"functionName": "x", "runtime": "python3.10"}', "handler is required"),
        (b'{"functionName": "9x", "runtime": "python3.10", "handler": "i.h"}', "functionName"),
        (
            b'{"functionName": "x", "runtime": "python3.10", "handler": "i.h", "memorysize": 128}',
            "not a known field",
        ),
        (b'{"functionName": "x", "runtime": "python3.10", "handler": "i.h", "timeout": "10"}', "integer"),
        (b'{"functionName": "x", "runtime": "python3.10", "handler": "i.h", "vpcConfig": []}', "object"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nested"),
    ],
)
def test_malformed_bodies_get_json_errors(backend: Fc3Backend, body: bytes, fragment: str) -> None:
    answer = backend.client.request  # signed raw requests
    from rosengine.clients.fc import FcApiError

    with pytest.raises(FcApiError) as caught:
        answer("POST", "/functions", raw=body)
    assert caught.value.status == 400 and fragment in caught.value.message


def test_oversized_code_is_refused(backend: Fc3Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    from fcbackend.fc3 import http as fc3_http
    from rosengine.clients.fc import FcApiError

    monkeypatch.setattr(fc3_http, "MAX_MANAGEMENT_BODY", 4096)  # the real bound is ~133 MB
    big = base64.b64encode(b"x" * 8192).decode()
    with pytest.raises(FcApiError) as caught:
        backend.client.create_function("too-big", runtime="python3.10", handler="i.h", code={"zipFile": big})
    assert caught.value.status == 400 and caught.value.error_code == "EntityTooLarge"
    assert "too-big" not in _names(backend, limit=100)


def test_update_refusals(backend: Fc3Backend) -> None:
    backend.sdk.create_function(create_input("upd"))
    err = sdk_error(
        lambda: backend.sdk.update_function(
            "upd", fc.UpdateFunctionRequest(body=fc.UpdateFunctionInput(runtime="custom-container"))
        )
    )
    assert err.code == "InvalidArgument" and "custom-container" in err.data["Message"]
    err = sdk_error(
        lambda: backend.sdk.update_function(
            "upd", fc.UpdateFunctionRequest(body=fc.UpdateFunctionInput(cpu=8.0))
        )
    )
    assert err.code == "InvalidArgument" and "do not fit" in err.data["Message"]
    assert backend.sdk.get_function("upd", fc.GetFunctionRequest()).body.cpu == 0.35  # unchanged
    err = sdk_error(
        lambda: backend.sdk.update_function(
            "nope", fc.UpdateFunctionRequest(body=fc.UpdateFunctionInput(timeout=9))
        )
    )
    assert (err.status_code, err.code) == (404, "FunctionNotFound")


def test_delete_with_triggers_is_refused(backend: Fc3Backend) -> None:
    backend.sdk.create_function(create_input("has-trigger"))
    backend.client.create_trigger(
        "has-trigger",
        triggerName="t",
        triggerType="timer",
        triggerConfig=json.dumps({"cronExpression": "@every 1h"}),
    )
    err = sdk_error(lambda: backend.sdk.delete_function("has-trigger"))
    assert (err.status_code, err.code) == (412, "FunctionNotEmpty")
    backend.client.delete_trigger("has-trigger", "t")
    backend.sdk.delete_function("has-trigger")


def test_disable_and_enable_invocation(backend: Fc3Backend) -> None:
    backend.sdk.create_function(create_input("switch"))
    out = backend.sdk.disable_function_invocation(
        "switch", fc.DisableFunctionInvocationRequest(reason="maintenance", abort_ongoing_request=True)
    ).body
    assert out.success is True
    restriction = backend.sdk.get_function("switch", fc.GetFunctionRequest()).body.invocation_restriction
    assert restriction.disable is True and restriction.reason == "maintenance"
    from rosengine.clients.fc import FcApiError

    with pytest.raises(FcApiError) as caught:
        backend.client.invoke_function("switch", b"x")
    assert (caught.value.status, caught.value.error_code) == (403, "FunctionInvocationDisabled")
    assert "maintenance" in caught.value.message
    assert backend.sdk.enable_function_invocation("switch").body.success is True
    assert backend.client.invoke_function("switch", b"x").body == b"x"
