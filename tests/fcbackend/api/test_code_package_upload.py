"""Code packages that cannot be unpacked safely are refused at upload (CreateFunction,
UpdateFunction, PublishLayerVersion) with a 400 in FC's error shape that names the entry and never
shows a host path; nothing is stored and the function keeps its previous code."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support.code_packages import HANDLER, package
from tests.support.fc_raw_requests import (
    P,
    assert_fc_error,
    call,
    create_function,
    create_service,
)

BAD_PACKAGES = {
    "escaping-link": [HANDLER, ("link", "escape", "../../../../etc/shadow")],
    "file-and-link": [("file", "same", "data"), ("link", "same", "index.py"), HANDLER],
}


def code(data: bytes) -> dict[str, str]:
    return {"zipFile": base64.b64encode(data).decode()}


def assert_refused(backend: Any, response: Any, entry: str) -> None:
    message = assert_fc_error(response, 400, "InvalidArgument")["ErrorMessage"]
    assert entry in message
    assert str(backend.config.state_dir) not in message and "/tmp" not in message


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("kind", sorted(BAD_PACKAGES))
def test_create_update_and_layer_refuse_the_package(backend, kind):
    data, entry = package(*BAD_PACKAGES[kind]), "escape" if kind == "escaping-link" else "same"
    service = f"pkg_{kind.replace('-', '_')}"
    create_service(backend, service)
    body = {"functionName": "f", "runtime": "python3.10", "handler": "index.handler", "code": code(data)}
    created = call(backend, "POST", f"{P}/services/{service}/functions", json.dumps(body).encode())
    assert_refused(backend, created, entry)
    assert call(backend, "GET", f"{P}/services/{service}/functions/f").status_code == 404

    create_function(backend, service, "good")
    before = call(backend, "GET", f"{P}/services/{service}/functions/good").json()["codeChecksum"]
    updated = call(
        backend, "PUT", f"{P}/services/{service}/functions/good", json.dumps({"code": code(data)}).encode()
    )
    assert_refused(backend, updated, entry)
    assert call(backend, "GET", f"{P}/services/{service}/functions/good").json()["codeChecksum"] == before

    layer = call(
        backend, "POST", f"{P}/layers/{service}_layer/versions", json.dumps({"code": code(data)}).encode()
    )
    assert_refused(backend, layer, entry)
