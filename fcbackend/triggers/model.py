"""A trigger as the event sources see it, independent of how the REST store keeps it.

Why: the timer loop, the OSS event matcher, the http router and ``ros fc trigger-event`` all need
the same few fields; the API layer's store is adapted to :class:`TriggerSource` once
(``fcbackend.triggers.wiring``) and everything here stays testable without it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class TriggerInfo:
    service: str
    function: str
    name: str
    type: str  # timer | http | oss | log | mns_topic | cdn_events | tablestore | eventbridge | kafka | rds
    config: Mapping[str, Any] = field(default_factory=dict)
    qualifier: str = "LATEST"
    source_arn: str | None = None

    def setting(self, *names: str, default: Any = None) -> Any:
        """A config value by any of ``names``, matched case-insensitively
        (docs/reference/fc-resource-types.md#trigger)."""
        return lookup(self.config, *names, default=default)


class TriggerSource(Protocol):
    def list_triggers(self, trigger_type: str | None = None) -> list[TriggerInfo]: ...


Fire = Callable[[TriggerInfo, bytes], Awaitable[object]]
"""Deliver one event to the trigger's function (asynchronously, through the durable queue)."""


def lookup(config: Mapping[str, Any] | None, *names: str, default: Any = None) -> Any:
    if not isinstance(config, Mapping):
        return default
    lowered = {str(k).lower(): v for k, v in config.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return default


def truthy(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)
