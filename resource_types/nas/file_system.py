"""ALIYUN::NAS::FileSystem: a directory of the backend's NAS twin (``fcbackend/nas``).

Functions whose NAS config names a mount target of it (``<mount target domain>:/<path>``) see it at
their ``mountDir`` on every driver; it survives backend restarts and is removed, with its files,
when the resource is deleted (``DeletionPolicy: Retain`` keeps it). Capacity, bandwidth, encryption
and charging are recorded, not enforced.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import (
    ProviderContext,
    ProviderError,
    ProviderResult,
    ResourceProvider,
)


def _client(ctx: ProviderContext) -> Any:
    return ctx.clients("nas")


class FileSystemProvider(ResourceProvider):
    type_name = "ALIYUN::NAS::FileSystem"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        from rosengine.clients.fc import FcApiError

        try:
            found = _client(ctx).create_file_system(dict(properties))
        except FcApiError as exc:
            raise ProviderError(f"creating the NAS file system: {exc.error_code}: {exc.message}") from exc
        file_system_id = str(found["FileSystemId"])
        return ProviderResult(file_system_id, {"FileSystemId": file_system_id})

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        """Description, capacity and the like have no local effect; the directory stays."""
        return ProviderResult(physical_id, {"FileSystemId": physical_id})

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        from rosengine.clients.fc import FcApiError, FcNotFound

        try:
            _client(ctx).delete_file_system(physical_id)
        except FcNotFound:
            return
        except FcApiError as exc:
            raise ProviderError(
                f"deleting NAS file system {physical_id}: {exc.error_code}: {exc.message}"
            ) from exc

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        from rosengine.clients.fc import FcNotFound

        if not physical_id:
            return None
        try:
            _client(ctx).describe_file_system(physical_id)
        except FcNotFound:
            return None
        return {"FileSystemId": physical_id}
