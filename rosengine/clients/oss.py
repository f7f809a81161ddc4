"""``OssClient``: the OSS client the CLI (``ros oss``) and the OSS providers use.

Why our own client rather than ``oss2``: providers run calls in parallel threads and want a
thread-safe, pooled client (httpx) with typed errors, and the engine should not depend on the SDK
(the SDK is what tests and function code use to prove the twin speaks real OSS). Requests are
signed with OSS signature version 1 by :mod:`backend_contract.oss_signing`, the same code the
backend verifies with, and sent path-style to the backend's endpoint.

Where the backend is: ``ROS_OSS_ENDPOINT`` (+ ``ROS_OSS_ACCESS_KEY_ID``/``ROS_OSS_ACCESS_KEY_SECRET``)
or else the FC backend's own endpoint and keys (one endpoint serves FC and OSS).
"""

from __future__ import annotations

import base64
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from backend_contract import oss_signing
from rosengine.clients.transport import http_transport


class OssApiError(Exception):
    """An OSS error answer: HTTP status, OSS code, message, request id."""

    def __init__(self, status: int, code: str, message: str, request_id: str = ""):
        super().__init__(f"{code}: {message}" if code else message)
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id


@dataclass(frozen=True)
class ObjectSummary:
    key: str
    size: int
    etag: str
    last_modified: str


