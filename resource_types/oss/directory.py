"""ALIYUN::OSS::Directory provider: the object ``<DirectoryName>/`` (empty) in a bucket.

Physical id: ``<bucket>|<directory>``. ``DeletionForce: true`` deletes the objects under the
directory first; without it, a directory that still holds objects is not deleted (a clear error),
so no data is lost by a stack delete nobody asked to be forceful.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider
from resource_types.oss.oss_api import oss_errors
from rosengine.clients.oss import OssApiError


def _split(physical_id: str) -> tuple[str, str]:
    bucket, sep, directory = physical_id.partition("|")
    if not sep or not bucket or not directory:
        raise ProviderError(f"ALIYUN::OSS::Directory physical id {physical_id!r} is not <bucket>|<directory>")
    return bucket, directory


def _key(directory: str) -> str:
    return directory.strip("/") + "/"


class DirectoryProvider(ResourceProvider):
    type_name = "ALIYUN::OSS::Directory"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        bucket, directory = str(properties["BucketName"]), str(properties["DirectoryName"])
        if not directory.strip("/"):
            raise ProviderError("DirectoryName must name a directory, not only '/'", code="InvalidArgument")
        with oss_errors(f"creating directory {directory} in bucket {bucket}"):
            ctx.client("oss").put_object(bucket, _key(directory), b"")
        return ProviderResult(f"{bucket}|{directory}", {"BucketName": bucket, "DirectoryName": directory})

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        """Only DeletionForce can change in place (the rest is create-only): nothing to do."""
        return ProviderResult(physical_id, dict(previous_attributes))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        bucket, directory = _split(physical_id)
        client = ctx.client("oss")
        prefix = _key(directory)
        with oss_errors(f"deleting directory {directory} in bucket {bucket}"):
            try:
                inside = [o.key for o in client.list_objects(bucket, prefix)[0] if o.key != prefix]
            except OssApiError as exc:
                if exc.code == "NoSuchBucket":
                    return
                raise
            if inside and not properties.get("DeletionForce"):
                raise ProviderError(
                    f"directory {directory} in bucket {bucket} still holds {len(inside)} object(s); "
                    "delete them "
                    "or set DeletionForce: true",
                    code="DirectoryNotEmpty",
                )
            for key in inside:
                client.delete_object(bucket, key)
            client.delete_object(bucket, prefix)

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        bucket, directory = _split(physical_id)
        with oss_errors(f"reading directory {directory} in bucket {bucket}"):
            try:
                found = ctx.client("oss").head_object(bucket, _key(directory))
            except OssApiError as exc:
                if exc.code == "NoSuchBucket":
                    return None
                raise
        return None if found is None else {"BucketName": bucket, "DirectoryName": directory}
