"""ALIYUN::FC::FunctionInvoker provider (docs/reference/fc-resource-types.md#functioninvoker).

Invoked at create only when ``ExecuteVersion`` is set; on update only when ``ExecuteVersion``
changed to an integer; deleting it invokes nothing (UNCONFIRMED in ROS's docs; invoking on delete
would surprise users). ``Event`` is passed as UTF-8 bytes. With ``CheckError`` a failed call fails
the resource; otherwise ``ResultType`` is ``Failure`` and ``Result`` the error message.
``CheckAsyncInvocation`` (Async + Enabled) polls the async task until it ends, then checks it.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider
from resource_types.fc.fc_api import invocation_error_message, whole_number

if TYPE_CHECKING:
    from rosengine.clients.fc import FcClient


class FunctionInvokerProvider(ResourceProvider):
    """Physical id ``<service>|<function>|invoker-<random>``: unique per resource, and it names
    what was invoked in ``ros stack resources``."""

    type_name = "ALIYUN::FC::FunctionInvoker"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        physical_id = (
            f"{properties['ServiceName']}|{properties['FunctionName']}|invoker-{uuid.uuid4().hex[:12]}"
        )
        if properties.get("ExecuteVersion") is None:
            return ProviderResult(physical_id, {"ResultType": "NoResult", "Result": None})
        return ProviderResult(physical_id, self._invoke(ctx, properties))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        new_version = whole_number(properties.get("ExecuteVersion"))
        old_version = whole_number(previous_properties.get("ExecuteVersion"))
        if new_version is None or new_version == old_version:
            return ProviderResult(
                physical_id,
                {
                    "ResultType": previous_attributes.get("ResultType", "NoResult"),
                    "Result": previous_attributes.get("Result"),
                },
            )
        return ProviderResult(physical_id, self._invoke(ctx, properties))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        """Nothing to delete and nothing to invoke."""
        return None

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        return None

    def _invoke(self, ctx: ProviderContext, properties: dict[str, Any]) -> dict[str, Any]:
        from rosengine.clients.fc import FcApiError

        client = ctx.client("fc")
        service, function = properties["ServiceName"], properties["FunctionName"]
        event = properties.get("Event")
        payload = b"" if event is None else str(event).encode("utf-8")
        is_async = bool(properties.get("Async"))
        check_error = bool(properties.get("CheckError"))
        try:
            result = client.invoke_function(
                service,
                function,
                payload,
                qualifier=properties.get("Qualifier"),
                invocation_type="Async" if is_async else "Sync",
            )
        except FcApiError as exc:
            if check_error:
                raise ProviderError(f"invoking {service}/{function} failed: {exc}") from exc
            return {"ResultType": "Failure", "Result": str(exc)}
        if is_async:
            check = properties.get("CheckAsyncInvocation") or {}
            if check.get("Enabled"):
                return self._wait_async(ctx, client, service, function, properties, result.request_id, check)
            return {"ResultType": "NoResult", "Result": None}
        if result.error_type:
            message = invocation_error_message(result.body, result.error_type)
            if check_error:
                raise ProviderError(f"function {service}/{function} failed: {message}")
            return {"ResultType": "Failure", "Result": message}
        try:
            text = result.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            # ROS requires a UTF-8 result; anything else counts as a failed invocation.
            message = "the function returned bytes that are not UTF-8; base64-encode binary results"
            if check_error:
                raise ProviderError(message) from exc
            return {"ResultType": "Failure", "Result": message}
        return {"ResultType": "Success", "Result": text}

    def _wait_async(
        self,
        ctx: ProviderContext,
        client: FcClient,
        service: str,
        function: str,
        properties: dict[str, Any],
        request_id: str,
        check: dict[str, Any],
    ) -> dict[str, Any]:
        """Poll the async task (CheckAsyncInvocation) until it ends or CheckInterval x CheckTimes pass."""
        interval = max(float(check.get("CheckInterval", 10)), 0.0)
        times = int(check.get("CheckTimes", 10))
        # Locally tasks finish in milliseconds; poll quickly first, never longer than asked.
        delay = min(0.05, interval) if interval else 0.05
        deadline = time.monotonic() + min(interval * times, max(ctx.deadline(), 0.0))
        while True:
            task = client.get_stateful_async_invocation(
                service, function, request_id, qualifier=properties.get("Qualifier")
            )
            status = task.get("status")
            if status in ("Succeeded",):
                return {"ResultType": "Success", "Result": task.get("returnPayload")}
            if status in ("Failed", "Stopped", "Expired", "Invalid"):
                message = task.get("invocationErrorMessage") or status
                if properties.get("CheckError"):
                    raise ProviderError(f"async invocation {request_id} {status}: {message}")
                return {"ResultType": "Failure", "Result": message}
            if time.monotonic() >= deadline:
                raise ProviderError(
                    f"async invocation {request_id} did not finish in time (last status {status})"
                )
            time.sleep(delay)
            delay = min(delay * 2, interval or 1.0)
