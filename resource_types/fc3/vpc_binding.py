"""ALIYUN::FC3::VpcBinding → CreateVpcBinding / DeleteVpcBinding.

There is no VPC locally: the binding is a record on the function (listed by ListVpcBindings),
restricting nothing. Physical id: ``<function>|<vpc id>``; attribute ``VpcId``.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider
from resource_types.fc.fc_api import delete_ignoring_missing, fc_errors, lookup, split_id


class Fc3VpcBindingProvider(ResourceProvider):
    type_name = "ALIYUN::FC3::VpcBinding"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        function, vpc = str(properties["FunctionName"]), str(properties.get("VpcId") or "")
        if not vpc:
            raise ProviderError(f"binding function {function}: VpcId is required", code="InvalidArgument")
        with fc_errors(f"binding function {function} to {vpc}"):
            ctx.client("fc3").create_vpc_binding(function, vpc)
        return ProviderResult(f"{function}|{vpc}", {"VpcId": vpc})

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        """Both properties are create-only: the engine replaces the binding instead."""
        return ProviderResult(physical_id, dict(previous_attributes))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        function, vpc = split_id(physical_id, 2, self.type_name)
        fc3 = ctx.client("fc3")
        delete_ignoring_missing(
            f"unbinding function {function} from {vpc}", lambda: fc3.delete_vpc_binding(function, vpc), ctx
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        if not physical_id:
            return None
        function, vpc = split_id(physical_id, 2, self.type_name)
        bound = lookup(lambda: ctx.client("fc3").list_vpc_bindings(function))
        return {"VpcId": vpc} if bound and vpc in bound else None
