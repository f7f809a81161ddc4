"""ALIYUN::FC::Function against a real backend: every code source, update, delete, attributes."""

from __future__ import annotations

import base64
import io
import json
import threading
import zipfile

import pytest

from resource_types.base import ProviderError
from resource_types.fc.function import FunctionProvider
from resource_types.fc.service import ServiceProvider
from resource_types.fc.trigger import TriggerProvider
from tests.support.fc_providers import zip_b64
from tests.support.paths import REPO

SCHEMA = json.loads((REPO / "resource_types/fc/function.json").read_text())
ECHO = "def handler(event, context):\n    return b'echo:' + event\n"


@pytest.fixture
def service(make_ctx, unique) -> str:
    name = unique("fnsvc")
    ServiceProvider().create(make_ctx(), {"ServiceName": name})
    return name


def _props(service: str, code: dict, **extra) -> dict:
    return {
        "ServiceName": service,
        "FunctionName": "fn",
        "Handler": "index.handler",
        "Runtime": "python3",
        "Code": code,
        **extra,
    }


def _call(fc, service: str, payload: bytes = b"x") -> bytes:
    result = fc.invoke_function(service, "fn", payload)
    assert result.error_type is None, result.body
    return result.body


def test_zipfile_code_runs_and_attributes_match_schema(fc, make_ctx, service):
    ctx = make_ctx("ALIYUN::FC::Function")
    result = FunctionProvider().create(ctx, _props(service, {"ZipFile": zip_b64({"index.py": ECHO})}))
    assert result.physical_id == f"{service}|fn"
    assert set(result.attributes) == set(SCHEMA["attributes"])
    assert result.attributes["FunctionId"] == fc.get_function(service, "fn")["functionId"]
    assert result.attributes["ServiceId"] == fc.get_service(service)["serviceId"]
    assert result.attributes["ARN"] == f"acs:fc:cn-hangzhou:123456789:services/{service}/functions/fn"
    assert _call(fc, service, b"hi") == b"echo:hi"


def test_source_code_becomes_index_py(fc, make_ctx, service):
    FunctionProvider().create(make_ctx("ALIYUN::FC::Function"), _props(service, {"SourceCode": ECHO}))
    assert _call(fc, service, b"src") == b"echo:src"


def test_source_code_for_nodejs_becomes_index_js(fc, make_ctx, service):
    source = "exports.handler = (event, context, callback) => callback(null, 'js:' + event.toString());\n"
    props = _props(service, {"SourceCode": source}, Runtime="nodejs16")
    FunctionProvider().create(make_ctx("ALIYUN::FC::Function"), props)
    code = fc.download_function_code(service, "fn")
    assert zipfile.ZipFile(io.BytesIO(code)).namelist() == ["index.js"]


def test_oss_code_is_read_from_the_local_object_store(fc, live_backend, make_ctx, service):
    obj = live_backend.config.oss_dir / "code-bucket" / f"{service}/code.zip"
    obj.parent.mkdir(parents=True, exist_ok=True)
    obj.write_bytes(base64.b64decode(zip_b64({"index.py": ECHO})))
    code = {"OssBucketName": "code-bucket", "OssObjectName": f"{service}/code.zip"}
    FunctionProvider().create(make_ctx("ALIYUN::FC::Function"), _props(service, code))
    assert _call(fc, service, b"oss") == b"echo:oss"


def test_missing_oss_object_is_a_clear_error(make_ctx, service):
    code = {"OssBucketName": "code-bucket", "OssObjectName": "no/such.zip"}
    with pytest.raises(ProviderError) as info:
        FunctionProvider().create(make_ctx("ALIYUN::FC::Function"), _props(service, code))
    assert "oss://code-bucket/no/such.zip" in info.value.message
    assert "creating function" in info.value.message


