"""ALIYUN::ROS::Stack: a nested stack, created, updated and deleted with its parent.

The stack itself is the engine's business (the engine is the local ROS service): this provider
asks the ``ros-stacks`` client (:class:`NestedStackService`) and turns the nested stack's outputs
into attributes — ``Outputs`` (the whole map) and ``Outputs.<Name>`` each — and its ARN into the
physical id (``Ref``).
"""

from __future__ import annotations

from typing import Any, Protocol

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider


class NestedStackResult(Protocol):
    arn: str
    outputs: dict[str, Any]


class NestedStackService(Protocol):
    def create(self, logical_id: str, properties: dict[str, Any], timeout_s: float) -> NestedStackResult: ...

    def update(
        self, physical_id: str, logical_id: str, properties: dict[str, Any], timeout_s: float
    ) -> NestedStackResult: ...

    def delete(self, physical_id: str, timeout_s: float) -> None: ...


def _service(ctx: ProviderContext) -> NestedStackService:
    return ctx.clients("ros-stacks")


def _attributes(outputs: dict[str, Any]) -> dict[str, Any]:
    return {"Outputs": dict(outputs), **{f"Outputs.{key}": value for key, value in outputs.items()}}


class NestedStackProvider(ResourceProvider):
    type_name = "ALIYUN::ROS::Stack"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        result = _service(ctx).create(ctx.logical_id, properties, ctx.deadline())
        return ProviderResult(result.arn, _attributes(result.outputs))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        result = _service(ctx).update(physical_id, ctx.logical_id, properties, ctx.deadline())
        return ProviderResult(result.arn, _attributes(result.outputs))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        _service(ctx).delete(physical_id, ctx.deadline())
