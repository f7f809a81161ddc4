"""ALIYUN::ROS::WaitConditionHandle: a signed URL that collects signals for WaitConditions.

The backend's ROS callbacks service issues the URL (on the backend's endpoint, which the host and
the functions reach) and keeps the signals, so a signal sent while no ``ros`` command runs still
counts. Attributes are ROS's: ``URL``, ``CurlCli`` (POSIX shell), ``WindowsCurlCli``,
``PowerShellCurlCli`` and ``Headers``; templates append ``-d '{"status": "SUCCESS"}'`` to a CLI.
Updating ``Mode``/``Count`` applies ROS's rules to the signals kept (Increment: none; Full: those
with an id up to Count) and issues a fresh URL. ROS's documentation:
https://www.alibabacloud.com/help/en/ros/developer-reference/aliyun-ros-waitconditionhandle;
locally: docs/local-resource-types.md.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider
from resource_types.ros.callbacks_api import callbacks_client, handle_address, handle_id


def _count(properties: dict[str, Any]) -> int:
    value = properties.get("Count", -1)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ProviderError(f"Count must be an integer, got {value!r}", code="InvalidParameter") from None


class WaitConditionHandleProvider(ResourceProvider):
    type_name = "ALIYUN::ROS::WaitConditionHandle"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        return self._issue(ctx, properties)

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        return self._issue(ctx, properties)

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        stack_id, logical_id = handle_address(physical_id)
        callbacks_client(ctx).delete_handle(stack_id, logical_id)

    def signal(self, ctx: ProviderContext, physical_id: str, signal: dict[str, Any]) -> dict[str, Any]:
        """ROS's SignalResource: record ``signal`` as if it had been POSTed to the URL."""
        stack_id, logical_id = handle_address(physical_id)
        stored = callbacks_client(ctx).signal(stack_id, logical_id, signal)
        return {"UniqueId": stored.unique_id, "Status": stored.status}

    def _issue(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        from rosengine.clients.fc import FcApiError

        try:
            attributes = callbacks_client(ctx).issue_handle(
                stack_name=ctx.stack_name,
                stack_id=ctx.stack_id,
                logical_id=ctx.logical_id,
                region=ctx.region,
                mode=str(properties.get("Mode") or "Full"),
                count=_count(properties),
            )
        except FcApiError as exc:
            raise ProviderError(f"issuing the signal URL: {exc.error_code}: {exc.message}") from exc
        return ProviderResult(handle_id(ctx.stack_id, ctx.logical_id), attributes)
