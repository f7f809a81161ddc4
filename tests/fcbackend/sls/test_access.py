"""The SLS API's identity checks through the identity contract (fcbackend.access): each credential
problem and a policy denial become SLS's own errors; an unsigned request is refused unless the
backend runs with --no-auth."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend_contract import sls_signing
from fcbackend.access import AccessDenied, Caller, CredentialError
from fcbackend.sls.api import SlsApi
from fcbackend.sls.service import SlsService
from fcbackend.sls.signature import SlsAuthenticator
from fcbackend.sls.store import SqliteSlsStore
from sqlstore import SqliteDatabase

ROOT = Caller("LTAIroot", "123", "acs:ram::123:root", True)
USER = Caller("LTAIuser", "123", "acs:ram::123:user/reader", False)


class Accounts:
    """Knows the root and a user key; every other key raises the CredentialError its id names."""

    def resolve(self, access_key_id: str, security_token: str | None) -> tuple[str, Caller]:
        if access_key_id == "LTAIroot":
            return "root-secret", ROOT
        if access_key_id == "LTAIuser":
            return "user-secret", USER
        raise CredentialError(access_key_id.removeprefix("LTAI"), f"{access_key_id} cannot be used")

    def authorize(
        self, caller: Caller, action: str, resource: str, context: Mapping[str, str] | None = None
    ) -> None:
        if not caller.is_root and action != "log:GetProject":
            raise AccessDenied(action, resource, "no statement allows it")


class Client:
    """Requests straight to the SLS API's ASGI app, one event loop per request."""

    def __init__(self, app: SlsApi):
        self.app = app

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://proj.cn-hangzhou.log.aliyuncs.com"
            ) as http:
                return await http.request(method, path, **kwargs)

        return asyncio.run(send())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


@contextmanager
def _client(tmp_path: Path, required: bool = True) -> Iterator[Client]:
    service = SlsService(
        SqliteSlsStore(SqliteDatabase(tmp_path / "sls.db")), region="cn-hangzhou", account_id="123"
    )
    service.create_project("proj", {})
    accounts = Accounts()
    yield Client(SlsApi(service, SlsAuthenticator(accounts, ROOT, required=required), accounts))


def _call(client: Client, method: str, key: str, secret: str, token: str = "") -> httpx.Response:
    headers = {"host": "proj.cn-hangzhou.log.aliyuncs.com"}
    sls_signing.sign_v1(method, "/", None, headers, b"", key, secret, token)
    return client.request(method, "/", headers=headers)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("UnknownKey", "AccessKeyId not found: LTAIUnknownKey"),
        ("DisabledKey", "AccessKeyId is disabled: LTAIDisabledKey"),
        ("ExpiredToken", "The security token you provided has expired"),
        ("InvalidToken", "The security token you provided is invalid"),
    ],
)
def test_credential_problems_are_slss_unauthorized(tmp_path: Path, kind: str, message: str) -> None:
    with _client(tmp_path) as client:
        answer = _call(client, "GET", f"LTAI{kind}", "whatever", "STS.token")
    assert answer.status_code == 401
    assert answer.json() == {"errorCode": "Unauthorized", "errorMessage": message}


def test_a_denied_action_names_the_action_and_resource(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        assert _call(client, "GET", "LTAIuser", "user-secret").status_code == 200
        denied = _call(client, "DELETE", "LTAIuser", "user-secret")
        assert _call(client, "GET", "LTAIroot", "root-secret").status_code == 200  # not deleted
    assert denied.status_code == 401 and denied.json()["errorCode"] == "Unauthorized"
    assert "log:DeleteProject" in denied.json()["errorMessage"]
    assert "acs:log:cn-hangzhou:123:project/proj" in denied.json()["errorMessage"]


def test_unsigned_requests_need_no_auth_mode(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        refused = client.get("/", headers={"host": "proj.cn-hangzhou.log.aliyuncs.com"})
    assert refused.status_code == 401 and refused.json()["errorCode"] == "Unauthorized"
    with _client(tmp_path / "open", required=False) as client:
        assert client.get("/", headers={"host": "proj.cn-hangzhou.log.aliyuncs.com"}).status_code == 200
        assert _call(client, "GET", "LTAIroot", "wrong").json()["errorCode"] == "SignatureNotMatch"


def test_a_wrong_content_md5_is_refused_before_anything_is_stored(tmp_path: Path) -> None:
    body = b'{"logstoreName": "store"}'
    headers = {"host": "proj.cn-hangzhou.log.aliyuncs.com", "content-type": "application/json"}
    sls_signing.sign_v1("POST", "/logstores", None, headers, body, "LTAIroot", "root-secret")
    headers["content-md5"] = "0" * 32
    with _client(tmp_path) as client:
        answer = client.post("/logstores", content=body, headers=headers)
        assert answer.status_code == 400 and "Content-MD5" in answer.json()["errorMessage"]
        assert _call(client, "GET", "LTAIroot", "root-secret").status_code == 200


def test_an_unknown_operation_is_named_not_emulated(tmp_path: Path) -> None:
    headers = {"host": "proj.cn-hangzhou.log.aliyuncs.com"}
    sls_signing.sign_v1("GET", "/dashboards", None, headers, b"", "LTAIroot", "root-secret")
    with _client(tmp_path) as client:
        answer = client.get("/dashboards", headers=headers)
    assert answer.status_code == 404 and answer.json()["errorCode"] == "NotEmulated"
    assert "not emulated locally: sls GET /dashboards" in answer.json()["errorMessage"]
