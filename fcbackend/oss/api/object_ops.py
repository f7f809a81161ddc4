"""Object operations: Put/Get/Head/Delete, GetObjectMeta, CopyObject, AppendObject, object ACL,
and multipart uploads (Initiate, UploadPart, Complete, Abort, ListParts, ListMultipartUploads).

GET honours one byte range (``Range: bytes=a-b``, ``a-``, ``-n``): 206 with ``Content-Range``; an
unsatisfiable or malformed range returns the whole object with 200, as OSS does unless the client
sends ``x-oss-range-behavior: standard`` (then 416 ``InvalidRange``). Every object answer carries
``x-oss-hash-crc64ecma``, which ``oss2`` checks against its own CRC.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime
from typing import BinaryIO
from urllib.parse import unquote

from starlette.responses import Response, StreamingResponse

from fcbackend.oss.api.context import MAX_USER_META_BYTES, OssRequest, http_date_at
from fcbackend.oss.api.xml_documents import Document, child_text, iso_time, owner, url_encoded
from fcbackend.oss.buckets import ACLS, STORAGE_CLASSES
from fcbackend.oss.multipart import MAX_PART_BYTES, Upload
from fcbackend.oss.store import ObjectAttributes, ObjectInfo, OssError, validate_key

STORED_HEADERS = ("cache-control", "content-disposition", "content-encoding", "content-language", "expires")
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}
READ_CHUNK = 1 << 20


def attributes_from(req: OssRequest) -> ObjectAttributes:
    """What a PUT/POST says about the object besides its bytes."""
    meta = {k[len("x-oss-meta-") :]: v for k, v in req.headers.items() if k.startswith("x-oss-meta-")}
    if sum(len(k) + len(v) for k, v in meta.items()) > MAX_USER_META_BYTES:
        raise OssError(
            400, "InvalidArgument", f"The user metadata (x-oss-meta-*) exceeds {MAX_USER_META_BYTES} bytes."
        )
    acl = req.headers.get("x-oss-object-acl", "default")
    if acl != "default" and acl not in ACLS:
        raise OssError(
            400, "InvalidArgument", f"x-oss-object-acl {acl!r} is not one of default, {', '.join(ACLS)}."
        )
    storage_class = req.headers.get("x-oss-storage-class", "Standard")
    if storage_class not in STORAGE_CLASSES:
        raise OssError(
            400,
            "InvalidArgument",
            f"x-oss-storage-class {storage_class!r} is not one of {', '.join(STORAGE_CLASSES)}.",
        )
    return ObjectAttributes(
        req.headers.get("content-type") or None,
        {k: req.headers[k] for k in STORED_HEADERS if k in req.headers},
        meta,
        acl,
        storage_class,
    )


def object_headers(info: ObjectInfo) -> dict[str, str]:
    headers = {
        "ETag": f'"{info.etag}"',
        "Content-Type": info.content_type,
        "Last-Modified": http_date_at(int(info.last_modified)),
        "x-oss-object-type": info.object_type,
        "x-oss-storage-class": info.storage_class,
        "Accept-Ranges": "bytes",
    }
    if info.crc64 is not None:
        headers["x-oss-hash-crc64ecma"] = str(info.crc64)
    if info.object_type == "Appendable":
        headers["x-oss-next-append-position"] = str(info.size)
    for name, value in info.headers.items():
        headers["-".join(p.capitalize() for p in name.split("-"))] = value
    for name, value in info.user_meta.items():
        headers[f"x-oss-meta-{name}"] = value
    return headers


def _check_forbid_overwrite(req: OssRequest) -> None:
    if req.headers.get("x-oss-forbid-overwrite", "").lower() == "true":
        try:
            req.service.store.head(req.bucket, req.key)
        except OssError as exc:
            if exc.code == "NoSuchKey":
                return
            raise
        raise OssError(
            409, "FileAlreadyExists", "The object you specified already exists and can not be overwritten."
        )


async def put_object(req: OssRequest) -> Response:
    req.authorize("oss:PutObject", req.resource(), public="write")
    validate_key(req.key)
    req.service.store.require_bucket(req.bucket)
    attributes = attributes_from(req)
    _check_forbid_overwrite(req)
    spooled = await req.spool()
    info = await req.service.commit(req.bucket, req.key, spooled, attributes, req.origin)
    return req.empty(
        headers={
            "ETag": f'"{info.etag}"',
            "x-oss-hash-crc64ecma": str(info.crc64),
            "Content-MD5": _b64(spooled.md5),
        }
    )


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _conditions(req: OssRequest, info: ObjectInfo) -> None:
    etag = f'"{info.etag}"'
    if_match = req.headers.get("if-match")
    if if_match is not None and if_match not in (etag, info.etag, "*"):
        raise OssError(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold.",
            details={"Condition": "If-Match"},
        )
    if_none = req.headers.get("if-none-match")
    if if_none is not None and if_none in (etag, info.etag, "*"):
        raise OssError(304, "NotModified", "Not modified.", headers={"ETag": etag})
    modified = _date(req.headers.get("if-modified-since"))
    if modified is not None and int(info.last_modified) <= modified:
        raise OssError(304, "NotModified", "Not modified.", headers={"ETag": etag})
    unmodified = _date(req.headers.get("if-unmodified-since"))
    if unmodified is not None and int(info.last_modified) > unmodified:
        raise OssError(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold.",
            details={"Condition": "If-Unmodified-Since"},
        )


def _date(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError):
        return None


def _range(req: OssRequest, size: int) -> tuple[int, int] | None:
    """(first, last) of a satisfiable single byte range, or None for the whole object."""
    text = req.headers.get("range")
    if not text:
        return None
    standard = req.headers.get("x-oss-range-behavior") == "standard"
    spec = text.strip()
    first = last = -1
    if spec.startswith("bytes=") and "," not in spec:
        start, _, end = spec[6:].partition("-")
        if start.isdigit() and (end.isdigit() or end == ""):
            first, last = int(start), int(end) if end else size - 1
        elif start == "" and end.isdigit() and int(end) > 0:
            first, last = max(0, size - int(end)), size - 1
    if 0 <= first <= last and first < size:
        return first, min(last, size - 1)
    if standard:
        raise OssError(
            416,
            "InvalidRange",
            "The requested range is not satisfiable.",
            headers={"Content-Range": f"bytes */{size}"},
        )
    return None


async def get_object(req: OssRequest, *, head: bool = False) -> Response:
    req.authorize("oss:GetObject", req.resource(), public="read")
    # Opening is an open() and one metadata row: cheaper on the loop than a hop to a worker
    # thread; large bodies are still read in the worker (_stream).
    info, handle = req.service.store.open(req.bucket, req.key)
    try:
        _conditions(req, info)
        headers = {**req.common_headers(), **object_headers(info)}
        for param, header in RESPONSE_OVERRIDES.items():
            value = req.param(param)
            if value is not None:
                headers[header] = value
        span = _range(req, info.size)
    except BaseException:
        handle.close()
        raise
    if span is None:
        first, last, status = 0, info.size - 1, 200
    else:
        first, last, status = span[0], span[1], 206
        headers["Content-Range"] = f"bytes {first}-{last}/{info.size}"
    length = last - first + 1 if info.size else 0
    headers["Content-Length"] = str(length)
    if head:
        handle.close()
        return Response(b"", status_code=status, headers=headers)
    if length <= READ_CHUNK:
        try:
            handle.seek(first)
            data = handle.read(length)
        finally:
            handle.close()
        return Response(data, status_code=status, headers=headers)
    return StreamingResponse(_stream(handle, first, length), status_code=status, headers=headers)


async def _stream(handle: BinaryIO, first: int, length: int) -> AsyncIterator[bytes]:
    try:
        await asyncio.to_thread(handle.seek, first)
        left = length
        while left > 0:
            chunk = await asyncio.to_thread(handle.read, min(READ_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


async def get_object_meta(req: OssRequest) -> Response:
    req.authorize("oss:GetObject", req.resource(), public="read")
    info = await req.service.head(req.bucket, req.key)
    return req.empty(
        headers={
            "ETag": f'"{info.etag}"',
            "Last-Modified": http_date_at(int(info.last_modified)),
            "Content-Length": str(info.size),
            "x-oss-hash-crc64ecma": str(info.crc64),
        }
    )


async def delete_object(req: OssRequest) -> Response:
    req.authorize("oss:DeleteObject", req.resource(), public="write")
    validate_key(req.key)
    await req.service.delete(req.bucket, req.key, req.origin)
    return req.empty(204)


async def copy_object(req: OssRequest) -> Response:
    source_text = req.headers["x-oss-copy-source"]
    path = unquote(source_text.split("?", 1)[0])
    source_bucket, _, source_key = path.lstrip("/").partition("/")
    if not source_bucket or not source_key:
        raise OssError(400, "InvalidArgument", f"x-oss-copy-source {source_text!r} must be /<bucket>/<key>.")
    req.authorize("oss:GetObject", req.resource(source_bucket, source_key))
    req.authorize("oss:PutObject", req.resource())
    validate_key(req.key)
    req.service.store.require_bucket(req.bucket)
    source = req.service.store.head(source_bucket, source_key)
    _copy_conditions(req, source)
    _check_forbid_overwrite(req)
    directive = req.headers.get("x-oss-metadata-directive", "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise OssError(
            400, "InvalidArgument", f"x-oss-metadata-directive {directive!r} is not COPY or REPLACE."
        )
    attributes = attributes_from(req) if directive == "REPLACE" else None
    info = await req.service.copy((source_bucket, source_key), (req.bucket, req.key), attributes, req.origin)
    doc = Document("CopyObjectResult")
    doc.add_all(None, (("ETag", f'"{info.etag}"'), ("LastModified", iso_time(info.last_modified))))
    return req.xml(doc, headers={"ETag": f'"{info.etag}"', "x-oss-hash-crc64ecma": str(info.crc64)})


def _copy_conditions(req: OssRequest, source: ObjectInfo) -> None:
    match = req.headers.get("x-oss-copy-source-if-match")
    none_match = req.headers.get("x-oss-copy-source-if-none-match")
    if match is not None and match.strip('"') != source.etag:
        raise OssError(412, "PreconditionFailed", "x-oss-copy-source-if-match did not hold.")
    if none_match is not None and none_match.strip('"') == source.etag:
        raise OssError(304, "NotModified", "x-oss-copy-source-if-none-match did not hold.")


async def append_object(req: OssRequest) -> Response:
    req.authorize("oss:PutObject", req.resource(), public="write")
    validate_key(req.key)
    req.service.store.require_bucket(req.bucket)
    text = req.param("position") or ""
    if not text.isdigit():
        raise OssError(400, "InvalidArgument", f"position must be a non-negative integer, got {text!r}.")
    attributes = attributes_from(req)
    spooled = await req.spool()
    info = await req.service.append(req.bucket, req.key, int(text), spooled, attributes, req.origin)
    return req.empty(
        headers={
            "ETag": f'"{info.etag}"',
            "x-oss-next-append-position": str(info.size),
            "x-oss-hash-crc64ecma": str(info.crc64),
        }
    )


async def get_object_acl(req: OssRequest) -> Response:
    req.authorize("oss:GetObjectAcl", req.resource())
    info = await req.service.head(req.bucket, req.key)
    doc = Document("AccessControlPolicy")
    owner(doc, None, req.settings.account_id)
    doc.add(doc.add(None, "AccessControlList"), "Grant", info.acl)
    return req.xml(doc)


async def put_object_acl(req: OssRequest) -> Response:
    req.authorize("oss:PutObjectAcl", req.resource())
    acl = req.headers.get("x-oss-object-acl", "")
    if acl != "default" and acl not in ACLS:
        raise OssError(
            400, "InvalidArgument", f"x-oss-object-acl {acl!r} is not one of default, {', '.join(ACLS)}."
        )
    await asyncio.to_thread(req.service.store.set_object_acl, req.bucket, req.key, acl)
    return req.empty()


# -- multipart --------------------------------------------------------------------------------


def _upload(req: OssRequest) -> Upload:
    return req.service.uploads.get(req.bucket, req.key, req.param("uploadId") or "")


async def initiate_upload(req: OssRequest) -> Response:
    req.authorize("oss:PutObject", req.resource())
    validate_key(req.key)
    upload = await asyncio.to_thread(req.service.uploads.initiate, req.bucket, req.key, attributes_from(req))
    encode = req.param("encoding-type") == "url"
    doc = Document("InitiateMultipartUploadResult")
    doc.add_all(
        None, (("Bucket", req.bucket), ("Key", url_encoded(req.key, encode)), ("UploadId", upload.upload_id))
    )
    if encode:
        doc.add(None, "EncodingType", "url")
    return req.xml(doc)


async def upload_part(req: OssRequest) -> Response:
    req.authorize("oss:PutObject", req.resource())
    if "x-oss-copy-source" in req.headers:
        raise OssError(501, "NotImplemented", "UploadPartCopy is not emulated by the local OSS.")
    upload = _upload(req)
    text = req.param("partNumber") or ""
    if not text.isdigit():
        raise OssError(400, "InvalidArgument", f"partNumber must be an integer 1-10000, got {text!r}.")
    spooled = await req.spool(MAX_PART_BYTES)
    part = await asyncio.to_thread(req.service.uploads.put_part, upload, int(text), spooled)
    return req.empty(headers={"ETag": f'"{part.etag}"', "x-oss-hash-crc64ecma": str(part.crc64)})


async def complete_upload(req: OssRequest) -> Response:
    req.authorize("oss:PutObject", req.resource())
    upload = _upload(req)
    root = await req.xml_body("CompleteMultipartUpload")
    chosen = []
    for node in root.findall("Part"):
        number = child_text(node, "PartNumber", required=True) or ""
        etag = child_text(node, "ETag", required=True) or ""
        if not number.isdigit():
            raise OssError(400, "MalformedXML", f"PartNumber {number!r} is not a number.")
        chosen.append((int(number), etag))
    info = await req.service.complete_upload(upload, chosen, req.origin)
    encode = req.param("encoding-type") == "url"
    doc = Document("CompleteMultipartUploadResult")
    if encode:
        doc.add(None, "EncodingType", "url")
    host = req.host.endpoint if req.host is not None else f"oss-{req.region}.aliyuncs.com"
    doc.add_all(
        None,
        (
            ("Location", f"http://{req.bucket}.{host}/{req.key}"),
            ("Bucket", req.bucket),
            ("Key", url_encoded(req.key, encode)),
            ("ETag", f'"{info.etag}"'),
        ),
    )
    return req.xml(doc, headers={"ETag": f'"{info.etag}"', "x-oss-hash-crc64ecma": str(info.crc64)})


async def abort_upload(req: OssRequest) -> Response:
    req.authorize("oss:AbortMultipartUpload", req.resource())
    upload = _upload(req)
    await asyncio.to_thread(req.service.uploads.abort, upload)
    return req.empty(204)


async def list_parts(req: OssRequest) -> Response:
    req.authorize("oss:ListParts", req.resource())
    upload = _upload(req)
    marker_text = req.param("part-number-marker") or "0"
    limit_text = req.param("max-parts") or "1000"
    if not marker_text.isdigit() or not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
        raise OssError(400, "InvalidArgument", "part-number-marker must be a number and max-parts 1-1000.")
    marker, limit = int(marker_text), int(limit_text)
    parts = [p for p in await asyncio.to_thread(req.service.uploads.parts, upload) if p.number > marker]
    page, truncated = parts[:limit], len(parts) > limit
    doc = Document("ListPartsResult")
    doc.add_all(
        None,
        (
            ("Bucket", req.bucket),
            ("Key", req.key),
            ("UploadId", upload.upload_id),
            ("PartNumberMarker", marker),
            ("NextPartNumberMarker", page[-1].number if page else marker),
            ("MaxParts", limit),
            ("IsTruncated", truncated),
        ),
    )
    for part in page:
        node = doc.add(None, "Part")
        doc.add_all(
            node,
            (
                ("PartNumber", part.number),
                ("LastModified", iso_time(part.last_modified)),
                ("ETag", f'"{part.etag}"'),
                ("HashCrc64ecma", part.crc64),
                ("Size", part.size),
            ),
        )
    return req.xml(doc)


async def list_uploads(req: OssRequest) -> Response:
    req.authorize("oss:ListMultipartUploads", req.resource())
    prefix = req.param("prefix") or ""
    delimiter = req.param("delimiter") or ""
    key_marker = req.param("key-marker") or ""
    id_marker = req.param("upload-id-marker") or ""
    limit_text = req.param("max-uploads") or "1000"
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
        raise OssError(400, "InvalidArgument", "max-uploads must be an integer 1-1000.")
    limit = int(limit_text)
    encode = req.param("encoding-type") == "url"
    uploads = await asyncio.to_thread(req.service.uploads.uploads, req.bucket)
    entries: list[tuple[str, Upload | None]] = []
    for upload in uploads:
        if not upload.key.startswith(prefix):
            continue
        if upload.key < key_marker or (
            upload.key == key_marker and (not id_marker or upload.upload_id <= id_marker)
        ):
            continue
        cut = upload.key.find(delimiter, len(prefix)) if delimiter else -1
        if cut >= 0:
            common = upload.key[: cut + len(delimiter)]
            if not any(c == common for c, u in entries if u is None):
                entries.append((common, None))
            continue
        entries.append((upload.key, upload))
    page, truncated = entries[:limit], len(entries) > limit
    last = page[-1] if page else None
    doc = Document("ListMultipartUploadsResult")
    doc.add_all(
        None,
        (
            ("Bucket", req.bucket),
            ("KeyMarker", url_encoded(key_marker, encode)),
            ("UploadIdMarker", id_marker),
            ("NextKeyMarker", url_encoded(last[0], encode) if last else ""),
            ("NextUploadIdMarker", last[1].upload_id if last and last[1] else ""),
            ("Delimiter", url_encoded(delimiter, encode)),
            ("Prefix", url_encoded(prefix, encode)),
            ("MaxUploads", limit),
            ("IsTruncated", truncated),
        ),
    )
    if encode:
        doc.add(None, "EncodingType", "url")
    for key, entry in page:
        if entry is None:
            doc.add(doc.add(None, "CommonPrefixes"), "Prefix", url_encoded(key, encode))
            continue
        node = doc.add(None, "Upload")
        doc.add_all(
            node,
            (
                ("Key", url_encoded(key, encode)),
                ("UploadId", entry.upload_id),
                ("Initiated", iso_time(entry.initiated)),
            ),
        )
    return req.xml(doc)
