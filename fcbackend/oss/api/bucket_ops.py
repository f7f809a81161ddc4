"""Service and bucket operations: ListBuckets, Put/Delete/GetBucketInfo/Location/Stat, ACL,
tagging, ListObjects (V1 and V2), DeleteMultipleObjects, and the recorded configuration documents.

Shapes as OSS's API reference gives them (https://www.alibabacloud.com/help/en/oss/developer-reference/
list-of-operations-by-function) and as ``oss2``'s parsers require them (every element its
``xml_utils`` looks for is present).
"""

from __future__ import annotations

import asyncio
import base64
import binascii

from starlette.responses import Response

from fcbackend.oss.api.context import OssRequest
from fcbackend.oss.api.xml_documents import Document, child_text, iso_time, owner, url_encoded
from fcbackend.oss.buckets import ACLS, REDUNDANCY_TYPES, STORAGE_CLASSES, BucketRecord
from fcbackend.oss.service import REMOVED_DELETE_MANY
from fcbackend.oss.store import OssError, validate_key

MAX_BUCKET_TAGS = 20
MAX_DELETE_KEYS = 1000

# Sub-resources recorded as documents: name -> (root element, error code when none is set).
DOCUMENTS: dict[str, tuple[str, str | None]] = {
    "versioning": ("VersioningConfiguration", None),
    "lifecycle": ("LifecycleConfiguration", "NoSuchLifecycle"),
    "cors": ("CORSConfiguration", "NoSuchCORSConfiguration"),
    "referer": ("RefererConfiguration", None),
    "website": ("WebsiteConfiguration", "NoSuchWebsiteConfiguration"),
    "logging": ("BucketLoggingStatus", None),
    "encryption": ("ServerSideEncryptionRule", "NoSuchServerSideEncryptionRule"),
    "policy": ("", "NoSuchBucketPolicy"),
}
_DEFAULT_DOCUMENTS = {
    "versioning": "<VersioningConfiguration/>",
    "referer": "<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList/>"
    "</RefererConfiguration>",
    "logging": "<BucketLoggingStatus/>",
}


def _acl(value: str | None, *, what: str) -> str:
    if value not in ACLS:
        raise OssError(
            400,
            "InvalidArgument",
            f"{what} {value!r} is not one of {', '.join(ACLS)}.",
            details={"ArgumentName": "x-oss-acl", "ArgumentValue": value or ""},
        )
    return value


def _max_keys(req: OssRequest, name: str = "max-keys", default: int = 100) -> int:
    text = req.param(name)
    if text in (None, ""):
        return default
    assert text is not None
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise OssError(
            400,
            "InvalidArgument",
            f"{name} must be an integer between 1 and 1000, got {text!r}.",
            details={"ArgumentName": name, "ArgumentValue": text},
        )
    return int(text)


def _bucket_entry(doc: Document, parent: object, record: BucketRecord, region: str) -> None:
    node = doc.add(parent, "Bucket")  # type: ignore[arg-type]
    doc.add_all(
        node,
        (
            ("CreationDate", iso_time(record.created)),
            ("ExtranetEndpoint", f"oss-{region}.aliyuncs.com"),
            ("IntranetEndpoint", f"oss-{region}-internal.aliyuncs.com"),
            ("Location", f"oss-{region}"),
            ("Name", record.name),
            ("Region", region),
            ("StorageClass", record.storage_class),
        ),
    )


async def list_buckets(req: OssRequest) -> Response:
    req.authorize("oss:ListBuckets", req.resource(""))
    prefix, marker = req.param("prefix") or "", req.param("marker") or ""
    limit = _max_keys(req)
    store = req.service.store
    names = [n for n in store.list_buckets() if n.startswith(prefix) and n > marker]
    page, truncated = names[:limit], len(names) > limit
    doc = Document("ListAllMyBucketsResult")
    doc.add_all(
        None, (("Prefix", prefix), ("Marker", marker), ("MaxKeys", limit), ("IsTruncated", truncated))
    )
    if truncated:
        doc.add(None, "NextMarker", page[-1])
    owner(doc, None, req.settings.account_id)
    buckets = doc.add(None, "Buckets")
    for name in page:
        record = store.bucket(name)
        _bucket_entry(doc, buckets, record, record.region or req.settings.region)
    return req.xml(doc)


