"""Alibaba Cloud's RPC-style API as RAM and STS speak it: reading a request, checking who signed
it, and answering in JSON or XML.

A request is ``GET`` or ``POST`` to ``/`` with every parameter in the query string or a
form-encoded body (``Action``, ``Version``, ``AccessKeyId``, ``Signature`` ...), signed with the
RPC V1 signature of :mod:`backend_contract.rpc_signing` — what ``aliyunsdkcore`` and the Tea SDKs
with ``signature_algorithm="v2"`` send. The checks and their error codes are the API gateway's,
in its order: the key (``InvalidAccessKeyId.NotFound``/``.Inactive``), the STS token
(``MissingSecurityToken``, ``InvalidSecurityToken.Expired``/``.MismatchWithAccessKey``), the
timestamp (15 minutes either way, ``InvalidTimeStamp.Expired``), the nonce (``SignatureNonceUsed``)
and the signature (``SignatureDoesNotMatch``, with the string the server signed, as the cloud
shows it).

The Tea SDKs' default, the ``ACS3-HMAC-SHA256`` header signature, is verified too, with the
canonicalisation FC 3.0 uses (:mod:`backend_contract.acs3_signing`; the scheme:
https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature):
``Action``/``Version`` in ``x-acs-action``/``x-acs-version``, the parameters in the query or a form
body, the key id in the Authorization header, an STS token in ``x-acs-security-token``, the time
in ``x-acs-date``, the nonce in ``x-acs-signature-nonce`` and the body's SHA-256 in
``x-acs-content-sha256`` (all signed). The same checks in the same order, with the same codes; a
body whose hash is not the signed one is ``SignatureDoesNotMatch`` (INFERRED: the cloud documents
no separate code).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from starlette.types import Receive, Scope

from backend_contract import acs3_signing, rpc_signing
from fcbackend.access import Caller, CredentialError, CredentialStore
from fcbackend.ram import names
from fcbackend.ram.errors import RamError, missing

MAX_BODY = 1 << 20
MAX_CLOCK_SKEW_S = 15 * 60
_CREDENTIAL_ERRORS = {
    "UnknownKey": ("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404),
    "DisabledKey": ("InvalidAccessKeyId.Inactive", "Specified access key is disabled.", 400),
    "ExpiredToken": ("InvalidSecurityToken.Expired", "Specified SecurityToken is expired.", 400),
    "InvalidToken": (
        "InvalidSecurityToken.MismatchWithAccessKey",
        "Specified SecurityToken mismatch with the AccessKey.",
        400,
    ),
}


@dataclass
class RpcRequest:
    method: str
    params: dict[str, str]
    headers: dict[str, str]
    host: str
    client_ip: str
    secure: bool
    request_id: str = ""
    caller: Caller | None = None
    context: dict[str, str] = field(default_factory=dict)
    # As sent: what an ACS3 header signature covers.
    raw_path: str = "/"
    query: str = ""
    body: bytes = b""

    @property
    def action(self) -> str:
        """``Action`` of the RPC signature's parameters, or the ACS3 signature's header."""
        return self.params.get("Action") or self.headers.get("x-acs-action", "")

    @property
    def version(self) -> str:
        return self.params.get("Version") or self.headers.get("x-acs-version", "")

    @property
    def wants_xml(self) -> bool:
        return self.params.get("Format", "JSON").upper() == "XML"


def credential_error(exc: CredentialError) -> RamError:
    """The API gateway's answer to a key that cannot be used."""
    code, message, status = _CREDENTIAL_ERRORS.get(
        exc.kind, ("InvalidAccessKeyId.NotFound", exc.message, 404)
    )
    return RamError(code, f"{message} ({exc.message})", status)


