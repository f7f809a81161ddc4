"""One OSS request as the operations see it: addressing, caller, body, and answers.

Why one object: every operation needs the same few things — the bucket and key it addresses,
who is calling and whether RAM allows it, the body (spooled and checked, or a small XML
document), and answers carrying OSS's common headers (``x-oss-request-id``, ``Date``,
``Server: AliyunOSS``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope

from fcbackend.access import AccessDenied, Authorizer, Caller
from fcbackend.oss.api.hosts import OssHost
from fcbackend.oss.api.xml_documents import Document, parse
from fcbackend.oss.service import EventOrigin, OssService
from fcbackend.oss.spool import INLINE_BYTES, BodyTooLarge, SpooledFile, Spooler, spool_bytes
from fcbackend.oss.store import OssError

# OSS's limits (https://www.alibabacloud.com/help/en/oss/user-guide/limits)
MAX_PUT_BYTES = 5 * 1024**3
MAX_USER_META_BYTES = 8 * 1024
READ_ACLS = ("public-read", "public-read-write")


@functools.lru_cache(maxsize=4096)
def http_date_at(second: int) -> str:
    """RFC 1123 date of a whole second (``Date``, ``Last-Modified``): formatting one costs more
    than the rest of a small answer's headers, and answers come many to a second."""
    return formatdate(second, usegmt=True)


def http_date_now() -> str:
    return http_date_at(int(time.time()))


@dataclass(frozen=True)
class OssSettings:
    account_id: str
    region: str


class ClientGone(Exception):
    """The client disconnected before its body arrived whole."""


