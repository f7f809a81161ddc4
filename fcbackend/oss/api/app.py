"""The OSS HTTP API as an ASGI application, and :class:`OssFront`, which hands it its requests.

A request is addressed (bucket and key from the Host or the path), authenticated
(:mod:`~fcbackend.oss.api.signature`), dispatched on method + sub-resource to an operation, and
every failure answered as OSS does: an ``<Error>`` XML body with Code, Message, RequestId, HostId
(and the details the code carries), ``x-oss-request-id``; a HEAD's error travels base64-encoded
in the ``x-oss-err`` header since HEAD has no body.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from random import getrandbits
from urllib.parse import parse_qsl, unquote

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from fcbackend.access import Authorizer, Caller, CredentialStore
from fcbackend.oss.api import bucket_ops, object_ops
from fcbackend.oss.api.context import ClientGone, OssRequest, OssSettings, http_date_now
from fcbackend.oss.api.hosts import is_oss_request, oss_host
from fcbackend.oss.api.signature import Authenticator, SignedRequest
from fcbackend.oss.api.xml_documents import error_document
from fcbackend.oss.service import OssService
from fcbackend.oss.store import OssError

_log = logging.getLogger("fcbackend.oss")
Operation = Callable[[OssRequest], Awaitable[Response]]


def new_request_id() -> str:
    """24 upper-case hex digits, the shape of OSS's request ids."""
    return f"{getrandbits(96):024X}"


def _not_emulated(what: str) -> Operation:
    async def refuse(req: OssRequest) -> Response:
        raise OssError(501, "NotImplemented", f"{what} is not emulated by the local OSS.")

    return refuse


def operation(req: OssRequest) -> Operation:
    """The operation a request names (method, bucket/key, sub-resource)."""
    method, has = req.method, req.has
    if not req.bucket:
        if method == "GET":
            return bucket_ops.list_buckets
        return _not_emulated(f"{method} on the service")
    if not req.key:
        for name in bucket_ops.DOCUMENTS:
            if has(name):
                verbs = {
                    "PUT": bucket_ops.put_document,
                    "GET": bucket_ops.get_document,
                    "DELETE": bucket_ops.delete_document,
                }
                if method in verbs:
                    return partial(verbs[method], name=name)
        table: dict[tuple[str, str], Operation] = {
            ("GET", "acl"): bucket_ops.get_bucket_acl,
            ("PUT", "acl"): bucket_ops.put_bucket_acl,
            ("GET", "tagging"): bucket_ops.get_bucket_tagging,
            ("PUT", "tagging"): bucket_ops.put_bucket_tagging,
            ("DELETE", "tagging"): bucket_ops.delete_bucket_tagging,
            ("GET", "bucketInfo"): bucket_ops.get_bucket_info,
            ("GET", "location"): bucket_ops.get_bucket_location,
            ("GET", "stat"): bucket_ops.get_bucket_stat,
            ("GET", "uploads"): object_ops.list_uploads,
            ("POST", "delete"): bucket_ops.delete_multiple_objects,
        }
        for (verb, sub), op in table.items():
            if method == verb and has(sub):
                return op
        plain: dict[str, Operation] = {
            "PUT": bucket_ops.put_bucket,
            "DELETE": bucket_ops.delete_bucket,
            "GET": bucket_ops.list_objects,
            "HEAD": bucket_ops.head_bucket,
        }
        subs = [k for k, _ in req.params if k in _BUCKET_SUBRESOURCES]
        if subs:
            return _not_emulated(f"{method} ?{subs[0]} on a bucket")
        return plain.get(method) or _not_emulated(f"{method} on a bucket")
    if has("uploadId"):
        multipart = {
            "PUT": object_ops.upload_part,
            "POST": object_ops.complete_upload,
            "DELETE": object_ops.abort_upload,
            "GET": object_ops.list_parts,
        }
        return multipart.get(method) or _not_emulated(f"{method} with uploadId")
    if method == "POST":
        if has("uploads"):
            return object_ops.initiate_upload
        if has("append"):
            return object_ops.append_object
        return _not_emulated("this POST on an object (PostObject form uploads)")
    if has("acl"):
        return {"GET": object_ops.get_object_acl, "PUT": object_ops.put_object_acl}.get(
            method
        ) or _not_emulated(f"{method} ?acl on an object")
    subs = [k for k, _ in req.params if k in _OBJECT_SUBRESOURCES]
    if subs:
        return _not_emulated(f"?{subs[0]} on an object")
    if method == "PUT":
        return object_ops.copy_object if "x-oss-copy-source" in req.headers else object_ops.put_object
    if method == "GET":
        return object_ops.get_object
    if method == "HEAD":
        return object_ops.get_object_meta if has("objectMeta") else partial(object_ops.get_object, head=True)
    if method == "DELETE":
        return object_ops.delete_object
    return _not_emulated(f"{method} on an object")


