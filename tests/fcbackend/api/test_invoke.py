"""Invocation through the API with a fake scheduler: FC's response headers, Tail logs, function and
platform errors, async, and the invocation records / logs the recorder keeps."""

from __future__ import annotations

import base64
import time

import fc2
import pytest

from rosengine.clients.fc import FcApiError, FcClient
from tests.support.fc_api import zip_b64

FcError = fc2.fc_exceptions.FcError


@pytest.fixture(scope="module")
def client(backend):
    with FcClient(backend.endpoint, backend.config.access_key_id, backend.config.access_key_secret) as c:
        c.create_service("inv_svc")
        c.create_function(
            "inv_svc",
            "echo",
            code={"zipFile": zip_b64()},
            runtime="python3.10",
            handler="index.handler",
            environmentVariables={"GREETING": "hi"},
        )
        yield c


def test_sync_invoke_headers_and_tail_log(sdk, client, backend):
    response = sdk.invoke_function("inv_svc", "echo", payload=b"ping", headers={"x-fc-log-type": "Tail"})
    assert response.data == b"ping"
    headers = response.headers
    assert headers["x-fc-request-id"]
    assert headers["x-fc-invocation-service-version"] == "LATEST"
    assert headers["x-fc-instance-id"] == "i-1"
    assert headers["x-fc-max-memory-usage"] == "9.25"
    assert headers["x-fc-code-checksum"] == client.get_function("inv_svc", "echo")["codeChecksum"]
    log = base64.b64decode(headers["x-fc-log-result"]).decode()
    assert f"FC Invoke Start RequestId: {headers['x-fc-request-id']}" in log
    spec, req = backend.scheduler.invoked[-1]
    assert spec.environment == (("GREETING", "hi"),) and spec.code_dir is not None
    assert (spec.code_dir / "index.py").is_file() and req.log_tail


def test_function_error_keeps_200_with_error_type(sdk, client):
    with pytest.raises(FcError) as info:
        sdk.invoke_function("inv_svc", "echo", payload=b"fail")
    assert info.value.status_code == 200
    result = client.invoke_function("inv_svc", "echo", b"fail")
    assert result.status == 200 and result.error_type == "UnhandledInvocationError"


def test_platform_error_maps_to_fc_error(client):
    with pytest.raises(FcApiError) as info:
        client.invoke_function("inv_svc", "echo", b"busy")
    assert info.value.status == 429 and info.value.error_code == "ResourceExhausted"
    with pytest.raises(FcApiError) as info:
        client.invoke_function("inv_svc", "missing", b"x")
    assert info.value.status == 404 and info.value.error_code == "FunctionNotFound"


def test_async_without_queue_returns_202_and_runs(client, backend):
    before = len(backend.scheduler.invoked)
    result = client.invoke_function("inv_svc", "echo", b"later", invocation_type="Async")
    assert result.status == 202 and result.request_id and result.body == b""
    deadline = time.monotonic() + 5
    while len(backend.scheduler.invoked) == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert backend.scheduler.invoked[-1][1].invocation_type == "Async"


def test_async_hook_receives_spec_and_request(client, backend):
    seen = []

    async def submit(spec, inv, request):
        seen.append((spec.function, inv.payload))
        return {"x-fc-stateful-async-invocation-id": "task-1"}

    backend.app.state.async_submit = submit
    try:
        result = client.invoke_function("inv_svc", "echo", b"queued", invocation_type="Async")
    finally:
        del backend.app.state.async_submit
    assert result.status == 202 and result.headers["x-fc-stateful-async-invocation-id"] == "task-1"
    assert seen == [("echo", b"queued")]


def test_payload_too_large_for_async(client):
    with pytest.raises(FcApiError) as info:
        client.invoke_function("inv_svc", "echo", b"x" * (128 * 1024 + 1), invocation_type="Async")
    assert info.value.status == 400 and info.value.error_code == "EntityTooLarge"