@dataclass
class OssRequest:
    scope: Scope
    receive: Receive
    method: str
    bucket: str
    key: str
    params: list[tuple[str, str]]
    headers: dict[str, str]
    host: OssHost | None
    host_id: str
    request_id: str
    service: OssService
    settings: OssSettings
    authorizer: Authorizer
    caller: Caller | None = None

    # -- addressing ---------------------------------------------------------------------------

    def param(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return default

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self.params)

    @property
    def region(self) -> str:
        return self.host.region if self.host is not None else self.settings.region

    @property
    def source_ip(self) -> str:
        client = self.scope.get("client")
        return str(client[0]) if client else "127.0.0.1"

    @property
    def origin(self) -> EventOrigin:
        principal = self.caller.access_key_id if self.caller is not None else "anonymous"
        return EventOrigin(self.request_id, self.source_ip, principal)

    def resource(self, bucket: str | None = None, key: str | None = None) -> str:
        bucket = self.bucket if bucket is None else bucket
        key = self.key if key is None else key
        if not bucket:
            return f"acs:oss:*:{self.settings.account_id}:*"
        return f"acs:oss:*:{self.settings.account_id}:{bucket}" + (f"/{key}" if key else "")

    # -- permission ---------------------------------------------------------------------------

    def authorize(self, action: str, resource: str, *, public: str | None = None) -> None:
        """RAM decides for a signed request; an anonymous one passes only where the bucket's (or
        object's) ACL grants ``public`` ("read" or "write")."""
        if self.caller is None:
            if public is not None and self._public_allows(public):
                return
            raise OssError(
                403,
                "AccessDenied",
                "You have no right to access this resource: the request is anonymous and the ACL does "
                "not grant public access.",
            )
        context = {"acs:SourceIp": self.source_ip, "acs:SecureTransport": "false"}
        for name in ("prefix", "delimiter"):
            value = self.param(name)
            if value is not None:
                context[f"oss:{name.capitalize()}"] = value
        try:
            self.authorizer.authorize(self.caller, action, resource, context)
        except AccessDenied as exc:
            raise OssError(
                403,
                "AccessDenied",
                f"You have no right to access this resource: {exc.reason}",
                details={"Action": action, "Resource": resource},
            ) from None

    def _public_allows(self, need: str) -> bool:
        if not self.bucket:
            return False
        try:
            acl = self.service.store.bucket(self.bucket).acl
            if self.key and need == "read":
                object_acl = self.service.store.head(self.bucket, self.key).acl
                if object_acl != "default":
                    acl = object_acl
        except OssError:
            return False
        return acl in READ_ACLS if need == "read" else acl == "public-read-write"

    # -- body ---------------------------------------------------------------------------------

    def _declared_length(self, limit: int) -> int | None:
        text = self.headers.get("content-length")
        if text is None:
            if "chunked" not in self.headers.get("transfer-encoding", ""):
                raise OssError(
                    411, "MissingContentLength", "You must provide the Content-Length HTTP header."
                )
            return None
        if not text.isdigit():
            raise OssError(400, "InvalidArgument", f"Content-Length {text!r} is not a number.")
        length = int(text)
        if length > limit:
            raise OssError(
                400,
                "EntityTooLarge",
                f"Your proposed upload of {length} bytes exceeds the maximum allowed size of {limit} bytes.",
                details={"MaxSizeAllowed": str(limit), "ProposedSize": str(length)},
            )
        return length

    def _expected_md5(self) -> bytes | None:
        text = self.headers.get("content-md5")
        if text is None:
            return None
        try:
            digest = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) != 16:
            raise OssError(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
        return digest

    async def spool(self, limit: int = MAX_PUT_BYTES) -> SpooledFile:
        """The body in a temporary file, complete and matching Content-MD5 (else nothing kept).
        A small body (Content-Length up to :data:`INLINE_BYTES`) is received in memory and
        written only once it is whole and checked."""
        length = self._declared_length(limit)
        expected = self._expected_md5()
        if length is not None and length <= INLINE_BYTES:
            data = await self._small_body(length)
            md5 = hashlib.md5(data).digest()
            if expected is not None and md5 != expected:
                raise OssError(
                    400, "InvalidDigest", "The Content-MD5 you specified did not match what we received."
                )
            return spool_bytes(self.service.store.tmp_path, data, md5)
        spooler = Spooler(self.service.store.tmp_path, limit)
        try:
            async for chunk in self._chunks():
                await spooler.write(chunk)
            spooled = await spooler.finish()
        except BodyTooLarge:
            spooler.abort()
            raise OssError(
                400, "EntityTooLarge", f"Your upload exceeds the maximum allowed size of {limit} bytes."
            ) from None
        except BaseException:
            spooler.abort()
            raise
        if length is not None and spooled.size != length:
            spooled.discard()
            raise OssError(
                400, "IncompleteBody", f"The body has {spooled.size} bytes; Content-Length said {length}."
            )
        if expected is not None and spooled.md5 != expected:
            spooled.discard()
            raise OssError(
                400, "InvalidDigest", "The Content-MD5 you specified did not match what we received."
            )
        return spooled

    async def _small_body(self, length: int) -> bytes | bytearray:
        """The whole body of a request that declared ``length`` bytes (at most INLINE_BYTES)."""
        data: bytes | bytearray = b""
        async for chunk in self._chunks():
            if not data:
                data = chunk  # the common case: the body arrives in one message
            else:
                if isinstance(data, bytes):
                    data = bytearray(data)
                data += chunk
            if len(data) > length:
                break
        if len(data) != length:
            raise OssError(
                400, "IncompleteBody", f"The body has {len(data)} bytes; Content-Length said {length}."
            )
        return data

    async def read_body(self, limit: int) -> bytes:
        length = self._declared_length(limit) if self.headers.get("content-length") else None
        expected = self._expected_md5()
        data = bytearray()
        async for chunk in self._chunks():
            data += chunk
            if len(data) > limit:
                raise OssError(400, "EntityTooLarge", f"The request body exceeds {limit} bytes.")
        if length is not None and len(data) != length:
            raise OssError(
                400, "IncompleteBody", f"The body has {len(data)} bytes; Content-Length said {length}."
            )
        if expected is not None and hashlib.md5(data).digest() != expected:
            raise OssError(
                400, "InvalidDigest", "The Content-MD5 you specified did not match what we received."
            )
        return bytes(data)

    async def xml_body(self, root: str, limit: int = 2 * 1024 * 1024) -> Any:
        return parse(await self.read_body(limit), root)

    async def _chunks(self) -> Any:
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientGone()
            body = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                return

    # -- answers ------------------------------------------------------------------------------

    def common_headers(self) -> dict[str, str]:
        return {"x-oss-request-id": self.request_id, "Date": http_date_now(), "Server": "AliyunOSS"}

    def xml(self, doc: Document, *, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        return Response(
            doc.to_bytes(),
            status_code=status,
            headers={**self.common_headers(), **(headers or {})},
            media_type="application/xml",
        )

    def empty(self, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        return Response(b"", status_code=status, headers={**self.common_headers(), **(headers or {})})
