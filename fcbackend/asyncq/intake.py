"""Turns an async InvokeFunction request (headers, body, stored config) into a submission.

Why separate: the REST invoke route, http triggers, timers and OSS events all submit async
work; they share the header rules of docs/reference/fc-api.md#asynchronous-invocation-and-retries,
#async-tasks here.

Choices where FC documents nothing (recorded here):
* a caller-supplied task id (``X-Fc-Stateful-Async-Invocation-Id`` / FC3 ``x-fc-async-task-id``)
  makes the call a task even when the config does not enable stateful invocation — the caller
  evidently wants to look it up later;
* ``X-Fc-Async-Delay: <seconds>`` (0-3600) defers the first attempt;
* resubmitting an existing id of a *task* is 409 ``StatefulAsyncInvocationAlreadyExists``; a plain
  async call whose request id was already accepted is acknowledged again (202) without running
  twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fcbackend.asyncq.async_invoke_config import AsyncInvokeConfig
from fcbackend.asyncq.records import AsyncSubmission
from fcbackend.models import HttpRequestInfo

ASYNC_PAYLOAD_LIMIT = 128 * 1024
MAX_DELAY_S = 3600
TASK_ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,127}$")
TASK_ID_HEADERS = ("x-fc-stateful-async-invocation-id", "x-fc-async-task-id")
TASK_ENABLE_HEADER = "x-fc-stateful-async-invocation-enable"
DELAY_HEADER = "x-fc-async-delay"


class IntakeError(Exception):
    """A request the queue must refuse; carries the FC error to return."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def build_submission(
    *,
    service: str,
    function: str,
    qualifier: str,
    request_id: str,
    payload: bytes,
    headers: Mapping[str, str],
    config: AsyncInvokeConfig,
    http: HttpRequestInfo | None = None,
) -> AsyncSubmission:
    lowered = {k.lower(): v for k, v in headers.items()}
    size = len(http.body) if http is not None else len(payload)
    if size > ASYNC_PAYLOAD_LIMIT:
        raise IntakeError(
            400,
            "EntityTooLarge",
            f"payload size exceeds maximum allowed size ({ASYNC_PAYLOAD_LIMIT} bytes) "
            f"for async invocations: got {size} bytes",
        )
    task_id = next((lowered[h] for h in TASK_ID_HEADERS if lowered.get(h)), None)
    if task_id is not None and not TASK_ID_PATTERN.match(task_id):
        raise IntakeError(
            400,
            "InvalidArgument",
            f"X-Fc-Stateful-Async-Invocation-Id {task_id!r} must be 1-128 characters: a "
            "letter or '_' first, then letters, digits, '_' or '-'",
        )
    enable = lowered.get(TASK_ENABLE_HEADER, "").strip().lower() == "true"
    stateful = config.stateful or enable or task_id is not None
    delay = _delay(lowered.get(DELAY_HEADER))
    return AsyncSubmission(
        invocation_id=task_id or request_id,
        request_id=request_id,
        service=service,
        function=function,
        qualifier=qualifier,
        payload=payload,
        http=http,
        stateful=stateful,
        max_retry_attempts=config.max_retry_attempts,
        max_event_age_s=config.max_event_age_s,
        on_success=config.on_success,
        on_failure=config.on_failure,
        delay_s=delay,
    )


def _delay(raw: str | None) -> float:
    if raw is None or raw == "":
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise IntakeError(
            400,
            "InvalidArgument",
            f"X-Fc-Async-Delay must be a number of seconds 0-{MAX_DELAY_S}, got {raw!r}",
        ) from None
    if not 0 <= value <= MAX_DELAY_S:
        raise IntakeError(
            400, "InvalidArgument", f"X-Fc-Async-Delay must be 0-{MAX_DELAY_S} seconds, got {raw!r}"
        )
    return value
