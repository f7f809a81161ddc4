"""Hostile requests to the FC API: every one is refused with a 4xx in FC's JSON error shape.

Reproducers of issue 17's API findings: a name with a trailing newline passed the name check
(``$`` matches before a final newline), ``Content-MD5`` was signed but never compared with the
body, a JSON body nested 100,000 levels deep answered 500, and ``NaN`` in a body was accepted.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from tests.support.fc_api import zip_b64
from tests.support.fc_raw_requests import P, assert_fc_error, call, create_function, create_service

# --------------------------------------------------------------------------- names: full-string match


@pytest.mark.parametrize("name", ["nl-name\n", "nl-name\r\n", "nl-name\nmore"])
def test_service_name_with_a_newline_is_refused(backend, name):
    response = call(backend, "POST", f"{P}/services", json.dumps({"serviceName": name}).encode())
    assert "serviceName" in assert_fc_error(response, 400, "InvalidArgument")["ErrorMessage"]
    listed = call(backend, "GET", f"{P}/services").json()["services"]
    assert all("\n" not in s["serviceName"] for s in listed)


def test_every_created_name_is_matched_whole(backend):
    create_service(backend, "names_svc")
    create_function(backend, "names_svc", "fn")
    function = {
        "functionName": "fn\n",
        "runtime": "python3.10",
        "handler": "i.h",
        "code": {"zipFile": zip_b64()},
    }
    trigger = {
        "triggerName": "t\n",
        "triggerType": "timer",
        "triggerConfig": '{"cronExpression": "@every 1m"}',
    }
    alias = {"aliasName": "a\n", "versionId": "1"}
    attempts = [
        (f"{P}/services/names_svc/functions", function, "functionName"),
        (f"{P}/services/names_svc/functions/fn/triggers", trigger, "triggerName"),
        (f"{P}/services/names_svc/aliases", alias, "aliasName"),
        (f"{P}/custom-domains", {"domainName": "example.com\n"}, "domainName"),
        (f"{P}/tag", {"resourceArn": "services/names_svc\n", "tags": {"k": "v"}}, "resourceArn"),
    ]
    for path, body, field in attempts:
        response = call(backend, "POST", path, json.dumps(body).encode())
        assert field in assert_fc_error(response, 400, "InvalidArgument")["ErrorMessage"], path
    env = {"environmentVariables": {"KEY\n": "v"}}
    response = call(backend, "PUT", f"{P}/services/names_svc/functions/fn", json.dumps(env).encode())
    assert "environmentVariables" in assert_fc_error(response, 400, "InvalidArgument")["ErrorMessage"]
    layer = {"code": {"zipFile": zip_b64()}}
    response = call(backend, "POST", f"{P}/layers/lay%0A/versions", json.dumps(layer).encode())
    assert "layer name" in assert_fc_error(response, 400, "InvalidArgument")["ErrorMessage"]


def test_layer_arn_with_a_trailing_newline_is_refused(backend):
    create_service(backend, "arn_svc")
    published = call(
        backend,
        "POST",
        f"{P}/layers/arnlayer/versions",
        json.dumps({"code": {"zipFile": zip_b64()}}).encode(),
    )
    arn = published.json()["arn"]
    body = {
        "functionName": "uses_layer",
        "runtime": "python3.10",
        "handler": "index.handler",
        "code": {"zipFile": zip_b64()},
        "layers": [arn + "\n"],
    }
    response = call(backend, "POST", f"{P}/services/arn_svc/functions", json.dumps(body).encode())
    assert_fc_error(response, 400, "InvalidArgument")


# --------------------------------------------------------------------------- Content-MD5


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_content_md5_that_does_not_match_the_body_is_refused(backend):
    body = json.dumps({"serviceName": "md5_bad"}).encode()
    response = call(backend, "POST", f"{P}/services", body, {"content-md5": md5_b64(b"something else")})
    assert "Content-MD5" in assert_fc_error(response, 400, "InvalidDigest")["ErrorMessage"]
    assert call(backend, "GET", f"{P}/services/md5_bad").status_code == 404


def test_content_md5_that_matches_is_accepted_in_base64_and_hex(backend):
    for name, digest in (("md5_b64", md5_b64), ("md5_hex", lambda d: hashlib.md5(d).hexdigest().upper())):
        body = json.dumps({"serviceName": name}).encode()
        response = call(backend, "POST", f"{P}/services", body, {"content-md5": digest(body)})
        assert response.status_code == 200, response.text


def test_malformed_content_md5_is_refused(backend):
    body = json.dumps({"serviceName": "md5_malformed"}).encode()
    response = call(backend, "POST", f"{P}/services", body, {"content-md5": "not-a-digest"})
    assert_fc_error(response, 400, "InvalidDigest")


def test_content_md5_is_checked_on_sync_and_async_invocations(backend):
    create_service(backend, "md5_invoke")
    create_function(backend, "md5_invoke", "echo")
    path = f"{P}/services/md5_invoke/functions/echo/invocations"
    before = len(backend.scheduler.invoked)
    for kind in ("Sync", "Async"):
        headers = {"content-md5": md5_b64(b"other"), "x-fc-invocation-type": kind}
        assert_fc_error(call(backend, "POST", path, b"payload", headers), 400, "InvalidDigest")
    assert len(backend.scheduler.invoked) == before  # nothing ran
    good = call(backend, "POST", path, b"payload", {"content-md5": md5_b64(b"payload")})
    assert good.status_code == 200 and good.content == b"payload"


# --------------------------------------------------------------------------- JSON bodies


def test_deeply_nested_body_is_a_400_not_a_500(backend):
    for body in (
        b"[" * 100_000 + b"]" * 100_000,
        b'{"serviceName": "deep", "x": ' + b"[" * 65 + b"]" * 65 + b"}",
    ):
        response = call(backend, "POST", f"{P}/services", body)
        assert "levels deep" in assert_fc_error(response, 400, "InvalidArgument")["ErrorMessage"]


def test_unterminated_deep_body_is_a_400(backend):
    response = call(backend, "POST", f"{P}/services", b'{"a":' * 200_000)
    assert_fc_error(response, 400, "InvalidArgument")


def test_many_containers_are_refused_before_parsing(backend):
    response = call(backend, "POST", f"{P}/services", b"[" + b"[]," * 200_000 + b"[]]")
    assert "arrays and objects" in assert_fc_error(response, 400, "InvalidArgument")["ErrorMessage"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(backend, constant):
    name = "nan_" + constant.replace("-", "minus").lower()
    create_service(backend, name)
    body = f'{{"description": "x", "memorySize": {constant}}}'.encode()
    response = call(backend, "PUT", f"{P}/services/{name}", body)
    assert constant in assert_fc_error(response, 400, "InvalidArgument")["ErrorMessage"]


def test_body_over_the_limit_is_refused_before_it_is_read_whole(backend):
    declared = call(backend, "POST", f"{P}/services", b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert_fc_error(declared, 400, "EntityTooLarge")

    def chunks():  # no Content-Length: the limit must hold while the body arrives
        yield b'{"serviceName": "chunked", "description": "'
        for _ in range(64):
            yield b"x" * 65536
        yield b'"}'

    streamed = call(backend, "POST", f"{P}/services", content=chunks())
    assert_fc_error(streamed, 400, "EntityTooLarge")
    assert call(backend, "GET", f"{P}/services/chunked").status_code == 404


def test_a_code_zip_still_fits_in_a_create_function_body(backend):
    create_service(backend, "bigzip")
    padding = {"pad.bin": bytes(range(256)) * 8192}  # 2 MiB of incompressible-ish data
    body = {
        "functionName": "big",
        "runtime": "python3.10",
        "handler": "index.handler",
        "code": {"zipFile": zip_b64({"index.py": "def handler(e, c):\n    return e\n", **padding})},
    }
    response = call(backend, "POST", f"{P}/services/bigzip/functions", json.dumps(body).encode())
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"text"',
        b'{"serviceName": 1e400000}',
        b'{"serviceName": ' + b"9" * 5000 + b"}",
    ],
)
def test_malformed_bodies_are_400(backend, body):
    assert_fc_error(call(backend, "POST", f"{P}/services", body), 400, "InvalidArgument")


# --------------------------------------------------------------------------- wrong types everywhere

_WRONG_VALUES: list[Any] = ["text", -1, 1e300, True, None, [], {}, [1, "a"], {"k": [1]}, "\x00"]


def _sweep(backend: Any, method: str, path: str, base: dict[str, Any], fields: list[str]) -> list[str]:
    """Send ``base`` with each field set to each wrong value; collect every 5xx."""
    failures = []
    for field in fields:
        for value in _WRONG_VALUES:
            body = {**base, field: value}
            response = call(backend, method, path, json.dumps(body).encode())
            if response.status_code >= 500 or response.headers.get("content-type") != "application/json":
                failures.append(
                    f"{method} {path} {field}={value!r}: {response.status_code} {response.text[:200]}"
                )
    return failures


def test_wrong_types_in_service_and_function_bodies_are_4xx(backend):
    create_service(backend, "types_svc")
    create_function(backend, "types_svc", "fn")
    service_fields = [
        "serviceName",
        "description",
        "role",
        "logConfig",
        "vpcConfig",
        "nasConfig",
        "internetAccess",
        "tracingConfig",
        "ossMountConfig",
    ]
    function_fields = [
        "functionName",
        "runtime",
        "handler",
        "memorySize",
        "timeout",
        "cpu",
        "diskSize",
        "initializer",
        "initializationTimeout",
        "instanceConcurrency",
        "environmentVariables",
        "layers",
        "caPort",
        "customRuntimeConfig",
        "customContainerConfig",
        "customHealthCheckConfig",
        "instanceLifecycleConfig",
        "instanceType",
        "gpuMemorySize",
        "code",
        "customDNS",
    ]
    function_base = {
        "functionName": "fn2",
        "runtime": "python3.10",
        "handler": "index.handler",
        "code": {"zipFile": zip_b64()},
    }
    failures = _sweep(backend, "POST", f"{P}/services", {"serviceName": "types_new"}, service_fields)
    failures += _sweep(backend, "PUT", f"{P}/services/types_svc", {}, service_fields[1:])
    failures += _sweep(backend, "POST", f"{P}/services/types_svc/functions", function_base, function_fields)
    failures += _sweep(backend, "PUT", f"{P}/services/types_svc/functions/fn", {}, function_fields[1:])
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- unexpected failures


def test_an_unexpected_failure_answers_its_request_id_never_its_text(backend, monkeypatch, caplog):
    """A 500 echoed the exception's text, which can name host paths (state directory, code store,
    sandbox slots). The caller gets FC's InternalServerError and the request id; the log has the rest."""
    host_path = "/var/lib/rosengine-state/slots/w-1/secret.txt"

    async def broken(spec, req):
        raise OSError(f"cannot open {host_path}")

    create_service(backend, "broken_svc")
    create_function(backend, "broken_svc", "fn")
    monkeypatch.setattr(backend.scheduler, "invoke", broken)
    response = call(backend, "POST", f"{P}/services/broken_svc/functions/fn/invocations", b"{}")
    document = assert_fc_error(response, 500, "InternalServerError")
    assert host_path not in response.text
    assert document["RequestId"] == response.headers["x-fc-request-id"]
    assert document["RequestId"] in document["ErrorMessage"]
    logged = [r for r in caplog.records if document["RequestId"] in r.getMessage()]
    assert logged and host_path in str(logged[0].exc_info[1])
