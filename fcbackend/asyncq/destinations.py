"""Destinations of async invocations (``destinationConfig.onSuccess/onFailure``,
docs/reference/fc-api.md#asynchronous-invocation-and-retries).

The record sent to a destination is not documented (UNCONFIRMED). We send what a user of
Lambda-style destinations would expect, in FC's naming::

    {"timestamp": "<RFC 3339 UTC>",
     "requestContext": {"requestId", "functionArn", "condition", "approximateInvokeCount"},
     "requestPayload": "<the original event, as text>",
     "responseContext": {"statusCode", "functionError"},
     "responsePayload": "<what the function returned, as text>"}

``condition`` is ``Success``, ``RetriesExhausted``, ``EventAgeExceeded``, ``Throttled`` or
``PlatformError``. FC function destinations are delivered by invoking that function
asynchronously through the same durable queue; MNS queues/topics and EventBridge buses have no
local service, so they are recorded in the queue database as delivered (``ros fc tasks`` and
:meth:`AsyncStore.deliveries` show them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fcbackend.asyncq.records import AsyncEvent
from fcbackend.clock import utc_iso
from fcbackend.fc3.names import is_storage_service, parse_name

_FC2_FUNCTION_ARN = re.compile(
    r"^acs:fc:(?P<region>[^:]*):(?P<account>[^:]*):services/(?P<service>[^/.]+)"
    r"(?:\.(?P<qualifier>[^/]+))?/functions/(?P<function>[^/]+)$"
)


@dataclass(frozen=True)
class FunctionTarget:
    service: str
    function: str
    qualifier: str


_FC3_FUNCTION_ARN = re.compile(
    r"^acs:fc:(?P<region>[^:]*):(?P<account>[^:]*):functions/(?P<function>[^/:]+)(?::(?P<qualifier>[^/:]+))?$"
)


def parse_function_arn(arn: str) -> FunctionTarget | None:
    """The FC function an ARN names, or None for other destination kinds. FC 3.0 function ARNs
    (``acs:fc:<region>:<account>:functions/<fn>[:<qualifier>]``, the qualifier form
    UNCONFIRMED) name the function's place in the shared store (fcbackend.fc3.names)."""
    match = _FC2_FUNCTION_ARN.match(arn)
    if match is not None:
        return FunctionTarget(match["service"], match["function"], match["qualifier"] or "LATEST")
    match = _FC3_FUNCTION_ARN.match(arn)
    if match is not None:
        ref = parse_name(match["function"])
        return FunctionTarget(ref.service, ref.function, match["qualifier"] or "LATEST")
    return None


def function_arn(region: str, account_id: str, service: str, qualifier: str, function: str) -> str:
    if is_storage_service(service):  # an FC 3.0 function
        return f"acs:fc:{region}:{account_id}:functions/{function}"
    return f"acs:fc:{region}:{account_id}:services/{service}.{qualifier}/functions/{function}"


def destination_record(
    event: AsyncEvent,
    *,
    condition: str,
    now: float,
    status_code: int,
    function_error: str | None,
    response: bytes,
    region: str,
    account_id: str,
) -> dict[str, object]:
    return {
        "timestamp": utc_iso(now),
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": function_arn(region, account_id, event.service, event.qualifier, event.function),
            "condition": condition,
            "approximateInvokeCount": event.attempts,
        },
        "requestPayload": event.payload.decode("utf-8", errors="replace"),
        "responseContext": {"statusCode": status_code, "functionError": function_error},
        "responsePayload": response.decode("utf-8", errors="replace"),
    }
