"""ALIYUN::FC3::AsyncInvokeConfig → PutAsyncInvokeConfig / DeleteAsyncInvokeConfig (LATEST).

Retries, event age, ``OnSuccess``/``OnFailure`` destinations (``acs:fc:...:functions/<name>``
reaches an FC 3.0 function) and ``AsyncTask`` (task mode: async calls can be listed, read and
stopped) are applied by the backend's async queue. Physical id: the function name.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.fc.fc_api import delete_ignoring_missing, fc_errors
from resource_types.fc3.fc3_api import drop_none, to_api


def _body(properties: dict[str, Any]) -> dict[str, Any]:
    return drop_none(
        {
            "asyncTask": properties.get("AsyncTask"),
            "destinationConfig": to_api(properties.get("DestinationConfig")),
            "maxAsyncEventAgeInSeconds": properties.get("MaxAsyncEventAgeInSeconds"),
            "maxAsyncRetryAttempts": properties.get("MaxAsyncRetryAttempts"),
        }
    )


class Fc3AsyncInvokeConfigProvider(ResourceProvider):
    type_name = "ALIYUN::FC3::AsyncInvokeConfig"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        function = str(properties["FunctionName"])
        with fc_errors(f"setting the async invoke config of {function}"):
            ctx.client("fc3").put_async_invoke_config(function, "LATEST", **_body(properties))
        return ProviderResult(function, {})

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        with fc_errors(f"setting the async invoke config of {physical_id}"):
            ctx.client("fc3").put_async_invoke_config(physical_id, "LATEST", **_body(properties))
        return ProviderResult(physical_id, {})

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        fc3 = ctx.client("fc3")
        delete_ignoring_missing(
            f"deleting the async invoke config of {physical_id}",
            lambda: fc3.delete_async_invoke_config(physical_id, "LATEST"),
            ctx,
        )
