"""Alibaba Cloud's API request signatures used by FC 3.0 (API version 2023-03-30).

Two schemes reach an FC 3.0 endpoint:

* **ACS3-HMAC-SHA256** (what the official ``alibabacloud-fc20230330`` SDK sends by default)::

      Authorization: ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<h1;h2;...>,Signature=<hex>

  The signature is ``hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\\n" + hex(sha256(canonical))))``
  where ``canonical`` is the method, the path *as sent* (still percent-encoded), the canonical
  query (keys sorted, values percent-encoded with ``%20`` for spaces), one ``name:value`` line per
  signed header, the signed header names joined by ``;``, and the ``x-acs-content-sha256`` header
  (the hex SHA-256 of the body). The verifier takes the header list from the Authorization header:
  a client may sign more or fewer headers than another one does.
  Source: https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature

* **ROA, HMAC-SHA1** (the SDK with ``signature_algorithm="v2"``, Terraform's ROA client)::

      Authorization: acs <AK>:<base64 HMAC-SHA1 signature>

  over ``METHOD\\nAccept\\nContent-MD5\\nContent-Type\\nDate\\n`` + the sorted ``x-acs-*`` headers
  (``name:value\\n``) + the path with the sorted query (raw values; a key without a value alone).
  Source: https://www.alibabacloud.com/help/en/sdk/product-overview/roa-mechanism

The same functions sign (``rosengine.clients.fc3``) and verify (``fcbackend.fc3.auth``), so the
two cannot drift apart. Every function here is pure and cheap: the backend verifies a signature on
each request, invocations included.
"""

from __future__ import annotations

import base64
import calendar
import functools
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote_plus

ACS3 = "ACS3-HMAC-SHA256"
ROA_PREFIX = "acs "
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
# The headers our client signs: what the official SDK signs, minus its telemetry.
DEFAULT_SIGNED = ("host", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version")


@dataclass(frozen=True)
class Acs3Authorization:
    """The three parts of an ``ACS3-HMAC-SHA256`` Authorization header."""

    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_acs3_authorization(value: str) -> Acs3Authorization | None:
    """The parts of ``ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..``; None when the
    header does not have that shape (so the caller can name what was expected)."""
    if not value.startswith(ACS3 + " "):
        return None
    parts: dict[str, str] = {}
    for item in value[len(ACS3) + 1 :].split(","):
        key, sep, item_value = item.strip().partition("=")
        if not sep:
            return None
        parts[key] = item_value
    credential, signed, signature = (
        parts.get("Credential"),
        parts.get("SignedHeaders"),
        parts.get("Signature"),
    )
    if not credential or signed is None or not signature:
        return None
    return Acs3Authorization(credential, tuple(signed.split(";")) if signed else (), signature)


def parse_roa_authorization(value: str) -> tuple[str, str] | None:
    """``(access key id, signature)`` of ``acs <AK>:<signature>``; None for anything else."""
    if not value.startswith(ROA_PREFIX):
        return None
    key_id, sep, signature = value[len(ROA_PREFIX) :].partition(":")
    if not sep or not key_id or not signature:
        return None
    return key_id, signature


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """Decoded ``(key, value)`` pairs of a raw query string (``+`` is a space, as the SDK's
    ``urlencode`` writes it); a key without ``=`` has the value ``""``."""
    pairs = []
    for item in query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


@functools.lru_cache(maxsize=256)
def canonical_query(query: str) -> str:
    """The ACS3 canonical query of a raw query string: sorted by key, values re-encoded (RFC 3986,
    ``~`` kept), ``k=v`` joined by ``&``. Cached: a client repeats the same query often."""
    pairs = sorted(_query_pairs(query))
    return "&".join(f"{key}={quote(value, safe='~')}" for key, value in pairs)


def acs3_canonical_request(
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: Iterable[str],
    content_sha256: str,
) -> str:
    """The canonical request; ``headers`` have lower-case names, ``raw_path`` is as sent."""
    names = list(signed_headers)
    lines = "".join([f"{name}:{headers.get(name, '').strip()}\n" for name in names])
    return f"{method}\n{raw_path}\n{canonical_query(query)}\n{lines}\n{';'.join(names)}\n{content_sha256}"


@functools.lru_cache(maxsize=8)
def _hmac_sha256(secret: str) -> Any:
    return hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)


def acs3_signature(secret: str, canonical_request: str) -> str:
    """The hex signature of a canonical request."""
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    mac = _hmac_sha256(secret).copy()
    mac.update(f"{ACS3}\n{digest}".encode())
    return mac.hexdigest()


def acs3_date(now: datetime | None = None) -> str:
    """``x-acs-date``: UTC to the second, ``2024-01-02T03:04:05Z``."""
    return (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


_ACS3_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z")


@functools.lru_cache(maxsize=64)
def parse_acs3_date(value: str) -> float | None:
    """Seconds since the epoch of an ``x-acs-date`` value; None when it is not one. (Cached and
    without ``strptime``: a client sends the same date for a whole second, and ``strptime`` alone
    would cost as much as the rest of the signature check.)"""
    match = _ACS3_DATE.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        return None
    return float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))


def sign_acs3(
    *,
    method: str,
    raw_path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    access_key_id: str,
    access_key_secret: str,
    signed: Iterable[str] = DEFAULT_SIGNED,
) -> None:
    """Add ``x-acs-content-sha256`` and ``Authorization`` to ``headers`` (lower-case names, which
    must already hold ``host`` and ``x-acs-date``). Signed: the headers of ``signed`` that are
    present, and every ``x-acs-*`` one."""
    headers["x-acs-content-sha256"] = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    names = sorted(n for n in {*signed, *(k for k in headers if k.startswith("x-acs-"))} if n in headers)
    canonical = acs3_canonical_request(
        method, raw_path, query, headers, names, headers["x-acs-content-sha256"]
    )
    headers["authorization"] = (
        f"{ACS3} Credential={access_key_id},SignedHeaders={';'.join(names)},"
        f"Signature={acs3_signature(access_key_secret, canonical)}"
    )


def roa_string_to_sign(method: str, raw_path: str, query: str, headers: Mapping[str, str]) -> str:
    """The ROA (HMAC-SHA1) string to sign; ``headers`` have lower-case names."""
    head = (
        f"{method}\n{headers.get('accept', '')}\n{headers.get('content-md5', '')}\n"
        f"{headers.get('content-type', '')}\n{headers.get('date', '')}\n"
    )
    acs = "".join(f"{k}:{headers[k]}\n" for k in sorted(k for k in headers if k.startswith("x-acs-")))
    resource = raw_path
    pairs = sorted(dict(_query_pairs(query)).items())
    if pairs:
        resource += "?" + "&".join(f"{k}={v}" if v != "" else k for k, v in pairs)
    return head + acs + resource


def roa_signature(secret: str, string_to_sign: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")
