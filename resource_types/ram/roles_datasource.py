"""DATASOURCE::RAM::Roles: the local account's roles, optionally filtered by ``RoleName`` with
``*``/``?`` wildcards (https://www.alibabacloud.com/help/en/ros/developer-reference/datasource-ram-roles).

Answered from the local RAM, so a template that looks up roles it (or another stack) created
finds them. ``RefreshOptions``: ``Never`` (default) keeps the first answer across stack updates,
``Always`` asks again on every update.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.ram.ram_api import ram_errors


def _matches(pattern: str, name: str) -> bool:
    # RAM names have no '[' (the only other fnmatch syntax); matching ignores case, as names do.
    return fnmatch.fnmatchcase(name.lower(), pattern.lower())


class RolesDataSource(ResourceProvider):
    type_name = "DATASOURCE::RAM::Roles"

    def _lookup(self, ctx: ProviderContext, properties: dict[str, Any]) -> dict[str, Any]:
        pattern = str(properties.get("RoleName") or "*")
        with ram_errors("listing roles"):
            roles = [r for r in ctx.client("ram").list_roles() if _matches(pattern, str(r["RoleName"]))]
        return {"Roles": roles, "RoleNames": [r["RoleName"] for r in roles]}

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        return ProviderResult(
            physical_id=f"{ctx.stack_id}-{ctx.logical_id}", attributes=self._lookup(ctx, properties)
        )

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        changed = properties.get("RoleName") != previous_properties.get("RoleName")
        if properties.get("RefreshOptions") == "Always" or changed or not previous_attributes:
            return ProviderResult(physical_id=physical_id, attributes=self._lookup(ctx, properties))
        return ProviderResult(physical_id=physical_id, attributes=dict(previous_attributes))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        """Nothing to delete: a data source only reads."""