def test_invocations_are_recorded_and_logs_kept(client):
    result = client.invoke_function("inv_svc", "echo", b"recorded")
    records = client.list_invocations("inv_svc", "echo", limit=50)
    mine = [r for r in records if r["requestId"] == result.request_id]
    assert mine and mine[0]["instanceId"] == "i-1" and mine[0]["versionId"] == "LATEST"
    assert mine[0]["durationMs"] == 1.5 and mine[0]["status"] == 200
    failed = [r for r in records if r["error"] == "UnhandledInvocationError"]
    assert failed
    data, offset = client.read_logs("inv_svc", "echo")
    assert f"FC Invoke End RequestId: {result.request_id}".encode() in data and offset == len(data)
    more, again = client.read_logs("inv_svc", "echo", offset)
    assert more == b"" and again == offset


def test_update_evicts_and_invocation_sees_new_config(client, backend):
    client.update_function("inv_svc", "echo", environmentVariables={"GREETING": "bye"})
    assert ("inv_svc", "echo") in backend.scheduler.evicted
    client.invoke_function("inv_svc", "echo", b"x")
    spec, _ = backend.scheduler.invoked[-1]
    assert spec.environment == (("GREETING", "bye"),)


def test_instances_listing(sdk, client):
    client.invoke_function("inv_svc", "echo", b"x")
    data = sdk.list_instances("inv_svc", "LATEST", "echo").data
    assert data["instances"] == [{"instanceId": "i-1", "versionId": "LATEST"}]
    assert client.local_instances()[0]["id"] == "i-1"


# -- the warm path (FcApp answers invokes ahead of the middleware stack) -------------------------

INVOKE_PATH = "/2016-08-15/services/inv_svc/functions/echo/invocations"


def _signed_invoke_headers(backend, date: str | None = None) -> dict[str, str]:
    import email.utils

    from backend_contract import fc_signing

    headers = {
        "date": date or email.utils.formatdate(usegmt=True),
        "content-type": "application/octet-stream",
    }
    headers["authorization"] = fc_signing.authorization(
        backend.config.access_key_id, backend.config.access_key_secret, "POST", INVOKE_PATH, headers
    )
    return headers


def test_warm_path_checks_signatures_on_invoke(client, backend):
    import httpx

    unsigned = httpx.post(backend.endpoint + INVOKE_PATH, content=b"x")
    assert unsigned.status_code == 403 and unsigned.json()["ErrorCode"] == "AccessDenied"
    assert unsigned.json()["RequestId"] == unsigned.headers["x-fc-request-id"]
    headers = _signed_invoke_headers(backend)
    headers["authorization"] = headers["authorization"][:-4] + "AAA="
    forged = httpx.post(backend.endpoint + INVOKE_PATH, content=b"x", headers=headers)
    assert forged.status_code == 403 and forged.json()["ErrorCode"] == "SignatureNotMatch"
    bad_date = _signed_invoke_headers(backend, date="yesterday")
    answer = httpx.post(backend.endpoint + INVOKE_PATH, content=b"x", headers=bad_date)
    assert answer.status_code == 400 and "RFC 1123" in answer.json()["ErrorMessage"]


def test_warm_path_answers_with_request_id_and_payload(client, backend):
    import uuid

    import httpx

    answer = httpx.post(
        backend.endpoint + INVOKE_PATH, content=b"ping", headers=_signed_invoke_headers(backend)
    )
    assert answer.status_code == 200 and answer.content == b"ping"
    assert uuid.UUID(answer.headers["x-fc-request-id"]).version == 4
    assert answer.headers["content-length"] == "4"


def test_warm_path_refuses_a_sync_payload_over_the_limit(client, backend):
    import httpx

    from fcbackend.backend_config import MAX_SYNC_PAYLOAD

    answer = httpx.post(
        backend.endpoint + INVOKE_PATH,
        content=b"x" * (MAX_SYNC_PAYLOAD + 1),
        headers=_signed_invoke_headers(backend),
    )
    assert answer.status_code == 400 and answer.json()["ErrorCode"] == "EntityTooLarge"


def test_custom_domain_hosts_skip_the_warm_path():
    from fcbackend.api.http import custom_domain_host

    def scope(host: bytes) -> dict:
        return {"headers": [(b"host", host)]}

    assert not custom_domain_host(scope(b"127.0.0.1:9000"))
    assert not custom_domain_host(scope(b"localhost"))
    assert not custom_domain_host(scope(b"[::1]:9000"))
    assert custom_domain_host(scope(b"api.example.com"))
