"""FC 3.0 request signatures: the shared canonicalisation matches the official SDK's signer, and
the backend refuses every badly signed request with FC 3.0's JSON error."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from alibabacloud_tea_openapi.utils import Utils

from backend_contract import acs3_signing as signing
from tests.support.fc3_backend import Fc3Backend, create_input, fc, fc3_backend, sdk_client, sdk_error


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fc3Backend]:
    with fc3_backend(tmp_path_factory.mktemp("fc3-signing")) as b:
        b.sdk.create_function(create_input("signed"))
        yield b


def test_canonical_request_matches_the_sdk_signer() -> None:
    headers = {
        "host": "127.0.0.1:9000",
        "x-acs-date": "2024-01-02T03:04:05Z",
        "x-acs-content-sha256": hashlib.sha256(b'{"a":1}').hexdigest(),
        "x-acs-signature-nonce": "n1",
        "content-type": "application/json",
    }
    query = {"prefix": "a b+c", "limit": "10", "tags": '[{"Key":"k","Value":"v w"}]'}
    request = SimpleNamespace(
        method="GET", pathname="/2023-03-30/layerarn/acs%3Afc%3Ax%2Fy", query=query, headers=headers
    )
    theirs = Utils.get_authorization(request, signing.ACS3, headers["x-acs-content-sha256"], "AK", "secret")
    raw_query = httpx.QueryParams(query).__str__()
    canonical = signing.acs3_canonical_request(
        "GET", request.pathname, raw_query, headers, sorted(headers), headers["x-acs-content-sha256"]
    )
    assert theirs.endswith("Signature=" + signing.acs3_signature("secret", canonical))
    parsed = signing.parse_acs3_authorization(theirs)
    assert parsed is not None and parsed.access_key_id == "AK"
    assert parsed.signed_headers == tuple(sorted(headers))


def test_canonical_query_decodes_plus_and_reencodes_spaces() -> None:
    assert signing.canonical_query("b=2&a=x+y&c=%7E%2F") == "a=x%20y&b=2&c=~%2F"
    assert signing.canonical_query("") == ""


def test_roa_string_to_sign_sorts_acs_headers_and_query() -> None:
    text = signing.roa_string_to_sign(
        "GET",
        "/2023-03-30/functions/f",
        "qualifier=LATEST&a=",
        {
            "accept": "application/json",
            "date": "D",
            "x-acs-version": "2023-03-30",
            "x-acs-action": "GetFunction",
        },
    )
    assert text == (
        "GET\napplication/json\n\n\nD\nx-acs-action:GetFunction\nx-acs-version:2023-03-30\n"
        "/2023-03-30/functions/f?a&qualifier=LATEST"
    )


def test_the_sdk_signs_both_ways(backend: Fc3Backend) -> None:
    assert backend.sdk.get_function("signed", fc.GetFunctionRequest()).body.function_name == "signed"
    roa = sdk_client(backend.endpoint, backend.config, signature_algorithm="v2")
    assert roa.get_function("signed", fc.GetFunctionRequest()).body.function_name == "signed"
    sts = sdk_client(backend.endpoint, backend.config, security_token="token")
    assert sts.get_function("signed", fc.GetFunctionRequest()).body.function_name == "signed"


def test_wrong_secret_is_signature_not_match(backend: Fc3Backend) -> None:
    bad = sdk_client(backend.endpoint, backend.config, secret="wrong")
    err = sdk_error(lambda: bad.get_function("signed", fc.GetFunctionRequest()))
    assert (err.status_code, err.code) == (403, "SignatureNotMatch")
    err = sdk_error(
        lambda: sdk_client(
            backend.endpoint, backend.config, secret="wrong", signature_algorithm="v2"
        ).get_function("signed", fc.GetFunctionRequest())
    )
    assert (err.status_code, err.code) == (403, "SignatureNotMatch")


def _signed_headers(backend: Fc3Backend, body: bytes = b"", **overrides: str) -> dict[str, str]:
    headers = {
        "host": backend.host,
        "x-acs-date": signing.acs3_date(),
        "x-acs-signature-nonce": "abc",
    }
    headers.update(overrides)
    signing.sign_acs3(
        method="GET",
        raw_path="/2023-03-30/functions/signed",
        query="",
        headers=headers,
        body=body,
        access_key_id=backend.config.access_key_id,
        access_key_secret=backend.config.access_key_secret,
    )
    return headers


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("unsigned", 403, "AccessDenied"),
        ("fc2 scheme", 403, "AccessDenied"),
        ("unknown key", 403, "InvalidAccessKeyID"),
        ("stale date", 403, "RequestTimeTooSkewed"),
        ("bad date", 400, "InvalidArgument"),
        ("body changed", 400, "InvalidArgument"),
        ("header changed", 403, "SignatureNotMatch"),
        ("bearer", 403, "AccessDenied"),
    ],
)
def test_bad_signatures_get_fc3_json_errors(backend: Fc3Backend, case: str, status: int, code: str) -> None:
    url = f"{backend.endpoint}/2023-03-30/functions/signed"
    body = b""
    if case == "unsigned":
        headers: dict[str, str] = {}
    elif case == "fc2 scheme":
        headers = {"authorization": "FC key:sig", "date": "Mon, 01 Jan 2024 00:00:00 GMT"}
    elif case == "unknown key":
        headers = _signed_headers(backend)
        headers["authorization"] = headers["authorization"].replace(backend.config.access_key_id, "LTAIother")
    elif case == "stale date":
        headers = _signed_headers(backend, **{"x-acs-date": "2020-01-01T00:00:00Z"})
    elif case == "bad date":
        headers = _signed_headers(backend, **{"x-acs-date": "yesterday"})
    elif case == "body changed":
        headers = _signed_headers(backend, body=b"{}")
        body = b'{"x": 1}'
    elif case == "header changed":
        headers = _signed_headers(backend)
        headers["x-acs-signature-nonce"] = "other"
    else:
        headers = {"x-acs-bearer-token": "t"}
    answer = httpx.request("GET", url, headers=headers, content=body)
    assert answer.status_code == status, answer.text
    document = answer.json()
    assert document["Code"] == code and document["Message"] and document["RequestId"]


def test_signed_body_hash_is_checked_for_writes(backend: Fc3Backend) -> None:
    """A create whose body is not the one that was signed creates nothing."""
    signed_body = json.dumps({"functionName": "tampered", "runtime": "python3.10", "handler": "i.h"}).encode()
    headers = {"host": backend.host, "x-acs-date": signing.acs3_date(), "content-type": "application/json"}
    signing.sign_acs3(
        method="POST",
        raw_path="/2023-03-30/functions",
        query="",
        headers=headers,
        body=signed_body,
        access_key_id=backend.config.access_key_id,
        access_key_secret=backend.config.access_key_secret,
    )
    other = signed_body.replace(b"tampered", b"tampered2")
    answer = httpx.post(f"{backend.endpoint}/2023-03-30/functions", headers=headers, content=other)
    assert answer.status_code == 400 and "x-acs-content-sha256" in answer.json()["Message"]
    names = [f["functionName"] for f in backend.client.list_functions()]
    assert "tampered" not in names and "tampered2" not in names


def test_no_auth_backend_accepts_unsigned_requests(tmp_path: Path) -> None:
    with fc3_backend(tmp_path, auth=False) as b:
        answer = httpx.get(f"{b.endpoint}/2023-03-30/functions")
        assert answer.status_code == 200 and answer.json() == {"functions": []}
