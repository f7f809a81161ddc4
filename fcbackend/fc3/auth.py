"""Verifying FC 3.0 request signatures (ACS3-HMAC-SHA256 and ROA HMAC-SHA1, see
:mod:`backend_contract.acs3_signing`) with the backend's access key.

Called by the API middleware for every path under ``/2023-03-30/`` (and by the invoke fast path),
before any handler runs. The body hash claimed in ``x-acs-content-sha256`` is part of what is
signed; that it matches the body that arrived is checked where the body is read
(:func:`fcbackend.fc3.http.read_body`, the invoke path).

Errors (403 unless the request is malformed): ``AccessDenied`` (unsigned, or a scheme we do not
know — the message names the accepted ones), ``InvalidAccessKeyID``, ``SignatureNotMatch``,
``RequestTimeTooSkewed`` (``x-acs-date``/``date`` more than 15 minutes off), 400
``MissingRequiredHeader`` / ``InvalidArgument`` for a missing or unreadable date.
"""

from __future__ import annotations

import functools
import hmac
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from backend_contract import acs3_signing as signing
from fcbackend.api.errors import FcError
from fcbackend.backend_config import BackendConfig

MAX_CLOCK_SKEW_S = 15 * 60


@functools.lru_cache(maxsize=64)
def _http_date(value: str) -> float | None:
    """Seconds since the epoch of an RFC 1123 ``Date`` (cached: the same for a whole second)."""
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


_SCHEMES = "'ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..' or 'acs <AccessKeyId>:<Signature>'"


def _check_time(sent: float | None, header: str, value: str) -> None:
    if sent is None:
        raise FcError(400, "InvalidArgument", f"the {header} header '{value}' is not a valid date")
    if abs(time.time() - sent) > MAX_CLOCK_SKEW_S:
        raise FcError(
            403,
            "RequestTimeTooSkewed",
            f"the {header} header ({value}) differs from the server time by more than 15 minutes",
        )


def _check_key(config: BackendConfig, key_id: str) -> None:
    if key_id != config.access_key_id:
        raise FcError(403, "InvalidAccessKeyID", f"the access key id '{key_id}' is not known to this backend")


def _mismatch() -> FcError:
    return FcError(
        403,
        "SignatureNotMatch",
        "the request signature does not match; check the access key secret and the signed headers",
    )


def check_fc3_signature(
    config: BackendConfig, method: str, raw_path: str, query: str, headers: Mapping[str, str]
) -> None:
    """Raise :class:`FcError` unless the request is signed with the backend's key. ``headers``
    have lower-case names; ``raw_path`` is the path as sent (percent-encoded)."""
    auth = headers.get("authorization")
    if not auth:
        if headers.get("x-acs-bearer-token"):
            raise FcError(
                403, "AccessDenied", "bearer tokens are not accepted here; sign with the access key"
            )
        raise FcError(
            403, "AccessDenied", f"the request is not signed: an Authorization header {_SCHEMES} is required"
        )
    parsed = signing.parse_acs3_authorization(auth)
    if parsed is not None:
        _check_key(config, parsed.access_key_id)
        date = headers.get("x-acs-date")
        if not date:
            raise FcError(
                400, "MissingRequiredHeader", "the x-acs-date header is required on signed requests"
            )
        _check_time(signing.parse_acs3_date(date), "x-acs-date", date)
        content_sha = headers.get("x-acs-content-sha256", "")
        if "x-acs-content-sha256" not in parsed.signed_headers or not content_sha:
            raise FcError(400, "InvalidArgument", "x-acs-content-sha256 must be sent and signed")
        canonical = signing.acs3_canonical_request(
            method, raw_path, query, headers, parsed.signed_headers, content_sha
        )
        if not hmac.compare_digest(
            signing.acs3_signature(config.access_key_secret, canonical), parsed.signature
        ):
            raise _mismatch()
        return
    roa = signing.parse_roa_authorization(auth)
    if roa is None:
        raise FcError(403, "AccessDenied", f"the Authorization header must look like {_SCHEMES}")
    key_id, given = roa
    _check_key(config, key_id)
    date = headers.get("date")
    if not date:
        raise FcError(400, "MissingRequiredHeader", "the Date header is required on ROA-signed requests")
    _check_time(_http_date(date), "Date", date)
    expected = signing.roa_signature(
        config.access_key_secret, signing.roa_string_to_sign(method, raw_path, query, headers)
    )
    if not hmac.compare_digest(expected, given):
        raise _mismatch()
