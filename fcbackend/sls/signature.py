"""Who signed an SLS request: version-1 (``LOG``) and version-4 (``SLS4-HMAC-SHA256``) signatures
checked with :mod:`backend_contract.sls_signing`, the secret coming from the identity contract's
:class:`~fcbackend.access.CredentialStore`.

Errors as SLS gives them (https://www.alibabacloud.com/help/en/sls/developer-reference/error-codes):
an unknown, disabled or expired key or token is ``401 Unauthorized``, a wrong signature ``401
SignatureNotMatch``, a ``Date`` more than 15 minutes off ``400 RequestTimeExpired``, an unreadable
one ``400 InvalidDateFormat``; a body whose ``Content-MD5`` (or version 4's
``x-log-content-sha256``) does not match is refused before anything else happens.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from backend_contract import sls_signing
from fcbackend.access import Caller, CredentialError, CredentialStore
from fcbackend.sls.errors import SlsError, parameter_invalid, unauthorized

MAX_CLOCK_SKEW_S = 15 * 60
_TOKEN_MESSAGES = {
    "UnknownKey": "AccessKeyId not found: {key}",
    "DisabledKey": "AccessKeyId is disabled: {key}",
    "ExpiredToken": "The security token you provided has expired",
    "InvalidToken": "The security token you provided is invalid",
}


class SlsAuthenticator:
    """Verifies requests; ``required=False`` (the backend's ``--no-auth``) lets unsigned ones in
    as ``anonymous`` (who is then the root caller), while signed ones are still checked."""

    def __init__(
        self,
        credentials: CredentialStore,
        anonymous: Caller,
        *,
        required: bool = True,
        now: Callable[[], float] = time.time,
    ):
        self.credentials = credentials
        self.anonymous = anonymous
        self.required = required
        self.now = now

    def caller(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Caller:
        """The caller of a request (``headers`` with lower-case names); raises :class:`SlsError`."""
        authorization = headers.get("authorization", "")
        if not authorization:
            if not self.required:
                return self.anonymous
            raise unauthorized("the request is not signed: an Authorization header is required")
        self._check_body_digest(headers, body)
        v1 = sls_signing.parse_v1_authorization(authorization)
        if v1 is not None:
            return self._verify_v1(v1, method, path, params, headers)
        v4 = sls_signing.parse_v4_authorization(authorization)
        if v4 is not None:
            return self._verify_v4(v4, method, path, params, headers, body)
        raise parameter_invalid(
            "Http extend authorization : the Authorization header must be 'LOG <AccessKeyId>:<Signature>' "
            "or 'SLS4-HMAC-SHA256 Credential=...,Signature=...'"
        )

    def _resolve(self, key_id: str, headers: Mapping[str, str]) -> tuple[str, Caller]:
        token = headers.get("x-acs-security-token") or None
        try:
            return self.credentials.resolve(key_id, token)
        except CredentialError as exc:
            template = _TOKEN_MESSAGES.get(exc.kind, "{message}")
            raise unauthorized(template.format(key=key_id, message=exc.message)) from None

    def _check_body_digest(self, headers: Mapping[str, str], body: bytes) -> None:
        given = headers.get("content-md5")
        if given and body and not hmac.compare_digest(given.upper(), sls_signing.content_md5(body)):
            raise parameter_invalid("Content-MD5 does not match the MD5 of the body")

    def _check_skew(self, sent: float) -> None:
        if abs(self.now() - sent) > MAX_CLOCK_SKEW_S:
            raise SlsError(
                400,
                "RequestTimeExpired",
                "Request time has been expired: it differs from the server time by more than 15 minutes",
            )

    def _verify_v1(
        self,
        parsed: tuple[str, str],
        method: str,
        path: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
    ) -> Caller:
        key_id, signature = parsed
        date = headers.get("date") or headers.get("x-log-date") or ""
        if not date:
            raise SlsError(400, "MissingDate", "Date does not exist in http header.")
        try:
            sent = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            raise SlsError(400, "InvalidDateFormat", f"Date {date} must follow RFC822.") from None
        self._check_skew(sent)
        secret, caller = self._resolve(key_id, headers)
        signed_headers = dict(headers)
        signed_headers.setdefault("date", date)
        expected = sls_signing.v1_signature(
            secret, sls_signing.v1_string_to_sign(method, path, params, signed_headers)
        )
        if not hmac.compare_digest(expected, signature):
            raise SlsError(401, "SignatureNotMatch", f"Signature {signature} not matched.")
        return caller

    def _verify_v4(
        self,
        credential: sls_signing.V4Credential,
        method: str,
        path: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Caller:
        stamp = headers.get("x-log-date", "")
        try:
            sent = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
        except ValueError:
            raise SlsError(
                400, "InvalidDateFormat", f"x-log-date {stamp!r} must look like 20240102T030405Z"
            ) from None
        self._check_skew(sent)
        if credential.date != stamp[:8]:
            raise SlsError(401, "SignatureNotMatch", "the credential scope's date differs from x-log-date")
        content_sha256 = headers.get("x-log-content-sha256", "")
        actual = hashlib.sha256(body).hexdigest() if body else sls_signing.EMPTY_SHA256
        if content_sha256 != actual:
            raise parameter_invalid("x-log-content-sha256 does not match the SHA-256 of the body")
        secret, caller = self._resolve(credential.access_key_id, headers)
        canonical, _ = sls_signing.v4_canonical_request(method, path, params, headers, content_sha256)
        scope = sls_signing.v4_scope(credential.date, credential.region)
        expected = sls_signing.v4_signature(
            secret, credential.date, credential.region, sls_signing.v4_string_to_sign(stamp, scope, canonical)
        )
        if not hmac.compare_digest(expected, credential.signature):
            raise SlsError(401, "SignatureNotMatch", f"Signature {credential.signature} not matched.")
        return caller