async def put_bucket(req: OssRequest) -> Response:
    req.authorize("oss:PutBucket", req.resource())
    acl = _acl(req.headers.get("x-oss-acl", "private"), what="x-oss-acl")
    storage_class, redundancy = "Standard", "LRS"
    if req.headers.get("content-length", "0") != "0" or "chunked" in req.headers.get("transfer-encoding", ""):
        body = await req.read_body(64 * 1024)
        if body.strip():
            from fcbackend.oss.api.xml_documents import parse

            config = parse(body, "CreateBucketConfiguration")
            storage_class = child_text(config, "StorageClass") or storage_class
            redundancy = child_text(config, "DataRedundancyType") or redundancy
    if storage_class not in STORAGE_CLASSES:
        raise OssError(
            400,
            "InvalidStorageClass",
            f"StorageClass {storage_class!r} is not one of {', '.join(STORAGE_CLASSES)}.",
        )
    if redundancy not in REDUNDANCY_TYPES:
        raise OssError(400, "InvalidArgument", f"DataRedundancyType {redundancy!r} is not LRS or ZRS.")
    store = req.service.store
    created = store.create_bucket(req.bucket, acl=acl, storage_class=storage_class, redundancy=redundancy)
    if not created and store.bucket(req.bucket).acl != acl and "x-oss-acl" in req.headers:
        store.update_bucket(req.bucket, acl=acl)  # as OSS: PutBucket on an own bucket sets its ACL
    return req.empty(headers={"Location": f"/{req.bucket}"})


async def delete_bucket(req: OssRequest) -> Response:
    req.authorize("oss:DeleteBucket", req.resource())
    await asyncio.to_thread(req.service.store.delete_bucket, req.bucket)
    return req.empty(204)


async def head_bucket(req: OssRequest) -> Response:
    req.authorize("oss:GetBucketInfo", req.resource(), public="read")
    req.service.store.bucket(req.bucket)
    return req.empty()


async def get_bucket_info(req: OssRequest) -> Response:
    req.authorize("oss:GetBucketInfo", req.resource())
    record = req.service.store.bucket(req.bucket)
    region = record.region or req.settings.region
    doc = Document("BucketInfo")
    node = doc.add(None, "Bucket")
    versioning = child_text_of(record.documents.get("versioning"), "Status")
    doc.add_all(
        node,
        (
            ("AccessMonitor", "Disabled"),
            ("CreationDate", iso_time(record.created)),
            ("ExtranetEndpoint", f"oss-{region}.aliyuncs.com"),
            ("IntranetEndpoint", f"oss-{region}-internal.aliyuncs.com"),
            ("Location", f"oss-{region}"),
            ("StorageClass", record.storage_class),
            ("TransferAcceleration", "Disabled"),
            ("CrossRegionReplication", "Disabled"),
            ("Name", record.name),
            ("DataRedundancyType", record.redundancy),
            ("Comment", ""),
        ),
    )
    if versioning:
        doc.add(node, "Versioning", versioning)
    owner(doc, node, req.settings.account_id)
    doc.add(doc.add(node, "AccessControlList"), "Grant", record.acl)
    sse = doc.add(node, "ServerSideEncryptionRule")
    doc.add(
        sse,
        "SSEAlgorithm",
        child_text_of(record.documents.get("encryption"), "ApplyServerSideEncryptionByDefault/SSEAlgorithm")
        or "None",
    )
    return req.xml(doc)


def child_text_of(document: str | None, path: str) -> str | None:
    if not document:
        return None
    import xml.etree.ElementTree as ET

    try:
        node = ET.fromstring(document).find(path)
    except ET.ParseError:
        return None
    return node.text if node is not None else None


async def get_bucket_location(req: OssRequest) -> Response:
    req.authorize("oss:GetBucketLocation", req.resource())
    record = req.service.store.bucket(req.bucket)
    doc = Document("LocationConstraint")
    doc.root.text = f"oss-{record.region or req.settings.region}"
    return req.xml(doc)


async def get_bucket_stat(req: OssRequest) -> Response:
    req.authorize("oss:GetBucketStat", req.resource())
    listing = await req.service.list(req.bucket, max_keys=1_000_000_000)
    size = sum(o.size for o in listing.objects)
    doc = Document("BucketStat")
    doc.add_all(
        None,
        (
            ("Storage", size),
            ("ObjectCount", len(listing.objects)),
            ("MultipartUploadCount", len(req.service.uploads.uploads(req.bucket))),
            ("StandardStorage", size),
            ("StandardObjectCount", len(listing.objects)),
        ),
    )
    return req.xml(doc)


