"""Functions through the official SDK: code from zips and the local OSS directory, checksums,
updates, code download, delete ordering."""

from __future__ import annotations

import base64

import fc2
import httpx
import pytest

from fcbackend.store.crc64 import crc64_ecma
from rosengine.clients.fc import FcApiError
from tests.support.fc_api import make_zip, zip_b64

FcError = fc2.fc_exceptions.FcError


@pytest.fixture(scope="module")
def service(sdk):
    sdk.create_service("fn_svc")
    return "fn_svc"


def test_create_from_code_dir_and_read_back(sdk, service, tmp_path):
    (tmp_path / "main.py").write_text("def handler(event, context):\n    return 'hello world'\n")
    created = sdk.create_function(
        service, "hello", "python3.10", "main.handler", codeDir=str(tmp_path), environmentVariables={"A": "1"}
    )
    data = created.data
    assert created.headers["etag"]
    assert data["runtime"] == "python3.10" and data["handler"] == "main.handler"
    assert data["initializationTimeout"] == 30 and data["memorySize"] == 256 and data["timeout"] == 60
    assert data["codeSize"] > 0 and data["codeChecksum"].isdigit()
    assert "code" not in data
    got = sdk.get_function(service, "hello").data
    assert got["environmentVariables"] == {"A": "1"}
    code = sdk.get_function_code(service, "hello").data
    assert code["checksum"] == data["codeChecksum"]
    downloaded = httpx.get(code["url"]).content
    assert str(crc64_ecma(downloaded)) == data["codeChecksum"]


def test_checksum_is_crc64_of_the_zip(sdk, service, tmp_path):
    zip_path = tmp_path / "code.zip"
    zip_path.write_bytes(make_zip({"index.py": "x = 1\n"}))
    data = sdk.create_function(
        service, "checksum", "python3.10", "index.handler", codeZipFile=str(zip_path)
    ).data
    assert data["codeChecksum"] == str(crc64_ecma(zip_path.read_bytes()))


def test_update_clears_environment_and_replaces_code(sdk, service, backend, client):
    first = client.create_function(
        service,
        "upd",
        code={"zipFile": zip_b64()},
        runtime="python3.10",
        handler="index.handler",
        environmentVariables={"K": "v"},
    )
    updated = sdk.update_function(service, "upd", environmentVariables={}).data
    assert updated["environmentVariables"] == {}
    assert updated["codeChecksum"] == first["codeChecksum"]
    assert (service, "upd") in backend.scheduler.evicted
    changed = client.update_function(service, "upd", code={"zipFile": zip_b64({"index.py": "y = 2\n"})})
    assert changed["codeChecksum"] != first["codeChecksum"]


def test_code_from_local_oss_directory(sdk, service, backend):
    obj = backend.config.oss_dir / "code-bucket" / "pkg" / "fn.zip"
    obj.parent.mkdir(parents=True, exist_ok=True)
    obj.write_bytes(make_zip({"index.py": "print(1)\n"}))
    data = sdk.create_function(
        service,
        "from_oss",
        "python3.10",
        "index.handler",
        codeOSSBucket="code-bucket",
        codeOSSObject="pkg/fn.zip",
    ).data
    assert data["codeChecksum"] == str(crc64_ecma(obj.read_bytes()))
    with pytest.raises(FcError) as info:
        sdk.create_function(
            service,
            "missing_oss",
            "python3.10",
            "index.handler",
            codeOSSBucket="code-bucket",
            codeOSSObject="nope.zip",
        )
    assert info.value.status_code == 400 and "oss://code-bucket/nope.zip" in info.value.message


def test_zip_slip_and_bad_zip_are_rejected(backend, service, client):
    evil = base64.b64encode(make_zip({"../../etc/evil": "x"})).decode()
    with pytest.raises(FcApiError) as info:
        client.create_function(service, "evil", code={"zipFile": evil}, runtime="python3.10", handler="i.h")
    assert info.value.status == 400 and "outside the package" in info.value.message
    with pytest.raises(FcApiError) as info:
        client.create_function(
            service,
            "notzip",
            code={"zipFile": base64.b64encode(b"hello").decode()},
            runtime="python3.10",
            handler="i.h",
        )
    assert "not a valid zip" in info.value.message
    with pytest.raises(FcApiError) as info:
        client.create_function(
            service,
            "badmem",
            code={"zipFile": zip_b64()},
            runtime="python3.10",
            handler="i.h",
            memorySize=100,
        )
    assert "memorySize" in info.value.message


def test_function_not_found_error_code(sdk, service):
    with pytest.raises(FcError) as info:
        sdk.get_function(service, "does_not_exist")
    assert info.value.status_code == 404
    assert info.value.err_code == "FunctionNotFound"
    assert "ErrorCode" in info.value.message and "ErrorMessage" in info.value.message


def test_create_function_twice_and_list(sdk, service, tmp_path):
    (tmp_path / "index.py").write_text("x = 1\n")
    sdk.create_function(service, "list_a", "python3.10", "index.handler", codeDir=str(tmp_path))
    with pytest.raises(FcError) as info:
        sdk.create_function(service, "list_a", "python3.10", "index.handler", codeDir=str(tmp_path))
    assert info.value.status_code == 409 and info.value.err_code == "FunctionAlreadyExists"
    sdk.create_function(service, "list_b", "python3.10", "index.handler", codeDir=str(tmp_path))
    first = sdk.list_functions(service, prefix="list_", limit=1).data
    assert [f["functionName"] for f in first["functions"]] == ["list_a"]
    second = sdk.list_functions(service, prefix="list_", nextToken=first["nextToken"]).data
    assert [f["functionName"] for f in second["functions"]] == ["list_b"] and "nextToken" not in second


def test_delete_ordering(sdk, tmp_path):
    (tmp_path / "index.py").write_text("x = 1\n")
    sdk.create_service("order_svc")
    sdk.create_function("order_svc", "f", "python3.10", "index.handler", codeDir=str(tmp_path))
    sdk.create_trigger(
        "order_svc", "f", "t", "timer", {"cronExpression": "@every 5m", "enable": False}, None, None
    )
    with pytest.raises(FcError) as info:
        sdk.delete_service("order_svc")
    assert info.value.err_code == "ServiceNotEmpty"
    with pytest.raises(FcError) as info:
        sdk.delete_function("order_svc", "f")
    assert info.value.err_code == "FunctionNotEmpty"
    sdk.delete_trigger("order_svc", "f", "t")
    sdk.delete_function("order_svc", "f")
    sdk.delete_service("order_svc")
