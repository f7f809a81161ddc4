"""The local object store over HTTP, mounted in the backend at ``/oss``.

A small API of our own (not OSS's XML protocol — no OSS SDK targets a local endpoint here):

===========  =========================  ==============================================
GET          /oss                       ``{"buckets": [names]}``
PUT/DELETE   /oss/{bucket}              create (201; 200 if it existed) / delete (204, must be empty)
GET          /oss/{bucket}              list: ``prefix``, ``delimiter``, ``marker``, ``max-keys``
PUT          /oss/{bucket}/{key}        upload the body (fires ``ObjectCreated:PutObject``)
GET / HEAD   /oss/{bucket}/{key}        download / metadata (ETag, Content-Type, Last-Modified)
DELETE       /oss/{bucket}/{key}        delete (204; fires ``ObjectRemoved:DeleteObject``)
===========  =========================  ==============================================

Errors are JSON ``{"ErrorCode", "ErrorMessage"}`` like the rest of the backend. The service is
found at ``request.app.state.oss_service`` (an :class:`~fcbackend.oss.service.OssService`).
"""

from __future__ import annotations

from email.utils import formatdate
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fcbackend.oss.service import OssService
from fcbackend.oss.store import ObjectInfo, OssError

MAX_OBJECT_BYTES = 5 * 1024**3  # OSS's single PutObject limit


def _service(request: Request) -> OssService:
    service = getattr(request.app.state, "oss_service", None)
    if service is None:
        raise OssError(503, "ServiceUnavailable", "the local object store is not enabled in this backend")
    return service


def _error(exc: OssError) -> JSONResponse:
    return JSONResponse(
        {
            "ErrorCode": exc.code,
            "ErrorMessage": exc.message,
            "errorCode": exc.code,
            "errorMessage": exc.message,
        },
        status_code=exc.status,
    )


def _object_headers(info: ObjectInfo) -> dict[str, str]:
    return {
        "ETag": f'"{info.etag}"',
        "Content-Type": info.content_type,
        "Last-Modified": formatdate(info.last_modified, usegmt=True),
        "x-oss-object-size": str(info.size),
    }


async def list_buckets(request: Request) -> Response:
    try:
        return JSONResponse({"buckets": _service(request).store.list_buckets()})
    except OssError as exc:
        return _error(exc)


async def bucket(request: Request) -> Response:
    name = request.path_params["bucket"]
    try:
        service = _service(request)
        if request.method == "PUT":
            created = service.store.create_bucket(name)
            return JSONResponse({"bucket": name}, status_code=201 if created else 200)
        if request.method == "DELETE":
            service.store.delete_bucket(name)
            return Response(status_code=204)
        q = request.query_params
        try:
            max_keys = int(q.get("max-keys", "1000"))
        except ValueError:
            raise OssError(400, "InvalidArgument", "max-keys must be an integer 1-1000") from None
        if not 1 <= max_keys <= 1000:
            raise OssError(400, "InvalidArgument", "max-keys must be an integer 1-1000")
        listing = await service.list(
            name,
            prefix=q.get("prefix", ""),
            delimiter=q.get("delimiter", ""),
            marker=q.get("marker", ""),
            max_keys=max_keys,
        )
        body: dict[str, object] = {
            "bucket": name,
            "objects": [o.to_dict() for o in listing.objects],
            "commonPrefixes": listing.common_prefixes,
            "isTruncated": listing.truncated,
        }
        if listing.next_marker:
            body["nextMarker"] = listing.next_marker
        return JSONResponse(body)
    except OssError as exc:
        return _error(exc)


async def object_(request: Request) -> Response:
    name = request.path_params["bucket"]
    key = unquote(request.path_params["key"])
    try:
        service = _service(request)
        if request.method == "PUT":
            length = int(request.headers.get("content-length") or 0)
            if length > MAX_OBJECT_BYTES:
                raise OssError(400, "EntityTooLarge", f"objects are limited to {MAX_OBJECT_BYTES} bytes")
            data = await request.body()
            info = await service.put(name, key, data, request.headers.get("content-type"))
            return JSONResponse(info.to_dict(), headers={"ETag": f'"{info.etag}"'})
        if request.method == "DELETE":
            await service.delete(name, key)
            return Response(status_code=204)
        if request.method == "HEAD":
            info = await service.head(name, key)
            return Response(headers=_object_headers(info))
        info, data = await service.get(name, key)
        return Response(data, headers=_object_headers(info), media_type=info.content_type)
    except OssError as exc:
        if request.method == "HEAD":
            return Response(status_code=exc.status, headers={"x-oss-error-code": exc.code})
        return _error(exc)


ROUTES = [
    Route("/oss", list_buckets, methods=["GET"]),
    Route("/oss/{bucket}", bucket, methods=["GET", "PUT", "DELETE"]),
    Route("/oss/{bucket}/{key:path}", object_, methods=["GET", "HEAD", "PUT", "DELETE"]),
]
