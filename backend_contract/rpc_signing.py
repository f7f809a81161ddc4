"""Alibaba Cloud's RPC-style request signature, version 1 (HMAC-SHA1), as RAM and STS take it.

The RPC style (``?Action=AssumeRole&Version=2015-04-01&...``) carries every parameter, the
signature's own ones included, in the query string or a form-encoded body:
``AccessKeyId``, ``Action``, ``Format``, ``SignatureMethod=HMAC-SHA1``, ``SignatureNonce``,
``SignatureVersion=1.0``, ``Timestamp`` (ISO 8601 UTC), ``Version``, optionally ``RegionId``,
``SignatureType`` (empty) and ``SecurityToken`` (temporary STS credentials), plus the action's own
parameters. The signature is::

    StringToSign = METHOD + "&" + enc("/") + "&" + enc(sorted "enc(k)=enc(v)" joined by "&")
    Signature    = base64(HMAC-SHA1(key = secret + "&", StringToSign))

where ``enc`` is RFC 3986 percent-encoding (unreserved ``A-Z a-z 0-9 - _ . ~`` kept, a space as
``%20``). Every parameter except ``Signature`` is signed, whether it travelled in the query or the
body. Source: https://www.alibabacloud.com/help/en/sdk/product-overview/rpc-mechanism (the same
rule ``aliyunsdkcore`` and the Tea SDKs' ``signature_algorithm="v2"`` mode apply).

The newer ``ACS3-HMAC-SHA256`` header signature (the Tea SDKs' default) is canonicalised in
:mod:`backend_contract.acs3_signing`; RAM/STS here verify the RPC V1 form.

The same functions sign (``rosengine.clients.ram``) and verify (``fcbackend.ram.rpc``), so the two
cannot drift apart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

SIGNATURE_METHOD = "HMAC-SHA1"
SIGNATURE_VERSION = "1.0"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def percent_encode(value: str) -> str:
    """RFC 3986 encoding of one key or value (``~`` kept, space as ``%20``, ``*`` as ``%2A``)."""
    return quote(value, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    """The sorted ``k=v`` pairs of every parameter but ``Signature``, each side encoded."""
    return "&".join(
        f"{percent_encode(key)}={percent_encode(params[key])}" for key in sorted(params) if key != "Signature"
    )


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    """The base64 HMAC-SHA1 signature of ``params`` sent with ``method``."""
    digest = hmac.new(
        f"{secret}&".encode(), string_to_sign(method, params).encode("utf-8"), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(secret: str, method: str, params: Mapping[str, str]) -> bool:
    """Whether ``params["Signature"]`` is the signature of the other parameters."""
    given = params.get("Signature", "")
    return bool(given) and hmac.compare_digest(signature(secret, method, params), given)


def timestamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(value: str) -> datetime | None:
    """The UTC time of an RPC ``Timestamp`` (None when it is not ``YYYY-MM-DDTHH:MM:SSZ``)."""
    try:
        return datetime.strptime(value, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def signed_params(
    action: str,
    version: str,
    params: Mapping[str, str],
    *,
    access_key_id: str,
    access_key_secret: str,
    method: str = "POST",
    security_token: str = "",
    region_id: str = "",
    now: datetime | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """``params`` with the common parameters and the ``Signature`` added, ready to send as a query
    string or a form body (``Format`` is JSON unless ``params`` names another)."""
    out = {
        "Format": "JSON",
        **{k: str(v) for k, v in params.items()},
        "Action": action,
        "Version": version,
        "AccessKeyId": access_key_id,
        "SignatureMethod": SIGNATURE_METHOD,
        "SignatureVersion": SIGNATURE_VERSION,
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "Timestamp": timestamp(now),
    }
    if region_id:
        out["RegionId"] = region_id
    if security_token:
        out["SecurityToken"] = security_token
    out["Signature"] = signature(access_key_secret, method, out)
    return out
