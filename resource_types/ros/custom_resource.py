"""ALIYUN::ROS::CustomResource and ``Custom::<Name>``: ROS's request/response protocol with a local
function as the handler.

Create, Update and Delete each invoke the function named by ``ServiceToken`` asynchronously with
ROS's request (``RequestType``, ``RequestId``, ``ResponseURL``, ``IntranetResponseURL``,
``ResourceType``, ``LogicalResourceId``, ``StackId``, ``StackName``, ``ResourceOwnerId``,
``CallerId``, ``RegionId``, ``ResourceProperties`` = ``Parameters``; plus ``PhysicalResourceId``
on Update/Delete and ``OldResourceProperties`` on Update) as UTF-8 JSON bytes, then wait — at most
``Timeout`` seconds (default 60), never past the stack's deadline — for the handler's response on
``ResponseURL``, a URL of the backend's ROS callbacks service. ``SUCCESS`` gives the physical id
(the ``RequestId`` when the handler sends none; INFERRED, as CloudFormation does) and ``Data``, read
as ``Fn::GetAtt [Res, Outputs]`` (the whole map) or ``Fn::GetAtt [Res, <key>]``; ``FAILED`` fails
the resource with the handler's ``Reason``.

Locally we know more than ROS and say it at once instead of waiting for the timeout: a response
the service refused (no ``Status``, a wrong ``RequestId``) fails the resource with the refusal,
and a handler whose invocation ended (after FC's retries) without responding fails with its
error. An update may not change the physical id (ROS's rule).

ROS's protocol: https://www.alibabacloud.com/help/en/ros/user-guide/overview-of-custom-resources
(and docs/reference/ros-template-language.md#nested-stacks-wait-conditions-and-custom-resources);
locally: docs/local-resource-types.md.

Service tokens: ``acs:fc:<region>:<account>:services/<service>[.<qualifier>]/functions/<function>``
(FC 2.0) and ``acs:fc:<region>:<account>:functions/<function>[:<qualifier>]`` (FC 3.0) are invoked
through the FC clients (as async tasks, so the provider can tell when the handler ended);
``web[...]:<url>`` only when the URL is this machine's backend (an HTTP trigger's URL, say); MNS
tokens and other web URLs are refused with the reason — nothing local would receive the request.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider
from resource_types.ros.callbacks_api import callbacks_client

DEFAULT_TIMEOUT_S = 60.0
WEB_SYNC_TIMEOUT_S = 10.0  # ROS's fixed timeout of a sync web token
TASK_CHECK_S = 0.5  # how often the handler's async task is looked at while no response came
_FC2_ARN = re.compile(
    r"^acs:fc:(?P<region>[^:]*):(?P<account>[^:]*):services/(?P<service>[^/]+)/functions/(?P<function>[^/]+)$"
)
_FC3_ARN = re.compile(
    r"^acs:fc:(?P<region>[^:]*):(?P<account>[^:]*):functions/(?P<function>[^/:]+)(?::(?P<qualifier>[^/:]+))?$"
)
_WEB = re.compile(r"^web(?:\[(?P<options>[^\]]*)\])?:(?P<url>.+)$")
_TASK_ENDED = ("Succeeded", "Failed", "Stopped", "Expired", "Invalid")
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True)
class FunctionTarget:
    """An FC 2.0 function (``services/<service>[.<qualifier>]/functions/<function>``)."""

    service: str
    function: str
    qualifier: str | None

    def describe(self) -> str:
        qualified = f"{self.service}.{self.qualifier}" if self.qualifier else self.service
        return f"function {qualified}/{self.function}"

    def invoke(self, ctx: ProviderContext, payload: bytes, task_id: str) -> None:
        ctx.clients("fc").invoke_function(
            self.service,
            self.function,
            payload,
            qualifier=self.qualifier,
            invocation_type="Async",
            headers={"x-fc-stateful-async-invocation-id": task_id},
        )

    def task(self, ctx: ProviderContext, task_id: str) -> Any:
        return ctx.clients("fc").get_stateful_async_invocation(
            self.service, self.function, task_id, qualifier=self.qualifier
        )

    def stop(self, ctx: ProviderContext, task_id: str) -> None:
        ctx.clients("fc").stop_stateful_async_invocation(
            self.service, self.function, task_id, qualifier=self.qualifier
        )


@dataclass(frozen=True)
class Fc3FunctionTarget:
    """An FC 3.0 function (``functions/<function>[:<qualifier>]``)."""

    function: str
    qualifier: str | None

    def describe(self) -> str:
        return f"FC 3.0 function {self.function}{':' + self.qualifier if self.qualifier else ''}"

    def invoke(self, ctx: ProviderContext, payload: bytes, task_id: str) -> None:
        ctx.clients("fc3").invoke_function(
            self.function, payload, qualifier=self.qualifier, invocation_type="Async", task_id=task_id
        )

    def task(self, ctx: ProviderContext, task_id: str) -> Any:
        return ctx.clients("fc3").get_async_task(self.function, task_id, qualifier=self.qualifier)

    def stop(self, ctx: ProviderContext, task_id: str) -> None:
        ctx.clients("fc3").stop_async_task(self.function, task_id)


@dataclass(frozen=True)
class WebTarget:
    url: str
    sync: bool


def parse_service_token(token: Any, backend_endpoint: str) -> FunctionTarget | Fc3FunctionTarget | WebTarget:
    """What ``ServiceToken`` names, or a ProviderError saying why it cannot be called here."""
    text = str(token or "")
    fc = _FC2_ARN.match(text)
    if fc:
        service, _, qualifier = fc["service"].partition(".")
        return FunctionTarget(service, fc["function"], qualifier or None)
    fc3 = _FC3_ARN.match(text)
    if fc3:
        return Fc3FunctionTarget(fc3["function"], fc3["qualifier"] or None)
    if text.startswith("acs:mns:"):
        raise ProviderError(
            f"ServiceToken {text} is an MNS queue or topic: MNS is recorded locally without a data plane, "
            "so nothing would receive the request; point ServiceToken at a function "
            "(Fn::GetAtt [<Function>, ARN])",
            code="NotSupported",
        )
    web = _WEB.match(text)
    if web:
        url = web["url"]
        host = urlsplit(url).hostname or ""
        local = urlsplit(backend_endpoint).hostname or ""
        if host not in _LOCAL_HOSTS and host != local:
            raise ProviderError(
                f"ServiceToken {text} calls {host or url}, which is not this machine: a custom resource "
                "here only calls local handlers (a function ARN, or web:<url> of the local backend)",
                code="NotSupported",
            )
        options = {o.strip().lower() for o in (web["options"] or "").split(",") if o.strip()}
        return WebTarget(url, "sync" in options)
    if text.startswith("acs:fc:"):
        raise ProviderError(
            f"ServiceToken {text} is not an FC function ARN "
            "(acs:fc:<region>:<account>:services/<service>/functions/<function>, or functions/<function> "
            "for FC 3.0)",
            code="InvalidParameter",
        )
    raise ProviderError(
        f"ServiceToken {text!r} is neither an FC function ARN, an MNS ARN nor web:<url>",
        code="InvalidParameter",
    )


def _timeout(properties: dict[str, Any]) -> float:
    value = properties.get("Timeout", DEFAULT_TIMEOUT_S)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ProviderError(f"Timeout must be a number, got {value!r}", code="InvalidParameter") from None


class CustomResourceProvider(ResourceProvider):
    type_name = "ALIYUN::ROS::CustomResource"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        response = self._call(ctx, "Create", properties)
        physical_id = str(response.get("PhysicalResourceId") or response["RequestId"])
        return ProviderResult(physical_id, _attributes(response))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        response = self._call(ctx, "Update", properties, physical_id=physical_id, old=previous_properties)
        given = response.get("PhysicalResourceId")
        if given not in (None, "", physical_id):
            raise ProviderError(
                f"the handler answered the Update with PhysicalResourceId {given!r}; a custom resource's "
                f"physical id may not change on update (it is {physical_id!r})",
                code="InvalidResponse",
            )
        return ProviderResult(physical_id, _attributes(response))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        from rosengine.clients.fc import FcNotFound

        try:
            self._call(ctx, "Delete", properties, physical_id=physical_id)
        except _HandlerGone:
            return  # the handler's function is gone: nothing can be told, nothing is left to do
        except FcNotFound:
            return

    # -- one request ----------------------------------------------------------------------------
    def _call(
        self,
        ctx: ProviderContext,
        request_type: str,
        properties: dict[str, Any],
        *,
        physical_id: str | None = None,
        old: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        from rosengine.clients.fc import FcApiError

        callbacks = callbacks_client(ctx)
        target = parse_service_token(properties.get("ServiceToken"), callbacks.endpoint)
        timeout = (
            WEB_SYNC_TIMEOUT_S if isinstance(target, WebTarget) and target.sync else _timeout(properties)
        )
        deadline = time.monotonic() + max(0.0, min(timeout, ctx.deadline()))
        request_id = str(uuid.uuid4())
        try:
            response_url = callbacks.register_request(
                request_id=request_id, stack_id=ctx.stack_id, logical_id=ctx.logical_id
            )
            event: dict[str, Any] = {
                "RequestType": request_type,
                "RequestId": request_id,
                "ResponseURL": response_url,
                "IntranetResponseURL": response_url,
                "ResourceType": ctx.resource_type,
                "LogicalResourceId": ctx.logical_id,
                "StackId": ctx.stack_id,
                "StackName": ctx.stack_name,
                "ResourceOwnerId": ctx.account_id,
                "CallerId": ctx.account_id,
                "RegionId": ctx.region,
                "ResourceProperties": dict(properties.get("Parameters") or {}),
            }
            if physical_id is not None:
                event["PhysicalResourceId"] = physical_id
            if old is not None:
                event["OldResourceProperties"] = dict(old.get("Parameters") or {})
            payload = json.dumps(event, ensure_ascii=False).encode("utf-8")
            if isinstance(target, WebTarget):
                response = self._call_web(ctx, callbacks, target, payload, request_id, deadline)
            else:
                response = self._call_function(ctx, callbacks, target, payload, request_id, deadline)
        except FcApiError as exc:
            raise ProviderError(f"custom resource {request_type}: {exc.error_code}: {exc.message}") from exc
        finally:
            try:
                callbacks.forget_request(request_id)
            except FcApiError:
                pass
        if response.get("Status") != "SUCCESS":
            reason = response.get("Reason") or "no reason given"
            raise ProviderError(f"the handler answered FAILED: {reason}", code="CustomResourceFailed")
        return response

    def _call_function(
        self,
        ctx: ProviderContext,
        callbacks: Any,
        target: FunctionTarget | Fc3FunctionTarget,
        payload: bytes,
        request_id: str,
        deadline: float,
    ) -> dict[str, Any]:
        from rosengine.clients.fc import FcNotFound

        task_id = f"ros-{request_id}"  # a task id must start with a letter
        try:
            target.invoke(ctx, payload, task_id)
        except FcNotFound as exc:
            raise _HandlerGone(f"the handler {target.describe()} does not exist: {exc.message}") from exc
        refusals = 0
        while True:
            left = deadline - time.monotonic()
            state = callbacks.response(
                request_id, wait_s=min(max(left, 0.0), TASK_CHECK_S), known_refusals=refusals
            )
            if state.response is not None:
                return dict(state.response)
            if len(state.refusals) > refusals:
                self._stop(ctx, target, task_id)
                raise ProviderError(
                    f"the handler's response was refused: {state.refusals[-1]}", code="InvalidResponse"
                )
            task = self._task(ctx, target, task_id)
            if task.get("status") in _TASK_ENDED:
                late = callbacks.response(request_id)  # a response that raced the task's end
                if late.response is not None:
                    return dict(late.response)
                error = task.get("invocationErrorMessage") or task.get("errorMessage") or ""
                raise ProviderError(
                    f"the handler {target.describe()} ended ({task.get('status')}) without sending a "
                    f"response to ResponseURL{': ' + error if error else ''}",
                    code="NoResponse",
                )
            if time.monotonic() >= deadline:
                self._stop(ctx, target, task_id)
                raise ProviderError(
                    f"no response from {target.describe()} within the custom resource's timeout",
                    code="CustomResourceTimeout",
                )

    @staticmethod
    def _task(
        ctx: ProviderContext, target: FunctionTarget | Fc3FunctionTarget, task_id: str
    ) -> dict[str, Any]:
        from rosengine.clients.fc import FcNotFound

        try:
            task = target.task(ctx, task_id)
        except FcNotFound:
            return {}
        return task if isinstance(task, dict) else {}

    @staticmethod
    def _stop(ctx: ProviderContext, target: FunctionTarget | Fc3FunctionTarget, task_id: str) -> None:
        """Stop FC's retries of a handler whose answer is already known."""
        from rosengine.clients.fc import FcApiError

        try:
            target.stop(ctx, task_id)
        except FcApiError:
            pass  # already finished

    def _call_web(
        self,
        ctx: ProviderContext,
        callbacks: Any,
        target: WebTarget,
        payload: bytes,
        request_id: str,
        deadline: float,
    ) -> dict[str, Any]:
        status, body = callbacks.post_local(
            target.url, payload, timeout=max(deadline - time.monotonic(), 0.1)
        )
        if target.sync:
            if status >= 400:
                raise ProviderError(
                    f"web handler {target.url} answered HTTP {status}", code="CustomResourceFailed"
                )
            try:
                response = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise ProviderError(
                    f"web handler {target.url} did not answer JSON: {exc}", code="InvalidResponse"
                ) from exc
            if not isinstance(response, dict) or response.get("Status") not in ("SUCCESS", "FAILED"):
                raise ProviderError(
                    f"web handler {target.url} answered without Status SUCCESS or FAILED",
                    code="InvalidResponse",
                )
            return {**response, "RequestId": request_id}
        if status >= 400:
            raise ProviderError(
                f"web handler {target.url} answered HTTP {status}", code="CustomResourceFailed"
            )
        refusals = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProviderError(
                    f"no response from web handler {target.url} within the custom resource's timeout",
                    code="CustomResourceTimeout",
                )
            state = callbacks.response(request_id, wait_s=left, known_refusals=refusals)
            if state.response is not None:
                return dict(state.response)
            if len(state.refusals) > refusals:
                raise ProviderError(
                    f"the handler's response was refused: {state.refusals[-1]}", code="InvalidResponse"
                )


class _HandlerGone(ProviderError):
    """The handler's function does not exist (deleting then has nothing to tell)."""


def _attributes(response: dict[str, Any]) -> dict[str, Any]:
    data = response.get("Data") or {}
    attributes: dict[str, Any] = {str(k): v for k, v in data.items()}
    attributes["Outputs"] = dict(data)
    return attributes
