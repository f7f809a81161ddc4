"""Who sent an OSS request: the signature checked against the secret RAM/STS gives for the key.

Accepted: V1 header (``OSS ak:sig``), V4 header (``OSS4-HMAC-SHA256 Credential=…``), and the
presigned URLs of both; the STS token travels as ``x-oss-security-token`` (header, or the
``security-token`` / ``x-oss-security-token`` query parameter of a presigned URL). Failures get
OSS's own codes: an unknown or disabled key ``InvalidAccessKeyId``, an expired token
``SecurityTokenExpired``, a wrong one ``InvalidSecurityToken``, a wrong signature
``SignatureDoesNotMatch`` (with the string the server signed, as OSS returns it), a Date more than
15 minutes off ``RequestTimeTooSkewed``, an expired presigned URL ``AccessDenied``.
"""

from __future__ import annotations

import functools
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from backend_contract import oss_signing
from fcbackend.access import Caller, CredentialError, CredentialStore
from fcbackend.oss.store import OssError

MAX_CLOCK_SKEW_S = 15 * 60
_V4_FIELDS = re.compile(r"(Credential|AdditionalHeaders|Signature)=([^,\s]*)")


@dataclass(frozen=True)
class SignedRequest:
    """What the signature covers, as the server received it (header names lower-cased, the
    query decoded, bucket and key unencoded)."""

    method: str
    bucket: str
    key: str
    headers: Mapping[str, str]
    params: list[tuple[str, str]]


def _credential_error(exc: CredentialError, key_id: str) -> OssError:
    if exc.kind == "ExpiredToken":
        return OssError(
            403, "SecurityTokenExpired", f"The security token you provided has expired: {exc.message}"
        )
    if exc.kind == "InvalidToken":
        return OssError(
            403, "InvalidSecurityToken", f"The security token you provided is invalid: {exc.message}"
        )
    return OssError(
        403,
        "InvalidAccessKeyId",
        f"The OSS Access Key Id you provided does not exist in our records: {exc.message}",
        details={"OSSAccessKeyId": key_id},
    )


def _mismatch(key_id: str, string_to_sign: str, given: str) -> OssError:
    return OssError(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key "
        "and signing method.",
        details={
            "OSSAccessKeyId": key_id,
            "SignatureProvided": given,
            "StringToSign": string_to_sign,
            "StringToSignBytes": " ".join(f"{b:02x}" for b in string_to_sign.encode("utf-8")),
        },
    )


def _check_skew(sent: float | None, now: float, text: str) -> None:
    if sent is None:
        raise OssError(403, "AccessDenied", f"The request date {text!r} could not be read.")
    if abs(now - sent) > MAX_CLOCK_SKEW_S:
        raise OssError(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            details={"RequestTime": text, "ServerTime": datetime.fromtimestamp(now, UTC).isoformat()},
        )


@functools.lru_cache(maxsize=1024)
def _http_date(text: str) -> float | None:
    """Parsed once per distinct date (clients send the same one for a whole second)."""
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError):
        return None


@functools.lru_cache(maxsize=1024)
def _v4_date(text: str) -> float | None:
    """Parsed once per distinct x-oss-date, as :func:`_http_date`."""
    try:
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


