"""ALIYUN::FC3::ProvisionConfig → PutProvisionConfig / DeleteProvisionConfig.

``DefaultTarget`` instances of the function (at ``Qualifier``, an alias or LATEST, the default)
are kept warm; ``ScheduledActions`` and ``TargetTrackingPolicies`` change that over time (the
backend's capacity manager applies them). Every property is create-only, so a change replaces
the config. Physical id: ``<function>|<qualifier>``. No attributes.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.fc.fc_api import delete_ignoring_missing, fc_errors, split_id
from resource_types.fc3.fc3_api import drop_none, to_api


class Fc3ProvisionConfigProvider(ResourceProvider):
    type_name = "ALIYUN::FC3::ProvisionConfig"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        function = str(properties["FunctionName"])
        qualifier = str(properties.get("Qualifier") or "LATEST")
        target = int(properties["DefaultTarget"])
        body = drop_none(
            {
                "defaultTarget": target,
                "target": target,
                "alwaysAllocateCPU": properties.get("AlwaysAllocateCPU"),
                "alwaysAllocateGPU": properties.get("AlwaysAllocateGPU"),
                "scheduledActions": to_api(properties.get("ScheduledActions")),
                "targetTrackingPolicies": to_api(properties.get("TargetTrackingPolicies")),
            }
        )
        with fc_errors(f"provisioning function {function} ({qualifier})"):
            ctx.client("fc3").put_provision_config(function, qualifier, **body)
        return ProviderResult(f"{function}|{qualifier}", {})

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        """Every property is create-only: the engine replaces the resource instead."""
        return ProviderResult(physical_id, {})

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        function, qualifier = split_id(physical_id, 2, self.type_name)
        fc3 = ctx.client("fc3")
        delete_ignoring_missing(
            f"deleting the provision config of {function} ({qualifier})",
            lambda: fc3.delete_provision_config(function, qualifier),
            ctx,
        )
