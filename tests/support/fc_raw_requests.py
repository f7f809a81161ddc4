"""Raw, signed requests to an FC backend with exactly the bytes and headers a test chooses (as a
hostile client would send them), and the check that an answer is FC's JSON error."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import httpx

from backend_contract import fc_signing
from tests.support.fc_api import zip_b64

P = "/2016-08-15"


def call(
    backend: Any,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    content: Any = None,
) -> httpx.Response:
    """One signed request with exactly these body bytes and headers (a client that sends what it
    likes, as an attacker would)."""
    sent = {"content-type": "application/json", "date": fc_signing.http_date()}
    sent.update({k.lower(): v for k, v in (headers or {}).items()})
    sent["authorization"] = fc_signing.authorization(
        backend.config.access_key_id, backend.config.access_key_secret, method, unquote(path), sent
    )
    return httpx.request(
        method,
        backend.endpoint + path,
        content=body if content is None else content,
        headers=sent,
        timeout=30,
    )


def assert_fc_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-fc-request-id"]
    document = response.json()
    assert document["ErrorCode"] == code, document
    assert document["ErrorMessage"]
    return document


def create_service(backend: Any, name: str) -> None:
    response = call(backend, "POST", f"{P}/services", json.dumps({"serviceName": name}).encode())
    assert response.status_code == 200, response.text


def create_function(backend: Any, service: str, name: str) -> None:
    body = {
        "functionName": name,
        "runtime": "python3.10",
        "handler": "index.handler",
        "code": {"zipFile": zip_b64()},
    }
    response = call(backend, "POST", f"{P}/services/{service}/functions", json.dumps(body).encode())
    assert response.status_code == 200, response.text
