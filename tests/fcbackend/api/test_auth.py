"""Request signing (docs/reference/fc-api.md#request-signing): our signer matches the official SDK's; the
backend rejects bad signatures, unknown keys and stale dates, and accepts unsigned calls only with auth
off."""

from __future__ import annotations

import email.utils
import time

import fc2
import httpx
import pytest

from fcbackend.app import create_app
from fcbackend.backend_config import BackendConfig
from fcbackend.server import ThreadedServer
from rosengine.clients import fc_signature
from tests.support.fc_api import FakeScheduler

FcError = fc2.fc_exceptions.FcError


def test_signature_matches_official_sdk():
    auth = fc2.auth.Auth("id", "secret")
    headers = {
        "content-type": "application/json",
        "date": "Mon, 01 Jan 2024 00:00:00 GMT",
        "x-fc-log-type": "Tail",
        "x-fc-invocation-type": "Sync",
    }
    path = "/2016-08-15/services/s/functions/f/invocations"
    assert auth.sign_request("POST", path, headers) == fc_signature.authorization(
        "id", "secret", "POST", path, headers
    )
    queries = {"a": "1", "b": ["2", "3"], "c": []}
    proxy = "/2016-08-15/proxy/s/f/x"
    assert auth.sign_request("GET", proxy, headers, queries) == fc_signature.authorization(
        "id", "secret", "GET", proxy, headers, queries
    )


def test_wrong_secret_is_rejected(backend):
    bad = fc2.Client(
        endpoint=backend.endpoint, accessKeyID=backend.config.access_key_id, accessKeySecret="wrong-secret"
    )
    with pytest.raises(FcError) as info:
        bad.list_services()
    assert info.value.status_code == 403 and info.value.err_code == "SignatureNotMatch"


def test_unknown_key_is_rejected(backend):
    bad = fc2.Client(endpoint=backend.endpoint, accessKeyID="LTAIunknown", accessKeySecret="x")
    with pytest.raises(FcError) as info:
        bad.list_services()
    assert info.value.status_code == 403 and info.value.err_code == "InvalidAccessKeyID"


def test_unsigned_and_stale_requests_are_rejected(backend):
    response = httpx.get(f"{backend.endpoint}/2016-08-15/services")
    assert response.status_code == 403 and response.json()["ErrorCode"] == "AccessDenied"
    stale = email.utils.formatdate(time.time() - 20 * 60, usegmt=True)
    headers = {"date": stale, "content-type": "application/json"}
    path = "/2016-08-15/services"
    headers["authorization"] = fc_signature.authorization(
        backend.config.access_key_id, backend.config.access_key_secret, "GET", path, headers
    )
    response = httpx.get(f"{backend.endpoint}{path}", headers=headers)
    assert response.status_code == 403 and response.json()["ErrorCode"] == "RequestTimeTooSkewed"


def test_health_needs_no_signature(backend):
    assert httpx.get(f"{backend.endpoint}/2016-08-15/local/health").json()["status"] == "ok"


def test_no_auth_backend_accepts_unsigned_calls(tmp_path):
    config = BackendConfig.for_state_dir(tmp_path, auth=False)
    server = ThreadedServer(create_app(config, scheduler=FakeScheduler(), addons=False)).start()
    try:
        created = httpx.post(f"{server.endpoint}/2016-08-15/services", json={"serviceName": "open"})
        assert created.status_code == 200
        assert httpx.get(f"{server.endpoint}/2016-08-15/services/open").json()["serviceName"] == "open"
    finally:
        server.stop()
