"""ALIYUN::FC3::ConcurrencyConfig → PutConcurrencyConfig / DeleteConcurrencyConfig.

The function's reserved concurrency caps its concurrent requests (the backend's scheduler runs at
most ``ceil(ReservedConcurrency / InstanceConcurrency)`` instances; 0 refuses every call).
Physical id: the function name. No attributes.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.fc.fc_api import delete_ignoring_missing, fc_errors


class Fc3ConcurrencyConfigProvider(ResourceProvider):
    type_name = "ALIYUN::FC3::ConcurrencyConfig"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        function = str(properties["FunctionName"])
        with fc_errors(f"setting the reserved concurrency of {function}"):
            ctx.client("fc3").put_concurrency_config(function, int(properties["ReservedConcurrency"]))
        return ProviderResult(function, {})

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        with fc_errors(f"setting the reserved concurrency of {physical_id}"):
            ctx.client("fc3").put_concurrency_config(physical_id, int(properties["ReservedConcurrency"]))
        return ProviderResult(physical_id, {})

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        fc3 = ctx.client("fc3")
        delete_ignoring_missing(
            f"deleting the concurrency config of {physical_id}",
            lambda: fc3.delete_concurrency_config(physical_id),
            ctx,
        )
