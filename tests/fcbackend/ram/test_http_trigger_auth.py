"""An ``authType: function`` HTTP trigger takes a request signed with any key RAM/STS knows, and
a RAM user's key only when its policies allow ``fc:InvokeFunction`` on the function."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from rosengine.clients import fc_signature
from rosengine.clients.fc import FcClient
from tests.support.fc_api import zip_b64
from tests.support.ram import RamBackend, allow, ram_backend

WSGI = """
def handler(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]
"""


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RamBackend]:
    with ram_backend(tmp_path_factory.mktemp("http-auth"), addons=True) as served:
        config = served.config
        with FcClient(served.endpoint, config.access_key_id, config.access_key_secret, timeout=30) as fc:
            fc.create_service("site")
            for name in ("page", "admin"):
                fc.create_function(
                    "site",
                    name,
                    {"zipFile": zip_b64({"index.py": WSGI})},
                    runtime="python3.10",
                    handler="index.handler",
                )
                fc.create_trigger(
                    "site",
                    name,
                    triggerName="http",
                    triggerType="http",
                    triggerConfig={"authType": "function", "methods": ["GET"]},
                )
        yield served


def _get(backend: RamBackend, function: str, key_id: str, secret: str) -> httpx.Response:
    path = f"/2016-08-15/proxy/site/{function}/"
    headers = {"date": fc_signature.http_date()}
    # http triggers sign the query lines too, even when there are none
    headers["authorization"] = fc_signature.authorization(key_id, secret, "GET", path, headers, {})
    return httpx.get(backend.endpoint + path, headers=headers, timeout=30)


def test_a_users_key_reaches_only_the_functions_it_may_invoke(backend: RamBackend) -> None:
    with backend.root() as ram:
        ram.create_user("visitor")
        ram.create_policy("see-page", allow("fc:InvokeFunction", "acs:fc:*:*:services/site/functions/page"))
        ram.attach_policy("User", "visitor", "Custom", "see-page")
        key = ram.create_access_key("visitor")
    allowed = _get(backend, "page", key["AccessKeyId"], key["AccessKeySecret"])
    assert allowed.status_code == 200 and allowed.text == "hello"
    denied = _get(backend, "admin", key["AccessKeyId"], key["AccessKeySecret"])
    assert denied.status_code == 403 and denied.json()["ErrorCode"] == "AccessDenied"
    root = _get(backend, "admin", backend.config.access_key_id, backend.config.access_key_secret)
    assert root.status_code == 200
    unknown = _get(backend, "page", "LTAIlocalnobody0000000", "x")
    assert unknown.status_code == 403 and unknown.json()["ErrorCode"] == "InvalidAccessKeyID"
    wrong = _get(backend, "page", key["AccessKeyId"], "not-the-secret")
    assert wrong.status_code == 403 and wrong.json()["ErrorCode"] == "SignatureNotMatch"