async def get_bucket_acl(req: OssRequest) -> Response:
    req.authorize("oss:GetBucketAcl", req.resource())
    record = req.service.store.bucket(req.bucket)
    doc = Document("AccessControlPolicy")
    owner(doc, None, req.settings.account_id)
    doc.add(doc.add(None, "AccessControlList"), "Grant", record.acl)
    return req.xml(doc)


async def put_bucket_acl(req: OssRequest) -> Response:
    req.authorize("oss:PutBucketAcl", req.resource())
    acl = _acl(req.headers.get("x-oss-acl"), what="x-oss-acl")
    req.service.store.update_bucket(req.bucket, acl=acl)
    return req.empty()


async def get_bucket_tagging(req: OssRequest) -> Response:
    req.authorize("oss:GetBucketTagging", req.resource())
    record = req.service.store.bucket(req.bucket)
    doc = Document("Tagging")
    tag_set = doc.add(None, "TagSet")
    for key, value in record.tags.items():
        tag = doc.add(tag_set, "Tag")
        doc.add_all(tag, (("Key", key), ("Value", value)))
    return req.xml(doc)


async def put_bucket_tagging(req: OssRequest) -> Response:
    req.authorize("oss:PutBucketTagging", req.resource())
    req.service.store.bucket(req.bucket)
    root = await req.xml_body("Tagging")
    tags: dict[str, str] = {}
    for tag in root.findall("TagSet/Tag"):
        key = child_text(tag, "Key", required=True) or ""
        value = child_text(tag, "Value") or ""
        if not 1 <= len(key) <= 64 or len(value) > 128 or key.startswith(("aliyun", "acs:")):
            raise OssError(
                400,
                "InvalidTag",
                f"Tag {key!r}: keys are 1-64 characters not starting with 'aliyun' or 'acs:', "
                "values at most 128.",
            )
        tags[key] = value
    if len(tags) > MAX_BUCKET_TAGS:
        raise OssError(
            400, "BadRequest", f"A bucket can have at most {MAX_BUCKET_TAGS} tags; {len(tags)} were given."
        )
    req.service.store.update_bucket(req.bucket, tags=tags)
    return req.empty()


async def delete_bucket_tagging(req: OssRequest) -> Response:
    req.authorize("oss:DeleteBucketTagging", req.resource())
    record = req.service.store.bucket(req.bucket)
    wanted = req.param("tagging") or ""
    keep = {k: v for k, v in record.tags.items() if wanted and k not in wanted.split(",")}
    req.service.store.update_bucket(req.bucket, tags=keep)
    return req.empty(204)


def _action(name: str, verb: str) -> str:
    special = {"cors": "Cors", "encryption": "Encryption", "policy": "Policy"}
    return f"oss:{verb}Bucket{special.get(name, name.capitalize())}"


async def put_document(req: OssRequest, name: str) -> Response:
    req.authorize(_action(name, "Put"), req.resource())
    req.service.store.bucket(req.bucket)
    root_tag, _ = DOCUMENTS[name]
    if name == "policy":
        import json

        body = await req.read_body(16 * 1024)
        try:
            json.loads(body)
        except ValueError as exc:
            raise OssError(
                400, "InvalidPolicyDocument", f"The bucket policy is not valid JSON: {exc}."
            ) from None
        text = body.decode("utf-8")
    else:
        import xml.etree.ElementTree as ET

        root = await req.xml_body(root_tag)
        if name == "versioning" and (child_text(root, "Status") or "") not in ("Enabled", "Suspended"):
            raise OssError(
                400, "MalformedXML", "VersioningConfiguration/Status must be Enabled or Suspended."
            )
        text = ET.tostring(root, encoding="unicode")
    record = req.service.store.bucket(req.bucket)
    req.service.store.update_bucket(req.bucket, documents={**record.documents, name: text})
    return req.empty()


async def get_document(req: OssRequest, name: str) -> Response:
    req.authorize(_action(name, "Get"), req.resource())
    record = req.service.store.bucket(req.bucket)
    text = record.documents.get(name) or _DEFAULT_DOCUMENTS.get(name)
    missing = DOCUMENTS[name][1]
    if text is None:
        raise OssError(
            404,
            missing or "NoSuchKey",
            f"The bucket has no {name} configuration.",
            details={"BucketName": req.bucket},
        )
    media = "application/json" if name == "policy" else "application/xml"
    body = (
        text.encode("utf-8")
        if name == "policy"
        else b'<?xml version="1.0" encoding="UTF-8"?>\n' + text.encode()
    )
    return Response(body, headers=req.common_headers(), media_type=media)


