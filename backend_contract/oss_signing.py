"""OSS request signatures, version 1 (HMAC-SHA1) and version 4 (OSS4-HMAC-SHA256).

Why here: ``rosengine.clients.oss`` signs with these functions and the backend's OSS twin
(``fcbackend.oss.api.signature``) verifies with the same ones, so the two cannot drift apart. Both
were checked against the official ``oss2`` SDK (its requests verify, see tests/fcbackend/oss).

Version 1 (``Authorization: OSS <AccessKeyId>:<Signature>``)::

    StringToSign = VERB "\\n" Content-MD5 "\\n" Content-Type "\\n" (x-oss-date or Date) "\\n"
                   CanonicalizedOSSHeaders CanonicalizedResource
    CanonicalizedOSSHeaders = "name:value\\n" for each x-oss-* header, lower-cased, sorted by name
    CanonicalizedResource   = "/" bucket "/" key (unencoded)  -- or "/" without a bucket --
                              then "?" and the sub-resources among the query parameters, sorted,
                              "name=value" ("name" alone when the value is empty), joined by "&"
    Signature = base64(HMAC-SHA1(AccessKeySecret, StringToSign))

Only the parameters in :data:`SUBRESOURCES` are signed in version 1 (``prefix``, ``marker``,
``max-keys`` ... are not). A presigned URL carries ``OSSAccessKeyId``, ``Expires`` (epoch
seconds, taking the place of the date) and ``Signature``; STS adds ``security-token``.

Version 4 (``OSS4-HMAC-SHA256 Credential=<AK>/<yyyymmdd>/<region>/oss/aliyun_v4_request,
[AdditionalHeaders=<h1;h2>,] Signature=<hex>``)::

    CanonicalRequest = VERB "\\n" uri-encode("/" bucket "/" key, keeping "/") "\\n"
                       every query parameter, both sides uri-encoded, sorted, "k=v" or "k", "&" "\\n"
                       "name:value\\n" for x-oss-*, content-type, content-md5 and the additional
                       headers, sorted "\\n"  additional header names sorted, ";"  "\\n"
                       x-oss-content-sha256 (UNSIGNED-PAYLOAD)
    StringToSign     = "OSS4-HMAC-SHA256\\n" x-oss-date "\\n" <date>/<region>/oss/aliyun_v4_request "\\n"
                       hex(sha256(CanonicalRequest))
    SigningKey       = HMAC-SHA256 chain over "aliyun_v4" + secret: date, region, "oss", "aliyun_v4_request"

Sources: https://www.alibabacloud.com/help/en/oss/developer-reference/include-signatures-in-the-authorization-header
and https://www.alibabacloud.com/help/en/oss/developer-reference/recommend-to-use-signature-version-4
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from email.utils import formatdate

V1_SCHEME = "OSS"
V4_SCHEME = "OSS4-HMAC-SHA256"
V4_PRODUCT = "oss"
V4_TERMINATOR = "aliyun_v4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
SECURITY_TOKEN_HEADER = "x-oss-security-token"

# Query parameters that version 1 signs (the rest of a query is left out of the signature).
SUBRESOURCES = frozenset(
    {
        "acl", "append", "asyncFetch", "bucketInfo", "callback", "callback-var", "cname", "comp",
        "continuation-token", "cors", "delete", "encryption", "endTime", "group", "inventory",
        "inventoryId", "lifecycle", "link", "live", "location", "logging", "metaQuery", "objectInfo",
        "objectMeta", "partNumber", "policy", "position", "qos", "qosInfo", "referer", "regionList",
        "replication", "replicationLocation", "replicationProgress", "requestPayment", "resourceGroup",
        "response-cache-control", "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires", "restore",
        "security-token", "sequential", "startTime", "stat", "status", "style", "styleName",
        "symlink", "tagging", "transferAcceleration", "uploadId", "uploads", "versionId", "versioning",
        "versions", "vod", "website", "worm", "wormExtend", "wormId", "x-oss-process",
        "x-oss-request-payer", "x-oss-traffic-limit", "publicAccessBlock", "httpsConfig",
    }
)  # fmt: skip


def http_date(when: float | None = None) -> str:
    """An RFC 1123 date for the ``Date`` header."""
    return formatdate(when, usegmt=True)


def canonical_resource(bucket: str, key: str, params: Iterable[tuple[str, str]]) -> str:
    """Version 1's CanonicalizedResource; ``key`` unencoded, ``params`` decoded."""
    resource = f"/{bucket}/{key}" if bucket else "/"
    signed = sorted((k, v) for k, v in params if k in SUBRESOURCES)
    if signed:
        resource += "?" + "&".join(f"{k}={v}" if v else k for k, v in signed)
    return resource


