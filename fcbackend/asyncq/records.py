"""What the async queue remembers about one accepted event, and how FC shows it
(docs/reference/fc-api.md#async-tasks).

Why: plain async invocations and async *tasks* (stateful invocations) share one durable record;
tasks additionally keep an event history and are visible through the task APIs.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fcbackend.models import HttpRequestInfo


class TaskStatus(StrEnum):
    ENQUEUED = "Enqueued"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    RETRYING = "Retrying"

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED = frozenset(
    {TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.STOPPED, TaskStatus.EXPIRED, TaskStatus.INVALID}
)
WAITING = (TaskStatus.ENQUEUED, TaskStatus.RETRYING)


@dataclass
class AsyncSubmission:
    """One accepted async invocation, as the API hands it to the queue."""

    invocation_id: str  # task id (X-Fc-Stateful-Async-Invocation-Id) or the request id
    request_id: str
    service: str
    function: str
    qualifier: str = "LATEST"
    payload: bytes = b""
    http: HttpRequestInfo | None = None
    stateful: bool = False
    max_retry_attempts: int = 3
    max_event_age_s: float = 86_400
    on_success: str | None = None
    on_failure: str | None = None
    delay_s: float = 0.0


@dataclass
class AsyncEvent:
    """The stored state of one async invocation."""

    invocation_id: str
    request_id: str
    service: str
    function: str
    qualifier: str
    payload: bytes
    http: HttpRequestInfo | None
    stateful: bool
    status: TaskStatus
    attempts: int  # invocations started so far (function-error retries count)
    throttles: int  # 429s seen so far (retried separately)
    created: float
    next_at: float
    max_retry_attempts: int
    max_event_age_s: float
    on_success: str | None
    on_failure: str | None
    started: float | None = None
    ended: float | None = None
    error_message: str | None = None
    return_payload: bytes | None = None
    instance_id: str | None = None
    duration_ms: float | None = None
    destination_status: str | None = None
    version_id: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def already_retried(self) -> int:
        return max(0, self.attempts - 1)

    def to_api(self, include_payload: bool = True) -> dict[str, Any]:
        """The FC2 ``StatefulAsyncInvocation`` object (times in epoch milliseconds)."""
        data: dict[str, Any] = {
            "serviceName": self.service,
            "functionName": self.function,
            "qualifier": self.qualifier,
            "invocationId": self.invocation_id,
            "requestId": self.request_id,
            "status": str(self.status),
            "startedTime": _ms(self.started if self.started is not None else self.created),
            "endTime": _ms(self.ended) if self.ended is not None else 0,
            "destinationStatus": self.destination_status or "",
            "invocationErrorMessage": self.error_message or "",
            "alreadyRetriedTimes": self.already_retried,
            "instanceId": self.instance_id or "",
            "durationMs": int(self.duration_ms or 0),
            "events": [dict(e) for e in self.events],
        }
        if include_payload:
            data["invocationPayload"] = _text(self.payload)
            data["returnPayload"] = _text(self.return_payload or b"")[:1_048_576]
        return data


def http_to_json(info: HttpRequestInfo | None) -> str | None:
    if info is None:
        return None
    return json.dumps(
        {
            "method": info.method,
            "path": info.path,
            "query": info.query,
            "headers": info.headers,
            "body": base64.b64encode(info.body).decode(),
            "client_ip": info.client_ip,
            "host": info.host,
            "request_uri": info.request_uri,
        }
    )


def http_from_json(text: str | None) -> HttpRequestInfo | None:
    if not text:
        return None
    raw = json.loads(text)
    return HttpRequestInfo(
        method=raw["method"],
        path=raw["path"],
        query=raw["query"],
        headers=[(k, v) for k, v in raw["headers"]],
        body=base64.b64decode(raw["body"]),
        client_ip=raw.get("client_ip", ""),
        host=raw.get("host", ""),
        request_uri=raw.get("request_uri", ""),
    )


def _ms(epoch: float | None) -> int:
    return int(round((epoch or 0) * 1000))


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