class Authenticator:
    def __init__(self, credentials: CredentialStore, now: Callable[[], float]) -> None:
        self.credentials = credentials
        self.now = now  # the backend's clock

    def _resolve(self, key_id: str, token: str | None) -> tuple[str, Caller]:
        try:
            return self.credentials.resolve(key_id, token or None)
        except CredentialError as exc:
            raise _credential_error(exc, key_id) from None

    def authenticate(self, request: SignedRequest) -> Caller | None:
        """The caller, or None for an anonymous request; raises OssError when a signature is
        present and wrong."""
        headers = request.headers
        auth = headers.get("authorization", "")
        params = dict(request.params)
        if auth.startswith("OSS "):
            return self._v1_header(request, auth[4:])
        if auth.startswith(oss_signing.V4_SCHEME + " "):
            return self._v4(request, auth[len(oss_signing.V4_SCHEME) + 1 :], presigned=False)
        if auth.startswith("OSS2 "):
            raise OssError(
                403,
                "AccessDenied",
                "Signature version 2 (OSS2) is not accepted by the local OSS; sign with version 1 or 4.",
            )
        if auth:
            raise OssError(
                400, "InvalidArgument", f"Authorization header {auth.split(' ')[0]!r} is not an OSS scheme."
            )
        if "OSSAccessKeyId" in params and "Signature" in params:
            return self._v1_presigned(request, params)
        if params.get("x-oss-signature-version") == oss_signing.V4_SCHEME:
            return self._v4(request, "", presigned=True)
        return None

    def _v1_header(self, request: SignedRequest, value: str) -> Caller:
        key_id, sep, given = value.rpartition(":")
        if not sep or not key_id:
            raise OssError(
                400, "InvalidArgument", "Authorization must look like 'OSS <AccessKeyId>:<Signature>'."
            )
        secret, caller = self._resolve(key_id, request.headers.get(oss_signing.SECURITY_TOKEN_HEADER))
        date_text = request.headers.get("x-oss-date") or request.headers.get("date", "")
        _check_skew(_http_date(date_text), self.now(), date_text)
        text = oss_signing.v1_string_to_sign(
            request.method, request.bucket, request.key, request.headers, request.params
        )
        if not hmac.compare_digest(oss_signing.v1_signature(secret, text), given):
            raise _mismatch(key_id, text, given)
        return caller

    def _v1_presigned(self, request: SignedRequest, params: dict[str, str]) -> Caller:
        key_id, given, expires = params["OSSAccessKeyId"], params["Signature"], params.get("Expires", "")
        secret, caller = self._resolve(key_id, params.get("security-token"))
        if not expires.isdigit():
            raise OssError(
                403, "AccessDenied", "A presigned URL needs an Expires time (seconds since the epoch)."
            )
        if int(expires) < self.now():
            raise OssError(403, "AccessDenied", "Request has expired.", details={"Expires": expires})
        signed = [(k, v) for k, v in request.params if k not in ("OSSAccessKeyId", "Signature", "Expires")]
        text = oss_signing.v1_string_to_sign(
            request.method, request.bucket, request.key, request.headers, signed, date=expires
        )
        if not hmac.compare_digest(oss_signing.v1_signature(secret, text), given):
            raise _mismatch(key_id, text, given)
        return caller

    def _v4(self, request: SignedRequest, header: str, *, presigned: bool) -> Caller:
        params = dict(request.params)
        if presigned:
            credential = params.get("x-oss-credential", "")
            given = params.get("x-oss-signature", "")
            additional = [h for h in params.get("x-oss-additional-headers", "").split(";") if h]
            timestamp = params.get("x-oss-date", "")
            token = params.get("x-oss-security-token")
        else:
            fields = dict(_V4_FIELDS.findall(header))
            credential = fields.get("Credential", "")
            given = fields.get("Signature", "")
            additional = [h for h in fields.get("AdditionalHeaders", "").split(";") if h]
            timestamp = request.headers.get("x-oss-date", "")
            token = request.headers.get(oss_signing.SECURITY_TOKEN_HEADER)
        parts = credential.split("/")
        if len(parts) != 5 or parts[3] != oss_signing.V4_PRODUCT or parts[4] != oss_signing.V4_TERMINATOR:
            raise OssError(
                400,
                "InvalidArgument",
                "The V4 Credential must be <AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request.",
            )
        key_id, date, region = parts[0], parts[1], parts[2]
        secret, caller = self._resolve(key_id, token)
        sent = _v4_date(timestamp)
        if sent is None or timestamp[:8] != date:
            raise OssError(
                403, "AccessDenied", f"x-oss-date {timestamp!r} is missing or does not match the scope date."
            )
        if presigned:
            expires = params.get("x-oss-expires", "")
            if not expires.isdigit() or sent + int(expires) < self.now():
                raise OssError(403, "AccessDenied", "Request has expired.")
            signed = [(k, v) for k, v in request.params if k != "x-oss-signature"]
        else:
            _check_skew(sent, self.now(), timestamp)
            signed = request.params
        canonical = oss_signing.v4_canonical_request(
            request.method, request.bucket, request.key, request.headers, signed, additional
        )
        if not hmac.compare_digest(oss_signing.v4_signature(secret, timestamp, region, canonical), given):
            raise _mismatch(key_id, oss_signing.v4_string_to_sign(timestamp, region, canonical), given)
        return caller