def v1_string_to_sign(
    method: str,
    bucket: str,
    key: str,
    headers: Mapping[str, str],
    params: Iterable[tuple[str, str]],
    *,
    date: str | None = None,
) -> str:
    """``headers`` with lower-cased names. ``date`` replaces the header date (presigned URLs put
    ``Expires`` there)."""
    if date is None:
        date = headers.get("x-oss-date") or headers.get("date", "")
    oss_headers = "".join(f"{k}:{headers[k]}\n" for k in sorted(h for h in headers if h.startswith("x-oss-")))
    return "\n".join(
        (
            method,
            headers.get("content-md5", ""),
            headers.get("content-type", ""),
            date,
            oss_headers + canonical_resource(bucket, key, params),
        )
    )


@functools.lru_cache(maxsize=64)
def _sha1_key(secret: str) -> hmac.HMAC:
    return hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha1)


def v1_signature(secret: str, string_to_sign: str) -> str:
    mac = _sha1_key(secret).copy()
    mac.update(string_to_sign.encode("utf-8"))
    return base64.b64encode(mac.digest()).decode("ascii")


def v1_authorization(
    access_key_id: str,
    secret: str,
    method: str,
    bucket: str,
    key: str,
    headers: Mapping[str, str],
    params: Iterable[tuple[str, str]] = (),
) -> str:
    """The Authorization header value for a request whose ``headers`` (lower-cased names) already
    carry Date and, for STS credentials, ``x-oss-security-token``."""
    signature = v1_signature(secret, v1_string_to_sign(method, bucket, key, headers, params))
    return f"{V1_SCHEME} {access_key_id}:{signature}"


# -- version 4 -----------------------------------------------------------------------------------

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def uri_encode(text: str, *, keep_slash: bool) -> str:
    """RFC 3986 percent-encoding of the UTF-8 bytes, upper-case hex; ``/`` kept when asked."""
    out = []
    for byte in text.encode("utf-8"):
        if byte in _UNRESERVED or (keep_slash and byte == 0x2F):
            out.append(chr(byte))
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def v4_canonical_request(
    method: str,
    bucket: str,
    key: str,
    headers: Mapping[str, str],
    params: Iterable[tuple[str, str]],
    additional_headers: Iterable[str] = (),
) -> str:
    """``headers`` with lower-cased names; ``params`` decoded (the signature's own presign
    parameter ``x-oss-signature`` must already be left out)."""
    additional = sorted({h.lower() for h in additional_headers})
    wanted = set(additional)
    uri = uri_encode(f"/{bucket}/{key}" if bucket else "/", keep_slash=True)
    encoded = sorted((uri_encode(k, keep_slash=False), uri_encode(v, keep_slash=False)) for k, v in params)
    query = "&".join(f"{k}={v}" if v else k for k, v in encoded)
    signed = sorted(
        h for h in headers if h.startswith("x-oss-") or h in ("content-type", "content-md5") or h in wanted
    )
    canonical_headers = "".join(f"{h}:{headers[h]}\n" for h in signed)
    payload = headers.get("x-oss-content-sha256", UNSIGNED_PAYLOAD)
    return "\n".join((method, uri, query, canonical_headers, ";".join(additional), payload))


def v4_scope(date: str, region: str) -> str:
    return f"{date}/{region}/{V4_PRODUCT}/{V4_TERMINATOR}"


def v4_string_to_sign(timestamp: str, region: str, canonical_request: str) -> str:
    """``timestamp`` is x-oss-date (``YYYYMMDDTHHMMSSZ``)."""
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{V4_SCHEME}\n{timestamp}\n{v4_scope(timestamp[:8], region)}\n{digest}"


@functools.lru_cache(maxsize=64)
def v4_signing_key(secret: str, date: str, region: str) -> bytes:
    """Cached: one key per secret, day and region."""
    key = ("aliyun_v4" + secret).encode("utf-8")
    for part in (date, region, V4_PRODUCT, V4_TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def v4_signature(secret: str, timestamp: str, region: str, canonical_request: str) -> str:
    key = v4_signing_key(secret, timestamp[:8], region)
    text = v4_string_to_sign(timestamp, region, canonical_request)
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
