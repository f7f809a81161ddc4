"""ALIYUN::OSS::Bucket provider: a bucket in the backend's object store, through the OSS API.

Physical id: the bucket name. AccessControl and Tags are applied as OSS applies them; the
configuration properties (versioning, lifecycle, CORS, logging, referer, encryption, website,
policy) are recorded on the bucket as OSS keeps them and returned by its GET operations, without
their effects. ``DeletionForce: true`` deletes the bucket's objects first, as ROS does; without it
a bucket that still holds objects is not deleted (OSS's ``BucketNotEmpty``).
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.oss.oss_api import DOCUMENT_PROPERTIES, document, oss_errors
from rosengine.clients.oss import OssApiError


def attributes(ctx: ProviderContext, name: str) -> dict[str, Any]:
    """Exactly the Fn::GetAtt attributes of resource_types/oss/bucket.json."""
    return {
        "Name": name,
        "Arn": f"acs:oss:*:{ctx.account_id}:{name}",
        "DomainName": f"{name}.oss-{ctx.region}.aliyuncs.com",
        "InternalDomainName": f"{name}.oss-{ctx.region}-internal.aliyuncs.com",
    }


def _tags(properties: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (properties.get("Tags") or {}).items()}


class BucketProvider(ResourceProvider):
    type_name = "ALIYUN::OSS::Bucket"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        name = str(properties["BucketName"])
        client = ctx.client("oss")
        with oss_errors(f"creating bucket {name}"):
            if client.head_bucket(name):
                raise OssApiError(409, "BucketAlreadyExists", f"bucket {name} already exists")
            client.create_bucket(
                name,
                acl=str(properties.get("AccessControl") or "private"),
                storage_class=properties.get("StorageClass"),
                redundancy=properties.get("RedundancyType"),
            )
        try:
            self._configure(ctx, name, properties, {})
        except Exception:
            with oss_errors(f"removing bucket {name} after a failed create"):
                client.delete_bucket(name)
            raise
        return ProviderResult(name, attributes(ctx, name))

    def _configure(
        self, ctx: ProviderContext, name: str, properties: dict[str, Any], previous: dict[str, Any]
    ) -> None:
        client = ctx.client("oss")
        with oss_errors(f"configuring bucket {name}"):
            if _tags(properties) != _tags(previous):
                client.put_bucket_tags(name, _tags(properties))
            for prop, (sub_resource, _root) in DOCUMENT_PROPERTIES.items():
                value, before = properties.get(prop), previous.get(prop)
                if value == before:
                    continue
                if value is None:
                    client.delete_bucket_document(name, sub_resource)
                else:
                    client.put_bucket_document(name, sub_resource, document(prop, value))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        acl = self.properties_after_update(properties, previous_properties).get("AccessControl")
        if acl is not None and acl != previous_properties.get("AccessControl"):
            with oss_errors(f"setting the ACL of bucket {physical_id}"):
                ctx.client("oss").put_bucket_acl(physical_id, str(acl))
        self._configure(ctx, physical_id, properties, previous_properties)
        return ProviderResult(physical_id, attributes(ctx, physical_id))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        client = ctx.client("oss")
        with oss_errors(f"deleting bucket {physical_id}"):
            try:
                if properties.get("DeletionForce"):
                    for obj in client.list_objects(physical_id)[0]:
                        client.delete_object(physical_id, obj.key)
                    for upload_key, upload_id in client.list_uploads(physical_id):
                        client.abort_upload(physical_id, upload_key, upload_id)
                client.delete_bucket(physical_id)
            except OssApiError as exc:
                if exc.code != "NoSuchBucket":
                    raise

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        if not physical_id:
            return None
        with oss_errors(f"reading bucket {physical_id}"):
            return attributes(ctx, physical_id) if ctx.client("oss").head_bucket(physical_id) else None
