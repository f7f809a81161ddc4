"""Simple Log Service (SLS) request signatures, version 1 (``LOG``) and version 4 (``SLS4-HMAC-SHA256``).

Why here: ``rosengine.clients.sls`` signs with these functions and the backend's SLS twin
(``fcbackend.sls.signature``) verifies with the same ones, so the two cannot drift apart. Both
forms were checked against the official ``aliyun-log-python-sdk`` (its requests verify, see
tests/fcbackend/sls). docs/sls.md describes them for users.

Version 1 (``Authorization: LOG <AccessKeyId>:<Signature>``)::

    StringToSign = VERB "\\n" Content-MD5 "\\n" Content-Type "\\n" Date "\\n"
                   "name:value\\n" for each x-log-* and x-acs-* header, sorted by name
                   Resource
    Resource     = path, then "?" and every query parameter "name=value" (raw, not encoded),
                   sorted by name and joined by "&" -- the path alone when there are none
    Signature    = base64(HMAC-SHA1(AccessKeySecret, StringToSign))

``Content-MD5`` is the upper-case hex MD5 of the body (empty without a body). Two headers are
never signed: ``x-log-meta-*`` and ``x-log-date`` — the SDK adds ``x-log-date`` (a copy of
``Date`` for proxies that drop ``Date``) only after it has signed. An STS security token travels
signed, in ``x-acs-security-token``.

Version 4::

    Authorization    = "SLS4-HMAC-SHA256 Credential=<AK>/<yyyymmdd>/<region>/sls/aliyun_v4_request,"
                       "Signature=<hex>"
    CanonicalRequest = VERB "\\n" path "\\n" sorted "name=enc(value)" (just "name" when empty) joined
                       by "&" "\\n" "name:value\\n" for content-type, host, x-log-*, x-acs-*, sorted
                       "\\n" those names joined by ";" "\\n" x-log-content-sha256
    StringToSign     = "SLS4-HMAC-SHA256\\n" x-log-date "\\n" <yyyymmdd>/<region>/sls/aliyun_v4_request
                       "\\n" hex(sha256(CanonicalRequest))
    signing key      = HMAC chain "aliyun_v4"+secret -> date -> region -> "sls" -> "aliyun_v4_request"

where ``enc`` is RFC 3986 percent-encoding (unreserved characters and ``~`` kept) and
``x-log-date`` is ``yyyymmddTHHMMSSZ``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import quote

V1_SCHEME = "LOG"
V4_SCHEME = "SLS4-HMAC-SHA256"
API_VERSION = "0.6.0"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_UNSIGNED_PREFIX = "x-log-meta-"
_UNSIGNED_V1 = frozenset({"x-log-date"})


def content_md5(body: bytes) -> str:
    """The ``Content-MD5`` SLS signs: upper-case hex (not base64, unlike HTTP's own header)."""
    return hashlib.md5(body, usedforsecurity=False).hexdigest().upper()


def _signed_header(name: str) -> bool:
    return name.startswith("x-acs-") or (name.startswith("x-log-") and not name.startswith(_UNSIGNED_PREFIX))


def canonical_resource(path: str, params: Mapping[str, str] | None) -> str:
    """``path`` plus its sorted, unencoded query parameters (version 1)."""
    if not params:
        return path
    return path + "?" + "&".join(f"{key}={params[key]}" for key in sorted(params))


def v1_string_to_sign(
    method: str, path: str, params: Mapping[str, str] | None, headers: Mapping[str, str]
) -> str:
    """What a version-1 signature covers; ``headers`` with lower-case names."""
    lines = [
        method.upper(),
        headers.get("content-md5", ""),
        headers.get("content-type", ""),
        headers.get("date", ""),
    ]
    signed = "".join(
        f"{name}:{headers[name]}\n"
        for name in sorted(headers)
        if _signed_header(name) and name not in _UNSIGNED_V1
    )
    return "\n".join(lines) + "\n" + signed + canonical_resource(path, params)


def v1_signature(secret: str, string_to_sign: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def _v4_encode(value: str) -> str:
    return quote(value.encode("utf-8"), safe="~")


def v4_canonical_request(
    method: str,
    path: str,
    params: Mapping[str, str] | None,
    headers: Mapping[str, str],
    content_sha256: str,
) -> tuple[str, str]:
    """(canonical request, signed header names joined by ``;``) for version 4; ``headers`` with
    lower-case names."""
    encoded = sorted((key, _v4_encode(value)) for key, value in (params or {}).items())
    query = "&".join(key + ("=" + value if value else "") for key, value in encoded)
    names = sorted(name for name in headers if name in ("content-type", "host") or _signed_header(name))
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in names)
    signed = ";".join(names)
    return "\n".join([method.upper(), path, query, canonical_headers, signed, content_sha256]), signed


def v4_scope(date: str, region: str) -> str:
    return f"{date}/{region}/sls/aliyun_v4_request"


def v4_signature(secret: str, date: str, region: str, string_to_sign: str) -> str:
    key = ("aliyun_v4" + secret).encode("utf-8")
    for part in (date, region, "sls", "aliyun_v4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def v4_string_to_sign(timestamp: str, scope: str, canonical_request: str) -> str:
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{V4_SCHEME}\n{timestamp}\n{scope}\n{digest}"


@dataclass(frozen=True)
class V4Credential:
    """The parts of a version-4 ``Authorization`` header."""

    access_key_id: str
    date: str
    region: str
    signature: str


def parse_v1_authorization(value: str) -> tuple[str, str] | None:
    """(access key id, signature) of ``LOG <AK>:<signature>``; None when it is not that form."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != V1_SCHEME:
        return None
    key_id, sep, signature = rest.strip().rpartition(":")
    if not sep or not key_id or not signature:
        return None
    return key_id, signature


def parse_v4_authorization(value: str) -> V4Credential | None:
    """The credential of ``SLS4-HMAC-SHA256 Credential=...,Signature=...``; None otherwise."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != V4_SCHEME:
        return None
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, field_value = part.strip().partition("=")
        if sep:
            fields[name] = field_value
    credential = fields.get("Credential", "").split("/")
    signature = fields.get("Signature", "")
    if len(credential) != 5 or credential[3:] != ["sls", "aliyun_v4_request"] or not signature:
        return None
    return V4Credential(credential[0], credential[1], credential[2], signature)


def sign_v1(
    method: str,
    path: str,
    params: Mapping[str, str] | None,
    headers: dict[str, str],
    body: bytes,
    access_key_id: str,
    access_key_secret: str,
    security_token: str = "",
) -> dict[str, str]:
    """Add the version-1 signature and the headers it needs to ``headers`` (lower-case names),
    as the official SDK sends them; returns ``headers``."""
    headers.setdefault("x-log-apiversion", API_VERSION)
    headers["x-log-signaturemethod"] = "hmac-sha1"
    headers.setdefault("x-log-bodyrawsize", str(len(body)))
    if security_token:
        headers["x-acs-security-token"] = security_token
    headers["date"] = formatdate(usegmt=True)
    if body:
        headers["content-md5"] = content_md5(body)
    string_to_sign = v1_string_to_sign(method, path, params, headers)
    headers["authorization"] = (
        f"{V1_SCHEME} {access_key_id}:{v1_signature(access_key_secret, string_to_sign)}"
    )
    headers["x-log-date"] = headers["date"]
    return headers
