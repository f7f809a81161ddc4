"""API Gateway records that a backend route needs: groups, APIs whose backend is a function, and
their deployments are published to the backend (``ctx.clients("apigateway")``), which then answers
the API's requests by calling the function (``fcbackend/apigateway``). Everything else about API
Gateway stays a record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from resource_types.base import ProviderContext, ProviderError
from resource_types.records.provider import Publisher


def _get(data: Any, name: str) -> Any:
    """A key of an API Gateway config map, whatever its casing (templates write both
    ``serviceName`` and ``ServiceName``)."""
    if not isinstance(data, Mapping):
        return None
    lowered = {str(k).lower(): v for k, v in data.items()}
    return lowered.get(name.lower())


def function_backend(properties: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(service, function, qualifier) of an API whose backend is an FC 2.0 function, else None."""
    service = properties.get("ServiceConfig")
    if str(_get(service, "ServiceProtocol") or "").lower() != "functioncompute":
        return None
    fc = _get(service, "FunctionComputeConfig")
    name, function = _get(fc, "ServiceName"), _get(fc, "FunctionName")
    if not name or not function:
        return None
    return str(name), str(function), str(_get(fc, "Qualifier") or "")


def _client(ctx: ProviderContext) -> Any:
    return ctx.clients("apigateway")


def _calling(action: str, call: Callable[[], object]) -> None:
    from rosengine.clients.fc import FcApiError, FcNotFound

    try:
        call()
    except FcNotFound:
        if not action.startswith("withdraw"):
            raise
    except FcApiError as exc:
        raise ProviderError(f"{action}: {exc.error_code}: {exc.message}") from exc


class GroupPublisher(Publisher):
    def publish(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: Mapping[str, Any],
        attributes: Mapping[str, Any],
    ) -> None:
        name, domain = str(properties.get("GroupName") or ""), str(attributes.get("SubDomain") or "")
        _calling("publishing the API group", lambda: _client(ctx).put_group(physical_id, name, domain))

    def withdraw(self, ctx: ProviderContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        _calling("withdrawing the API group", lambda: _client(ctx).delete_group(physical_id))


class ApiPublisher(Publisher):
    def publish(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: Mapping[str, Any],
        attributes: Mapping[str, Any],
    ) -> None:
        backend = function_backend(properties)
        if backend is None:
            return  # a backend we do not reach (HTTP, VPC, mock): the API stays a record
        request = properties.get("RequestConfig")
        service, function, qualifier = backend
        _calling(
            "publishing the API",
            lambda: _client(ctx).put_api(
                physical_id,
                group_id=str(properties.get("GroupId") or ""),
                name=str(properties.get("ApiName") or ""),
                method=str(_get(request, "RequestHttpMethod") or "ANY"),
                path=str(_get(request, "RequestPath") or "/"),
                service=service,
                function=function,
                qualifier=qualifier,
            ),
        )

    def withdraw(self, ctx: ProviderContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        if function_backend(properties) is not None:
            _calling("withdrawing the API", lambda: _client(ctx).delete_api(physical_id))


class DeploymentPublisher(Publisher):
    @staticmethod
    def _key(properties: Mapping[str, Any]) -> tuple[str, str, str]:
        return str(properties.get("GroupId")), str(properties.get("StageName")), str(properties.get("ApiId"))

    def publish(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: Mapping[str, Any],
        attributes: Mapping[str, Any],
    ) -> None:
        group, stage, api = self._key(properties)
        _calling("deploying the API", lambda: _client(ctx).deploy(group, stage, api))

    def withdraw(self, ctx: ProviderContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        group, stage, api = self._key(properties)
        _calling("withdrawing the deployment", lambda: _client(ctx).undeploy(group, stage, api))


API_GATEWAY_PUBLISHERS: dict[str, Publisher] = {
    "group": GroupPublisher(),
    "api": ApiPublisher(),
    "deployment": DeploymentPublisher(),
}
