"""ALIYUN::FC3::FunctionInvoker → InvokeFunction (+ GetAsyncTask).

The function runs on create only when ``ExecuteVersion`` is set, and again on update only when
``ExecuteVersion`` changes to another integer (ROS's rule); delete invokes nothing. ``Event`` is
sent as UTF-8 bytes. Sync calls: ``ResultType`` ``Success`` with the function's UTF-8 answer in
``Result``, or ``Failure`` with the error (with ``CheckError`` a failure fails the resource, and
so does an answer that is not UTF-8). Async calls run as tasks (a generated task id, so ``TaskId``
is always there); with ``CheckAsyncInvocation.Enabled`` the task is polled every
``CheckInterval`` seconds up to ``CheckTimes`` times (sooner at first: locally tasks finish in
milliseconds) and judged like a sync call, its ``Events`` returned. ``ServiceRegionId`` other
than the stack's region is refused: the local backend serves one region.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider
from resource_types.fc.fc_api import invocation_error_message, whole_number

FINAL_FAILURES = ("Failed", "Stopped", "Expired", "Invalid")


class Fc3FunctionInvokerProvider(ResourceProvider):
    """Physical id ``<function>|invoker-<random>``: unique per resource."""

    type_name = "ALIYUN::FC3::FunctionInvoker"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        physical_id = f"{properties['FunctionName']}|invoker-{uuid.uuid4().hex[:12]}"
        if whole_number(properties.get("ExecuteVersion")) is None:
            return ProviderResult(
                physical_id, {"ResultType": "NoResult", "Result": None, "TaskId": None, "Events": []}
            )
        return ProviderResult(physical_id, self._invoke(ctx, properties))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        new, old = (
            whole_number(properties.get("ExecuteVersion")),
            whole_number(previous_properties.get("ExecuteVersion")),
        )
        if new is None or new == old:
            return ProviderResult(physical_id, dict(previous_attributes))
        return ProviderResult(physical_id, self._invoke(ctx, properties))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        """Nothing to delete and nothing to invoke."""
        return None

    def _invoke(self, ctx: ProviderContext, properties: dict[str, Any]) -> dict[str, Any]:
        from rosengine.clients.fc import FcApiError

        region = properties.get("ServiceRegionId")
        if region and region != ctx.region:
            raise ProviderError(
                f"ServiceRegionId {region} is not the stack's region {ctx.region}: "
                "the local backend serves one region",
                code="InvalidArgument",
            )
        fc3 = ctx.client("fc3")
        function = str(properties["FunctionName"])
        event = properties.get("Event")
        payload = b"" if event is None else str(event).encode("utf-8")
        is_async = bool(properties.get("Async"))
        check_error = bool(properties.get("CheckError"))
        task_id = f"invoker_{uuid.uuid4().hex}" if is_async else None
        try:
            result = fc3.invoke_function(
                function,
                payload,
                qualifier=properties.get("Qualifier"),
                invocation_type="Async" if is_async else "Sync",
                task_id=task_id,
            )
        except FcApiError as exc:
            if check_error:
                raise ProviderError(f"invoking {function} failed: {exc}") from exc
            return {"ResultType": "Failure", "Result": str(exc), "TaskId": task_id, "Events": []}
        if is_async:
            check = properties.get("CheckAsyncInvocation") or {}
            if check.get("Enabled"):
                return self._wait(ctx, fc3, function, str(task_id), properties, check)
            return {"ResultType": "NoResult", "Result": None, "TaskId": task_id, "Events": []}
        return {
            **self._judge(function, result.body, result.error_type, check_error),
            "TaskId": None,
            "Events": [],
        }

    @staticmethod
    def _judge(function: str, body: bytes, error_type: str | None, check_error: bool) -> dict[str, Any]:
        if error_type:
            message = invocation_error_message(body, error_type)
            if check_error:
                raise ProviderError(f"function {function} failed: {message}")
            return {"ResultType": "Failure", "Result": message}
        try:
            return {"ResultType": "Success", "Result": body.decode("utf-8")}
        except UnicodeDecodeError as exc:
            message = "the function returned bytes that are not UTF-8; base64-encode binary results"
            if check_error:
                raise ProviderError(message) from exc
            return {"ResultType": "Failure", "Result": message}

    def _wait(
        self,
        ctx: ProviderContext,
        fc3: Any,
        function: str,
        task_id: str,
        properties: dict[str, Any],
        check: dict[str, Any],
    ) -> dict[str, Any]:
        interval = max(float(check.get("CheckInterval", 10)), 0.0)
        times = int(check.get("CheckTimes", 10))
        delay = min(0.05, interval) if interval else 0.05
        deadline = time.monotonic() + min(interval * times, max(ctx.deadline(), 0.0))
        while True:
            task = fc3.get_async_task(function, task_id, qualifier=properties.get("Qualifier"))
            status = task.get("status")
            events = task.get("events") or []
            if status == "Succeeded":
                payload = str(task.get("returnPayload") or "").encode("utf-8")
                outcome = self._judge(function, payload, None, bool(properties.get("CheckError")))
                return {**outcome, "TaskId": task_id, "Events": events}
            if status in FINAL_FAILURES:
                message = task.get("taskErrorMessage") or status
                if properties.get("CheckError"):
                    raise ProviderError(f"async task {task_id} of {function} {status}: {message}")
                return {"ResultType": "Failure", "Result": message, "TaskId": task_id, "Events": events}
            if time.monotonic() >= deadline:
                raise ProviderError(
                    f"async task {task_id} of {function} did not finish in time (last status {status})"
                )
            time.sleep(delay)  # polling interval of CheckAsyncInvocation, not synchronisation
            delay = min(delay * 2, interval or 1.0)
