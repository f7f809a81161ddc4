"""ALIYUN::ROS::Sleep: waits ``CreateDuration`` seconds on create, ``UpdateDuration`` on an update
that changes ``Triggers``, ``DeleteDuration`` on delete — the way templates wait out the cloud's
eventual consistency.

Locally nothing is eventually consistent, yet a template's timing is part of what it does, so the
sleep is real; ``ROSENGINE_SLEEP_SCALE`` (a factor, e.g. ``0.01`` in tests, ``0`` to skip) scales
it, and the status reason says how long it slept and why. Never longer than the stack's deadline.
``UpdateRollbackDuration`` is not told apart from ``UpdateDuration`` (a rollback reaches the
provider as an update back to the previous properties).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider

SCALE_VARIABLE = "ROSENGINE_SLEEP_SCALE"


def sleep_scale() -> float:
    raw = os.environ.get(SCALE_VARIABLE, "").strip()
    if not raw:
        return 1.0
    try:
        scale = float(raw)
    except ValueError:
        raise ProviderError(
            f"{SCALE_VARIABLE} must be a number, got {raw!r}", code="InvalidParameter"
        ) from None
    return max(scale, 0.0)


def _sleep(ctx: ProviderContext, properties: dict[str, Any], key: str) -> str:
    asked = float(properties.get(key) or 0)
    scale = sleep_scale()
    seconds = min(asked * scale, max(ctx.deadline(), 0.0))
    if seconds > 0:
        threading.Event().wait(seconds)  # the sleep itself is the resource's job
    scaled = f" ({key} {asked:g} s scaled by {SCALE_VARIABLE}={scale:g})" if scale != 1.0 else ""
    return f"slept {seconds:.3g} s{scaled}" if asked else f"no {key}: nothing to wait for"


class SleepProvider(ResourceProvider):
    type_name = "ALIYUN::ROS::Sleep"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        return ProviderResult(
            f"{ctx.stack_id}/{ctx.logical_id}", {}, note=_sleep(ctx, properties, "CreateDuration")
        )

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        if properties.get("Triggers") == previous_properties.get("Triggers"):
            return ProviderResult(physical_id, {}, note="Triggers unchanged: no sleep")
        return ProviderResult(physical_id, {}, note=_sleep(ctx, properties, "UpdateDuration"))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        _sleep(ctx, properties, "DeleteDuration")
