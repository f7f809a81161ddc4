"""Which requests on the backend's one endpoint are OSS requests, and where they are addressed.

The rule (docs/oss.md says it for users), decided on the request line and headers only:

1. **Host** ``<bucket>.oss-<region>[-internal].aliyuncs.com`` (virtual-host style: the bucket is
   in the host) or ``oss-<region>[-internal].aliyuncs.com`` (path style: the bucket is the first
   path segment) — what function code sends through the ``*.aliyuncs.com`` gateway (which hands
   OSS hosts to the backend's app: ``fcbackend.twins``). A host is OSS's or not whatever the
   request carries (:func:`oss_host`).
2. Otherwise (the backend's own ``127.0.0.1:<port>``, where ``oss2`` goes path-style) an OSS
   **signature**: ``Authorization: OSS …`` (V1), ``OSS4-HMAC-SHA256 …`` (V4) or ``OSS2 …``, or a
   presigned URL (``OSSAccessKeyId`` + ``Signature``, or ``x-oss-signature-version``).

The FC APIs sign with ``FC …`` under ``/2016-08-15/`` and ``/2023-03-30/``, SLS with ``LOG …``,
RAM/STS with RPC query parameters (``Action`` + ``Signature``) or ``ACS3-HMAC-SHA256``: no two
services claim the same request. An anonymous path-style request to 127.0.0.1 is not OSS's (an
anonymous OSS read of a public bucket needs an OSS host name).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from starlette.types import Scope

_HOST = re.compile(
    r"(?:(?P<bucket>[a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.)?"
    r"oss-(?P<region>[a-z0-9]+(?:-[a-z0-9]+)*?)(?P<internal>-internal)?\.aliyuncs\.com"
)
_AUTH_SCHEMES = (b"OSS ", b"OSS4-HMAC-SHA256 ", b"OSS2 ")


@dataclass(frozen=True)
class OssHost:
    """An OSS host name: the bucket it names (virtual-host style), its region, and whether it is
    the internal (VPC) endpoint."""

    bucket: str | None
    region: str
    internal: bool

    @property
    def endpoint(self) -> str:
        return f"oss-{self.region}{'-internal' if self.internal else ''}.aliyuncs.com"


@functools.lru_cache(maxsize=256)
def oss_host(host: str) -> OssHost | None:
    """The OSS host ``host`` names (a port is ignored), or None when it is not one (remembered:
    every request asks, and a backend sees few distinct hosts)."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    match = _HOST.fullmatch(name.strip().lower().rstrip("."))
    if match is None:
        return None
    return OssHost(match["bucket"], match["region"], bool(match["internal"]))


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value)
    return None


def is_oss_request(scope: Scope) -> bool:
    """The dispatch rule of the module docstring, for an ASGI HTTP scope."""
    host = _header(scope, b"host")
    if host is not None and oss_host(host.decode("latin-1")) is not None:
        return True
    auth = _header(scope, b"authorization")
    if auth is not None:
        return auth.startswith(_AUTH_SCHEMES)
    query: bytes = scope.get("query_string", b"")
    return (b"OSSAccessKeyId=" in query and b"Signature=" in query) or b"x-oss-signature-version=" in query