async def delete_document(req: OssRequest, name: str) -> Response:
    req.authorize(_action(name, "Delete"), req.resource())
    record = req.service.store.bucket(req.bucket)
    documents = {k: v for k, v in record.documents.items() if k != name}
    req.service.store.update_bucket(req.bucket, documents=documents)
    return req.empty(204)


async def list_objects(req: OssRequest) -> Response:
    req.authorize("oss:ListObjects", req.resource(), public="read")
    v2 = req.param("list-type") == "2"
    prefix = req.param("prefix") or ""
    delimiter = req.param("delimiter") or ""
    encode = req.param("encoding-type") == "url"
    limit = _max_keys(req)
    token = req.param("continuation-token") or ""
    if v2:
        start_after = req.param("start-after") or ""
        marker = max(_decode_token(token), start_after) if token else start_after
    else:
        marker = req.param("marker") or ""
    listing = await req.service.list(
        req.bucket, prefix=prefix, delimiter=delimiter, marker=marker, max_keys=limit
    )
    doc = Document("ListBucketResult")
    doc.add(None, "Name", req.bucket)
    doc.add(None, "Prefix", url_encoded(prefix, encode))
    if v2:
        if req.param("start-after"):
            doc.add(None, "StartAfter", url_encoded(req.param("start-after") or "", encode))
        if token:
            doc.add(None, "ContinuationToken", token)
    else:
        doc.add(None, "Marker", url_encoded(marker, encode))
    doc.add(None, "MaxKeys", limit)
    doc.add(None, "Delimiter", url_encoded(delimiter, encode))
    if encode:
        doc.add(None, "EncodingType", "url")
    doc.add(None, "IsTruncated", listing.truncated)
    if listing.truncated and listing.next_marker is not None:
        if v2:
            doc.add(None, "NextContinuationToken", _encode_token(listing.next_marker))
        else:
            doc.add(None, "NextMarker", url_encoded(listing.next_marker, encode))
    if v2:
        doc.add(None, "KeyCount", len(listing.objects) + len(listing.common_prefixes))
    with_owner = not v2 or req.param("fetch-owner") == "true"
    for info in listing.objects:
        node = doc.add(None, "Contents")
        doc.add_all(
            node,
            (
                ("Key", url_encoded(info.key, encode)),
                ("LastModified", iso_time(info.last_modified)),
                ("ETag", f'"{info.etag}"'),
                ("Type", info.object_type),
                ("Size", info.size),
                ("StorageClass", info.storage_class),
            ),
        )
        if with_owner:
            owner(doc, node, req.settings.account_id)
    for common in listing.common_prefixes:
        doc.add(doc.add(None, "CommonPrefixes"), "Prefix", url_encoded(common, encode))
    return req.xml(doc)


def _encode_token(marker: str) -> str:
    return base64.urlsafe_b64encode(marker.encode("utf-8")).decode("ascii")


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeError):
        raise OssError(
            400,
            "InvalidArgument",
            "The continuation-token is not one this bucket's listing gave.",
            details={"ArgumentName": "continuation-token", "ArgumentValue": token},
        ) from None


async def delete_multiple_objects(req: OssRequest) -> Response:
    req.service.store.bucket(req.bucket)
    if "content-md5" not in req.headers:
        raise OssError(400, "MissingArgument", "DeleteMultipleObjects requires the Content-MD5 header.")
    root = await req.xml_body("Delete")
    quiet = (child_text(root, "Quiet") or "false").lower() == "true"
    keys = [child_text(node, "Key", required=True) or "" for node in root.findall("Object")]
    if not keys or len(keys) > MAX_DELETE_KEYS:
        raise OssError(
            400, "MalformedXML", f"Name 1 to {MAX_DELETE_KEYS} objects to delete; {len(keys)} were given."
        )
    for key in keys:
        validate_key(key)
        req.authorize("oss:DeleteObject", req.resource(key=key))
    encode = req.param("encoding-type") == "url"
    doc = Document("DeleteResult")
    if encode:
        doc.add(None, "EncodingType", "url")
    for key in keys:
        await req.service.delete(req.bucket, key, req.origin, REMOVED_DELETE_MANY)
        if not quiet:
            doc.add(doc.add(None, "Deleted"), "Key", url_encoded(key, encode))
    return req.xml(doc)
