"""The async invoke config of a function/qualifier (docs/reference/fc-api.md#async-invoke-config) as the queue
uses it.

Why a separate type: the REST layer stores the config as JSON (keys case-insensitive in,
camelCase out); the queue only needs four numbers and two destinations, snapshotted onto each
event when it is accepted so that a later config change does not rewrite history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_RETRY_ATTEMPTS = 3
DEFAULT_MAX_EVENT_AGE_S = 86_400
MAX_RETRY_ATTEMPTS_LIMIT = 8
MAX_EVENT_AGE_LIMIT_S = 2_592_000  # ROS FC2 validator's upper bound (FC3 API allows 604800)


@dataclass(frozen=True)
class AsyncInvokeConfig:
    max_retry_attempts: int = DEFAULT_MAX_RETRY_ATTEMPTS
    max_event_age_s: float = DEFAULT_MAX_EVENT_AGE_S
    on_success: str | None = None  # destination ARN
    on_failure: str | None = None
    stateful: bool = False  # statefulInvocation (FC2) / asyncTask (FC3)

    @classmethod
    def from_api(cls, data: Mapping[str, Any] | None) -> AsyncInvokeConfig:
        """Build from the stored API object; keys are matched case-insensitively."""
        if not data:
            return cls()
        flat = _lower_keys(data)
        destinations = _lower_keys(flat.get("destinationconfig") or {})
        retries = flat.get("maxasyncretryattempts")
        age = flat.get("maxasynceventageinseconds")
        stateful = flat.get("statefulinvocation", flat.get("asynctask", False))
        return cls(
            max_retry_attempts=DEFAULT_MAX_RETRY_ATTEMPTS if retries is None else int(retries),
            max_event_age_s=DEFAULT_MAX_EVENT_AGE_S if age is None else float(age),
            on_success=_destination(destinations.get("onsuccess")),
            on_failure=_destination(destinations.get("onfailure")),
            stateful=bool(stateful),
        )


def validate_async_config(data: Mapping[str, Any]) -> list[str]:
    """Errors in an async invoke config body (ranges of
    docs/reference/fc-api.md#asynchronous-invocation-and-retries, #async-invoke-config), each naming the
    key."""
    errors: list[str] = []
    flat = _lower_keys(data)
    retries = flat.get("maxasyncretryattempts")
    if retries is not None and (
        not isinstance(retries, int)
        or isinstance(retries, bool)
        or not 0 <= retries <= MAX_RETRY_ATTEMPTS_LIMIT
    ):
        errors.append(
            f"maxAsyncRetryAttempts must be an integer 0-{MAX_RETRY_ATTEMPTS_LIMIT}, got {retries!r}"
        )
    age = flat.get("maxasynceventageinseconds")
    if age is not None and (
        not isinstance(age, int) or isinstance(age, bool) or not 1 <= age <= MAX_EVENT_AGE_LIMIT_S
    ):
        errors.append(f"maxAsyncEventAgeInSeconds must be an integer 1-{MAX_EVENT_AGE_LIMIT_S}, got {age!r}")
    destinations = flat.get("destinationconfig")
    if destinations is not None:
        if not isinstance(destinations, Mapping):
            errors.append("destinationConfig must be an object with onSuccess/onFailure")
        else:
            for key, value in _lower_keys(destinations).items():
                if key not in ("onsuccess", "onfailure"):
                    errors.append(f"destinationConfig.{key}: expected onSuccess or onFailure")
                    continue
                arn = _destination(value)
                if value is not None and arn is None:
                    errors.append(f"destinationConfig.{key}.destination must be an ARN string")
                elif arn is not None and not arn.startswith("acs:"):
                    errors.append(f"destinationConfig.{key}.destination {arn!r} is not an acs: ARN")
    return errors


def _destination(value: Any) -> str | None:
    if isinstance(value, Mapping):
        found = _lower_keys(value).get("destination")
        return found if isinstance(found, str) and found else None
    return None


def _lower_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in data.items()} if isinstance(data, Mapping) else {}