def test_local_path_directory_relative_to_the_template(fc, make_ctx, service, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.py").write_text(ECHO)
    ctx = make_ctx("ALIYUN::FC::Function", template_dir=str(tmp_path))
    FunctionProvider().create(ctx, _props(service, {"LocalPath": "src"}))
    assert _call(fc, service, b"dir") == b"echo:dir"


def test_local_path_zip_file_and_redeploy_on_update(fc, make_ctx, service, tmp_path):
    archive = tmp_path / "code.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("index.py", ECHO)
    ctx, provider = make_ctx("ALIYUN::FC::Function", template_dir=str(tmp_path)), FunctionProvider()
    props = _props(service, {"LocalPath": str(archive)})
    created = provider.create(ctx, props)
    assert _call(fc, service, b"z") == b"echo:z"
    with zipfile.ZipFile(archive, "w") as zf:  # the files changed, the property did not
        zf.writestr("index.py", "def handler(event, context):\n    return b'v2'\n")
    provider.update(ctx, created.physical_id, props, props, created.attributes)
    assert _call(fc, service) == b"v2"


def test_missing_local_path_is_a_clear_error(make_ctx, service, tmp_path):
    with pytest.raises(ProviderError) as info:
        FunctionProvider().create(
            make_ctx("ALIYUN::FC::Function", template_dir=str(tmp_path)),
            _props(service, {"LocalPath": "nowhere"}),
        )
    assert "LocalPath" in info.value.message and str(tmp_path / "nowhere") in info.value.message


def test_update_changes_code_config_and_clears_environment(fc, make_ctx, service):
    ctx, provider = make_ctx("ALIYUN::FC::Function"), FunctionProvider()
    old = _props(service, {"SourceCode": ECHO}, EnvironmentVariables={"A": "1"}, MemorySize=128)
    created = provider.create(ctx, old)
    new = _props(service, {"SourceCode": "def handler(event, context):\n    return b'new'\n"}, MemorySize=256)
    updated = provider.update(ctx, created.physical_id, new, old, created.attributes)
    assert updated.attributes["FunctionId"] == created.attributes["FunctionId"]
    data = fc.get_function(service, "fn")
    assert data["memorySize"] == 256 and not data.get("environmentVariables")
    assert _call(fc, service) == b"new"


def test_delete_read_and_gone_counts_as_deleted(fc, make_ctx, service):
    ctx, provider = make_ctx("ALIYUN::FC::Function"), FunctionProvider()
    props = _props(service, {"SourceCode": ECHO})
    created = provider.create(ctx, props)
    assert provider.read(ctx, "", props)["PhysicalResourceId"] == created.physical_id
    provider.delete(ctx, created.physical_id, props)
    assert provider.read(ctx, created.physical_id, props) is None
    provider.delete(ctx, created.physical_id, props)
    ServiceProvider().delete(make_ctx(), service, {"ServiceName": service})


def test_delete_waits_for_triggers_deleted_in_parallel(fc, make_ctx, service):
    ctx, provider = make_ctx("ALIYUN::FC::Function"), FunctionProvider()
    props = _props(service, {"SourceCode": ECHO})
    created = provider.create(ctx, props)
    trigger = {
        "ServiceName": service,
        "FunctionName": "fn",
        "TriggerName": "t",
        "TriggerType": "timer",
        "TriggerConfig": {"CronExpression": "@every 60m", "Enable": False},
    }
    trig = TriggerProvider().create(make_ctx("ALIYUN::FC::Trigger"), trigger)
    blocked = threading.Event()
    original = fc.delete_function

    def delete_function(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        finally:
            blocked.set()

    fc.delete_function = delete_function  # type: ignore[method-assign]
    try:
        worker = threading.Thread(target=provider.delete, args=(ctx, created.physical_id, props))
        worker.start()
        assert blocked.wait(10)  # the first attempt failed with FunctionNotEmpty
        TriggerProvider().delete(make_ctx("ALIYUN::FC::Trigger"), trig.physical_id, trigger)
        worker.join(15)
    finally:
        del fc.delete_function
    assert not worker.is_alive()
    assert provider.read(ctx, created.physical_id, props) is None


def test_async_configuration_is_applied(fc, make_ctx, service):
    props = _props(
        service,
        {"SourceCode": ECHO},
        AsyncConfiguration={"MaxAsyncRetryAttempts": 1, "StatefulInvocation": True},
    )
    FunctionProvider().create(make_ctx("ALIYUN::FC::Function"), props)
    config = fc.get_async_invoke_config(service, "fn")
    assert config["maxAsyncRetryAttempts"] == 1 and config["statefulInvocation"] is True


def test_properties_removed_from_the_template_revert_to_fc_defaults(fc, make_ctx, service):
    ctx, provider = make_ctx("ALIYUN::FC::Function"), FunctionProvider()
    init = "def handler(event, context):\n    return b'ok'\n\ndef init(context):\n    pass\n"
    old = _props(
        service,
        {"SourceCode": init},
        Initializer="index.init",
        Timeout=30,
        MemorySize=256,
        Description="tuned",
    )
    created = provider.create(ctx, old)
    new = _props(service, {"SourceCode": init})
    provider.update(ctx, created.physical_id, new, old, created.attributes)
    data = fc.get_function(service, "fn")
    assert (data["initializer"], data["timeout"], data["memorySize"], data["description"]) == ("", 3, 128, "")
    assert _call(fc, service) == b"ok"