async def read_request(scope: Scope, receive: Receive) -> RpcRequest:
    """The request's parameters (query and form body together) and what policies may test."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    query: bytes = scope.get("query_string", b"")
    params = dict(parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True))
    body = bytearray()
    if scope["method"] in ("POST", "PUT"):
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                raise RamError("InvalidParameter", f"the request body is larger than {MAX_BODY} bytes", 400)
            if not message.get("more_body", False):
                break
        if body and "application/x-www-form-urlencoded" in headers.get("content-type", ""):
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    client = scope.get("client") or ("", 0)
    secure = scope.get("scheme") == "https"
    request = RpcRequest(
        method=scope["method"],
        params=params,
        headers=headers,
        host=headers.get("host", "").split(":")[0].lower(),
        client_ip=str(client[0]),
        secure=secure,
        raw_path=(scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
        query=query.decode("latin-1"),
        body=bytes(body),
    )
    request.context = {
        "acs:SourceIp": request.client_ip,
        "acs:SecureTransport": "true" if secure else "false",
    }
    return request


class NonceWindow:
    """Nonces seen in the last ``MAX_CLOCK_SKEW_S`` seconds: a signed request cannot be replayed."""

    def __init__(self, now: Callable[[], float]):
        self._now = now
        self._seen: set[tuple[str, str]] = set()
        self._order: deque[tuple[float, tuple[str, str]]] = deque()
        self._lock = threading.Lock()

    def first_use(self, access_key_id: str, nonce: str) -> bool:
        now = self._now()
        entry = (access_key_id, nonce)
        with self._lock:
            while self._order and self._order[0][0] < now - MAX_CLOCK_SKEW_S:
                self._seen.discard(self._order.popleft()[1])
            if entry in self._seen:
                return False
            self._seen.add(entry)
            self._order.append((now, entry))
            return True


class RpcAuthenticator:
    """Who signed an RPC request; ``required=False`` (the backend's ``--no-auth``) lets unsigned
    requests through as the root account.

    ``now`` is the wall clock a request's ``Timestamp`` must be close to (as the FC API checks its
    ``Date``), not the clock that dates STS credentials: a test that moves the latter past an
    expiry still sends requests stamped with the real time."""

    def __init__(
        self,
        credentials: CredentialStore,
        root: Caller,
        *,
        required: bool,
        now: Callable[[], float] = time.time,
    ):
        self.credentials = credentials
        self.root = root
        self.required = required
        self._now = now
        self._nonces = NonceWindow(now)

    def authenticate(self, request: RpcRequest) -> Caller:
        params = request.params
        authorization = request.headers.get("authorization", "")
        if "Signature" not in params:
            if authorization.startswith("ACS3-"):
                return self._authenticate_acs3(request, authorization)
            if not self.required:
                return self.root
            raise missing("Signature")
        key_id = params.get("AccessKeyId", "")
        if not key_id:
            raise missing("AccessKeyId")
        token = params.get("SecurityToken") or request.headers.get("x-acs-security-token") or None
        secret, caller = self._resolve(key_id, token)
        self._check_common(params, key_id)
        if not rpc_signing.verify(secret, request.method, params):
            raise RamError(
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation. server string to sign is:"
                + rpc_signing.string_to_sign(request.method, params),
                400,
            )
        return caller

    def _resolve(self, key_id: str, token: str | None) -> tuple[str, Caller]:
        if key_id.startswith(names.STS_PREFIX) and not token:
            raise RamError("MissingSecurityToken", "SecurityToken is mandatory for this action.", 400)
        try:
            return self.credentials.resolve(key_id, token)
        except CredentialError as exc:
            raise credential_error(exc) from None

    def _authenticate_acs3(self, request: RpcRequest, authorization: str) -> Caller:
        """The ``ACS3-HMAC-SHA256`` header signature (see the module docstring)."""
        parsed = acs3_signing.parse_acs3_authorization(authorization)
        if parsed is None:
            raise RamError(
                "IncompleteSignature",
                "The Authorization header must look like 'ACS3-HMAC-SHA256 Credential=<AccessKeyId>,"
                "SignedHeaders=<names>,Signature=<hex>'.",
                400,
            )
        headers = request.headers
        secret, caller = self._resolve(parsed.access_key_id, headers.get("x-acs-security-token") or None)
        stamp = headers.get("x-acs-date", "")
        if not stamp:
            raise missing("x-acs-date")
        sent = acs3_signing.parse_acs3_date(stamp)
        if sent is None:
            raise RamError(
                "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.", 400
            )
        if abs(self._now() - sent) > MAX_CLOCK_SKEW_S:
            raise RamError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400)
        nonce = headers.get("x-acs-signature-nonce", "")
        if not nonce:
            raise missing("x-acs-signature-nonce")
        content_sha = headers.get("x-acs-content-sha256", "")
        if "x-acs-content-sha256" not in parsed.signed_headers or not content_sha:
            raise RamError("IncompleteSignature", "x-acs-content-sha256 must be sent and signed.", 400)
        canonical = acs3_signing.acs3_canonical_request(
            request.method, request.raw_path, request.query, headers, parsed.signed_headers, content_sha
        )
        if not hmac.compare_digest(acs3_signing.acs3_signature(secret, canonical), parsed.signature):
            raise RamError(
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation. server canonical request is:"
                + canonical,
                400,
            )
        if not hmac.compare_digest(hashlib.sha256(request.body).hexdigest(), content_sha.lower()):
            raise RamError(
                "SignatureDoesNotMatch",
                "The request body's SHA-256 is not the signed x-acs-content-sha256.",
                400,
            )
        if not self._nonces.first_use(parsed.access_key_id, nonce):
            raise RamError("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
        return caller

    def _check_common(self, params: Mapping[str, str], key_id: str) -> None:
        method = params.get("SignatureMethod", "")
        if method != rpc_signing.SIGNATURE_METHOD:
            raise RamError(
                "InvalidSignatureMethod",
                f"Specified signature method {method!r} is not supported: use {rpc_signing.SIGNATURE_METHOD}",
                400,
            )
        stamp = params.get("Timestamp", "")
        if not stamp:
            raise missing("Timestamp")
        sent = rpc_signing.parse_timestamp(stamp)
        if sent is None:
            raise RamError(
                "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.", 400
            )
        skew = abs(self._now() - sent.timestamp())
        if skew > MAX_CLOCK_SKEW_S:
            raise RamError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400)
        nonce = params.get("SignatureNonce", "")
        if not nonce:
            raise missing("SignatureNonce")
        if not self._nonces.first_use(key_id, nonce):
            raise RamError("SignatureNonceUsed", "Specified signature nonce was used already.", 400)


# -- answers ------------------------------------------------------------------------------------


def _xml(name: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"<{name}>" + "".join(_xml(k, v) for k, v in value.items()) + f"</{name}>"
    if isinstance(value, list):
        return "".join(_xml(name, item) for item in value)
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape('' if value is None else str(value))}</{name}>"


def render(document: dict[str, Any], root: str, as_xml: bool) -> tuple[bytes, str]:
    """The body and content type of an answer: JSON, or XML under ``<root>`` (lists as repeated
    elements, the way RAM's ``{"Users": {"User": [...]}}`` reads in XML)."""
    if as_xml:
        body = '<?xml version="1.0" encoding="UTF-8"?>' + _xml(root, document)
        return body.encode("utf-8"), "text/xml;charset=utf-8"
    return json.dumps(document, ensure_ascii=False).encode("utf-8"), "application/json;charset=utf-8"


def error_document(error: RamError, request_id: str, host: str) -> dict[str, Any]:
    return {
        "RequestId": request_id,
        "HostId": host or "sts.aliyuncs.com",
        "Code": error.code,
        "Message": error.message,
        "Recommend": "",
    }


def new_request_id() -> str:
    """An id in the cloud's form (an upper-case UUID)."""
    return str(uuid.uuid4()).upper()