class OssClient:
    def __init__(self, endpoint: str, access_key_id: str, access_key_secret: str, *, timeout: float = 120.0):
        self.endpoint = endpoint.rstrip("/")
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        transport = http_transport(self.endpoint)
        self._http = httpx.Client(base_url=self.endpoint, timeout=timeout, transport=transport)

    @classmethod
    def from_environment(cls) -> OssClient:
        endpoint = os.environ.get("ROS_OSS_ENDPOINT")
        if endpoint:
            return cls(
                endpoint,
                os.environ.get("ROS_OSS_ACCESS_KEY_ID", ""),
                os.environ.get("ROS_OSS_ACCESS_KEY_SECRET", ""),
            )
        from rosengine.clients.fc import FcClient

        with FcClient.from_environment() as fc:
            return cls(fc.endpoint, fc.access_key_id, fc.access_key_secret)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OssClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        bucket: str = "",
        key: str = "",
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes = b"",
    ) -> httpx.Response:
        """One signed request; raises :class:`OssApiError` for an error answer."""
        query = dict(params or {})
        signed = {k.lower(): v for k, v in (headers or {}).items()}
        signed["date"] = oss_signing.http_date()
        if content and "content-type" not in signed:
            signed["content-type"] = "application/octet-stream"
        signed["authorization"] = oss_signing.v1_authorization(
            self.access_key_id, self.access_key_secret, method, bucket, key, signed, query.items()
        )
        path = "/" + (f"{bucket}/{quote(key, safe='')}" if bucket else "")
        try:
            response = self._http.request(method, path, params=query, headers=signed, content=content)
        except httpx.TransportError as exc:
            raise OssApiError(0, "BackendUnavailable", f"cannot reach OSS at {self.endpoint}: {exc}") from exc
        if response.status_code >= 300:
            raise _error(response)
        return response

    # -- buckets ------------------------------------------------------------------------------

    def create_bucket(self, bucket: str, *, acl: str = "private", storage_class: str | None = None,
                      redundancy: str | None = None) -> None:  # fmt: skip
        body = b""
        if storage_class or redundancy:
            root = ET.Element("CreateBucketConfiguration")
            if storage_class:
                ET.SubElement(root, "StorageClass").text = storage_class
            if redundancy:
                ET.SubElement(root, "DataRedundancyType").text = redundancy
            body = ET.tostring(root)
        self.request("PUT", bucket, headers={"x-oss-acl": acl}, content=body)

    def delete_bucket(self, bucket: str) -> None:
        self.request("DELETE", bucket)

    def bucket_info(self, bucket: str) -> dict[str, str]:
        """GetBucketInfo's ``<Bucket>`` as a flat dict (Name, Location, ExtranetEndpoint, ...)."""
        root = ET.fromstring(self.request("GET", bucket, params={"bucketInfo": ""}).content)
        node = root.find("Bucket")
        return {} if node is None else {child.tag: child.text or "" for child in node}

    def head_bucket(self, bucket: str) -> bool:
        """Whether the bucket exists."""
        try:
            self.request("GET", bucket, params={"bucketInfo": ""})
        except OssApiError as exc:
            if exc.code == "NoSuchBucket":
                return False
            raise
        return True

    def list_uploads(self, bucket: str) -> list[tuple[str, str]]:
        """(key, upload id) of the multipart uploads in progress (first 1000)."""
        root = ET.fromstring(self.request("GET", bucket, params={"uploads": ""}).content)
        return [(u.findtext("Key") or "", u.findtext("UploadId") or "") for u in root.findall("Upload")]

    def abort_upload(self, bucket: str, key: str, upload_id: str) -> None:
        self.request("DELETE", bucket, key, params={"uploadId": upload_id})

    def list_buckets(self) -> list[str]:
        names: list[str] = []
        marker = ""
        while True:
            root = ET.fromstring(self.request("GET", params={"marker": marker, "max-keys": "1000"}).content)
            names += [n.text or "" for n in root.findall("Buckets/Bucket/Name")]
            if root.findtext("IsTruncated") != "true":
                return names
            marker = root.findtext("NextMarker") or ""

    def put_bucket_acl(self, bucket: str, acl: str) -> None:
        self.request("PUT", bucket, params={"acl": ""}, headers={"x-oss-acl": acl})

    def put_bucket_tags(self, bucket: str, tags: Mapping[str, str]) -> None:
        if not tags:
            self.request("DELETE", bucket, params={"tagging": ""})
            return
        root = ET.Element("Tagging")
        tag_set = ET.SubElement(root, "TagSet")
        for key, value in tags.items():
            tag = ET.SubElement(tag_set, "Tag")
            ET.SubElement(tag, "Key").text = key
            ET.SubElement(tag, "Value").text = value
        self.request("PUT", bucket, params={"tagging": ""}, content=ET.tostring(root))

    def put_bucket_document(self, bucket: str, name: str, document: bytes) -> None:
        """A configuration sub-resource (``versioning``, ``lifecycle``, ``cors``, ``policy`` ...)."""
        self.request("PUT", bucket, params={name: ""}, content=document)

    def delete_bucket_document(self, bucket: str, name: str) -> None:
        self.request("DELETE", bucket, params={name: ""})

    # -- objects ------------------------------------------------------------------------------

    def put_object(self, bucket: str, key: str, data: bytes, content_type: str | None = None) -> str:
        headers = {"content-type": content_type} if content_type else None
        return (
            self.request("PUT", bucket, key, headers=headers, content=data).headers.get("etag", "").strip('"')
        )

    def get_object(self, bucket: str, key: str) -> bytes:
        return self.request("GET", bucket, key).content

    def head_object(self, bucket: str, key: str) -> dict[str, str] | None:
        try:
            return dict(self.request("HEAD", bucket, key).headers)
        except OssApiError as exc:
            if exc.status == 404 and exc.code in ("NoSuchKey", "NotFound"):
                return None
            raise

    def delete_object(self, bucket: str, key: str) -> None:
        self.request("DELETE", bucket, key)

    def list_objects(
        self, bucket: str, prefix: str = "", delimiter: str = ""
    ) -> tuple[list[ObjectSummary], list[str]]:
        objects: list[ObjectSummary] = []
        prefixes: list[str] = []
        for page_objects, page_prefixes in self._pages(bucket, prefix, delimiter):
            objects += page_objects
            prefixes += page_prefixes
        return objects, prefixes

    def _pages(
        self, bucket: str, prefix: str, delimiter: str
    ) -> Iterator[tuple[list[ObjectSummary], list[str]]]:
        token = ""
        while True:
            params = {"list-type": "2", "prefix": prefix, "delimiter": delimiter, "max-keys": "1000"}
            if token:
                params["continuation-token"] = token
            root = ET.fromstring(self.request("GET", bucket, params=params).content)
            objects = [
                ObjectSummary(
                    c.findtext("Key") or "",
                    int(c.findtext("Size") or 0),
                    (c.findtext("ETag") or "").strip('"'),
                    c.findtext("LastModified") or "",
                )
                for c in root.findall("Contents")
            ]
            yield objects, [p.text or "" for p in root.findall("CommonPrefixes/Prefix")]
            if root.findtext("IsTruncated") != "true":
                return
            token = root.findtext("NextContinuationToken") or ""


def _error(response: httpx.Response) -> OssApiError:
    request_id = response.headers.get("x-oss-request-id", "")
    body = response.content
    if not body and response.headers.get("x-oss-err"):
        body = base64.b64decode(response.headers["x-oss-err"])
    fields: dict[str, Any] = {}
    try:
        fields = {child.tag: child.text or "" for child in ET.fromstring(body)}
    except ET.ParseError:
        pass
    return OssApiError(
        response.status_code,
        str(fields.get("Code") or f"HTTP{response.status_code}"),
        str(fields.get("Message") or response.reason_phrase),
        request_id,
    )
