"""ALIYUN::ROS::AutoEnableService: activating a cloud service for the account has no local meaning
(every twin is simply there), so it succeeds as a no-op and says so in its status reason."""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider


def _note(properties: dict[str, Any]) -> str:
    name = properties.get("ServiceName") or "the service"
    return f"no-op locally: activating {name} has no local meaning"


class AutoEnableServiceProvider(ResourceProvider):
    type_name = "ALIYUN::ROS::AutoEnableService"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        return ProviderResult(f"{ctx.stack_id}/{ctx.logical_id}", {}, note=_note(properties))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        return ProviderResult(physical_id, {}, note=_note(properties))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        return None
