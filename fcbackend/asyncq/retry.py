"""What to do with the result of one async attempt
(docs/reference/fc-api.md#asynchronous-invocation-and-retries "Retries").

Why a pure module: the rules are easy to get subtly wrong and easy to test without a queue.

* success                                   -> Succeeded
* function error (status 200 + error type)  -> retried up to ``maxAsyncRetryAttempts`` times
* throttled (HTTP 429 / ResourceExhausted)  -> retried with exponential back-off starting 0.5 s
  (0.5, 1, 2, 4 ... capped at 5 minutes between tries) for as long as the event may live, at most
  5 hours; so is an attempt whose instance was lost with its cluster node (``InstanceLost``):
  the function did not fail, the next try starts an instance on another node
* other platform errors (500 internal, 503 resource shortage, function not found ...) -> Failed,
  not retried

The delay between function-error retries is not documented (UNCONFIRMED); we wait 1 s, then 2 s,
then 4 s ... (capped at 60 s), which keeps a local retry loop quick yet visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fcbackend.models import InvocationResult
from fcbackend.scheduler.protocol import INSTANCE_LOST

THROTTLE_BASE_S = 0.5
THROTTLE_MAX_DELAY_S = 300.0
THROTTLE_MAX_SPAN_S = 5 * 3600.0
FUNCTION_ERROR_BASE_S = 1.0
FUNCTION_ERROR_MAX_DELAY_S = 60.0
NOT_FOUND_CODES = frozenset(
    {"ServiceNotFound", "FunctionNotFound", "AliasNotFound", "VersionNotFound", "QualifierNotFound"}
)


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FUNCTION_ERROR = "function_error"
    THROTTLED = "throttled"
    PLATFORM_ERROR = "platform_error"
    INVALID = "invalid"  # the target no longer exists


def classify(result: InvocationResult) -> Outcome:
    if result.ok:
        return Outcome.SUCCEEDED
    if result.status == 429 or result.error_code in ("ResourceExhausted", INSTANCE_LOST):
        return Outcome.THROTTLED
    if result.error_code in NOT_FOUND_CODES or (result.status == 404 and result.error_code):
        return Outcome.INVALID
    if result.error_code is None and result.error_type is not None:
        return Outcome.FUNCTION_ERROR
    return Outcome.PLATFORM_ERROR


@dataclass(frozen=True)
class RetryDecision:
    retry: bool
    delay_s: float = 0.0


def function_error_decision(
    attempts: int, max_retry_attempts: int, base_s: float = FUNCTION_ERROR_BASE_S
) -> RetryDecision:
    """``attempts`` = invocations made so far (1 after the first failure)."""
    retries_done = attempts - 1
    if retries_done >= max_retry_attempts:
        return RetryDecision(False)
    return RetryDecision(True, min(FUNCTION_ERROR_MAX_DELAY_S, base_s * (2**retries_done)))


def throttle_decision(
    throttles: int, age_s: float, max_event_age_s: float, base_s: float = THROTTLE_BASE_S
) -> RetryDecision:
    """``throttles`` = 429s seen so far including this one (1 after the first)."""
    delay = min(THROTTLE_MAX_DELAY_S, base_s * (2 ** (throttles - 1)))
    if age_s + delay >= min(max_event_age_s, THROTTLE_MAX_SPAN_S):
        return RetryDecision(False)
    return RetryDecision(True, delay)
