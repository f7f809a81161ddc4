"""ALIYUN::ROS::WaitCondition: waits until its handle has ``Count`` SUCCESS signals.

A FAILURE signal fails it at once, with the signals' reasons; ``Timeout`` (or the stack's deadline,
whichever comes first) fails it too. Signals that arrived before it was created count — they are
kept by the backend's ROS callbacks service from the moment the handle exists. The wait is a long
poll the service answers the instant a signal arrives. While a WaitCondition waits, the handle
takes signals; once it finished, the service refuses late ones (a signal after the fact is a
mistake worth hearing about).

Attributes (INFERRED where ROS only names them): ``Data`` — a JSON string ``{"<id>": <data>}`` of
the SUCCESS and WARNING signals (read with ``Fn::GetJsonValue``); ``ErrorData`` — the same of the
FAILURE signals (their data, else their reason); ``JoinedErrorData`` — those values joined with
``", "``; ``LastData``, ``LastErrorData``, ``JoinedLastErrorData`` — the same over the signals
received since this create or update began (on create: all of them).

ROS's documentation of the type:
https://www.alibabacloud.com/help/en/ros/developer-reference/aliyun-ros-waitcondition (and
docs/reference/ros-template-language.md#nested-stacks-wait-conditions-and-custom-resources); what
we do locally: docs/local-resource-types.md.

When only placeholders could ever signal it (``ProviderContext.placeholder_signallers``, decided
by the engine), it signals SUCCESS itself and says so in its status reason.
"""

from __future__ import annotations

import json
import time
from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider
from resource_types.ros.callbacks_api import callbacks_client, handle_address

POLL_S = 20.0


def _number(properties: dict[str, Any], name: str, default: float) -> float:
    value = properties.get(name, default)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ProviderError(f"{name} must be a number, got {value!r}", code="InvalidParameter") from None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def signal_attributes(signals: list[Any], since: float) -> dict[str, Any]:
    """The WaitCondition's attributes from its handle's signals (see the module docstring)."""

    def split(group: list[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        good = {s.unique_id: s.data for s in group if s.status != "FAILURE"}
        bad = {
            s.unique_id: (s.data if s.data is not None else s.reason) for s in group if s.status == "FAILURE"
        }
        return good, bad

    data, errors = split(signals)
    last_data, last_errors = split([s for s in signals if s.received >= since])
    return {
        "Data": json.dumps(data, ensure_ascii=False),
        "ErrorData": json.dumps(errors, ensure_ascii=False),
        "JoinedErrorData": ", ".join(_text(v) for v in errors.values()),
        "LastData": json.dumps(last_data, ensure_ascii=False),
        "LastErrorData": json.dumps(last_errors, ensure_ascii=False),
        "JoinedLastErrorData": ", ".join(_text(v) for v in last_errors.values()),
    }


class WaitConditionProvider(ResourceProvider):
    type_name = "ALIYUN::ROS::WaitCondition"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        return self._wait(ctx, properties, since=0.0)

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        return self._wait(ctx, properties, since=time.time())

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        """Nothing to delete: the signals belong to the handle."""
        return None

    def _wait(self, ctx: ProviderContext, properties: dict[str, Any], *, since: float) -> ProviderResult:
        from rosengine.clients.fc import FcApiError

        stack_id, handle = handle_address(properties.get("Handle"))
        count = max(1, int(_number(properties, "Count", 1)))
        timeout = _number(properties, "Timeout", 0)
        show = str(properties.get("ShowProgressEvent") or "Disabled").lower() in ("enabled", "true")
        client = callbacks_client(ctx)
        physical_id = f"{ctx.stack_id}/{ctx.logical_id}"
        began = time.monotonic()
        deadline = began + max(0.0, min(timeout, ctx.deadline()))
        outcome = "FAILURE"
        try:
            client.begin_wait(stack_id, handle)
            if ctx.placeholder_signallers:
                self._signal_for_placeholders(ctx, client, stack_id, handle, count)
            state = client.signals(stack_id, handle)
            shown = 0
            while True:
                if show:
                    for signal in state.signals[shown:]:
                        ctx.emit(f"signal {signal.unique_id}: {signal.status} {signal.reason}".rstrip())
                    shown = len(state.signals)
                failures = [s for s in state.signals if s.status == "FAILURE"]
                successes = [s for s in state.signals if s.status == "SUCCESS"]
                if state.gone:
                    raise ProviderError(f"the WaitConditionHandle {handle} was deleted while waiting")
                if failures:
                    reasons = "; ".join(f"{s.unique_id}: {s.reason or _text(s.data)}" for s in failures)
                    raise ProviderError(f"received a FAILURE signal ({reasons})", code="WaitConditionFailed")
                if len(successes) >= count:
                    outcome = "SUCCESS"
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ProviderError(
                        f"timed out after {time.monotonic() - began:.0f} s waiting for {count} SUCCESS "
                        f"signal{'s' if count > 1 else ''} on {handle} (received {len(successes)})",
                        code="WaitConditionTimeout",
                    )
                state = client.signals(stack_id, handle, after=state.newest, wait_s=min(left, POLL_S))
        except FcApiError as exc:
            raise ProviderError(f"waiting on {handle}: {exc.error_code}: {exc.message}") from exc
        finally:
            try:
                client.end_wait(stack_id, handle, f"{outcome} for {ctx.logical_id}")
            except FcApiError:
                pass  # the handle is gone: nothing to close
        note = ""
        if ctx.placeholder_signallers:
            note = (
                "flagged: signalled SUCCESS by rosengine, because only placeholders could signal it: "
                + ", ".join(ctx.placeholder_signallers)
            )
        return ProviderResult(physical_id, signal_attributes(state.signals, since), note=note)

    @staticmethod
    def _signal_for_placeholders(
        ctx: ProviderContext, client: Any, stack_id: str, handle: str, count: int
    ) -> None:
        reason = (
            "signalled by rosengine: no local twin will signal ("
            + ", ".join(ctx.placeholder_signallers)
            + ")"
        )
        have = sum(1 for s in client.signals(stack_id, handle).signals if s.status == "SUCCESS")
        for number in range(have + 1, count + 1):
            client.signal(
                stack_id,
                handle,
                {"status": "SUCCESS", "reason": reason, "id": f"rosengine-placeholder-{number}"},
            )