_BUCKET_SUBRESOURCES = {
    "cname", "inventory", "replication", "worm", "qos", "requestPayment", "transferAcceleration",
    "versions", "style", "metaQuery", "resourceGroup", "httpsConfig", "publicAccessBlock", "live",
}  # fmt: skip
_OBJECT_SUBRESOURCES = {"tagging", "symlink", "restore", "x-oss-process", "select", "versionId"}


class OssApi:
    def __init__(
        self,
        service: OssService,
        *,
        credentials: CredentialStore,
        authorizer: Authorizer,
        settings: OssSettings,
        unsigned_caller: Caller | None = None,
    ) -> None:
        """``unsigned_caller``: when given, signatures are not checked and every request acts as
        this caller (the backend's ``--no-auth``)."""
        self.service = service
        self.authorizer = authorizer
        self.settings = settings
        self.authenticator = Authenticator(credentials, service.store.clock.time)
        self.unsigned_caller = unsigned_caller

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host_header = headers.get("host", "")
        host = oss_host(host_header)
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        path = raw_path.decode("latin-1").split("?", 1)[0]
        if host is not None and host.bucket:
            bucket, key = host.bucket, unquote(path.lstrip("/"), encoding="utf-8")
        else:
            first, _, rest = path.lstrip("/").partition("/")
            bucket, key = unquote(first), unquote(rest, encoding="utf-8")
        params = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        params = [(k, v.encode("latin-1").decode("utf-8", "replace")) for k, v in params]
        req = OssRequest(
            scope,
            receive,
            scope["method"],
            bucket,
            key,
            params,
            headers,
            host,
            host_header.split(":")[0] or "127.0.0.1",
            new_request_id(),
            self.service,
            self.settings,
            self.authorizer,
        )
        try:
            if self.unsigned_caller is None:
                req.caller = self.authenticator.authenticate(
                    SignedRequest(req.method, bucket, key, headers, params)
                )
            else:
                req.caller = self.unsigned_caller
            response = await operation(req)(req)
        except OssError as exc:
            response = self.error(req, exc)
        except ClientGone:
            return
        except Exception:
            _log.exception("OSS %s %s failed", req.method, path)
            response = self.error(
                req, OssError(500, "InternalError", "We encountered an internal error. Please try again.")
            )
        await response(scope, receive, send)

    def error(self, req: OssRequest, exc: OssError) -> Response:
        body = error_document(exc.code, exc.message, req.request_id, req.host_id, exc.details)
        headers = {
            "x-oss-request-id": req.request_id,
            "Date": http_date_now(),
            "Server": "AliyunOSS",
            **exc.headers,
        }
        if exc.status == 304:
            return Response(b"", status_code=304, headers=headers)
        if req.method == "HEAD":
            headers["x-oss-err"] = base64.b64encode(body).decode("ascii")
            return Response(b"", status_code=exc.status, headers=headers)
        return Response(body, status_code=exc.status, headers=headers, media_type="application/xml")


class OssFront:
    """ASGI middleware: OSS requests (:func:`~fcbackend.oss.api.hosts.is_oss_request`) go to the
    OSS API, everything else to the app it wraps. Mounted outermost, so no FC layer sees them."""

    def __init__(self, app: ASGIApp, api: OssApi) -> None:
        self.app = app
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_oss_request(scope):
            await self.api(scope, receive, send)
            return
        await self.app(scope, receive, send)
