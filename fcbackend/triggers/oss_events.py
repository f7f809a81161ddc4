"""Fires OSS triggers when the local object store changes (docs/reference/fc-resource-types.md#trigger
``oss``).

Each matching trigger gets FC's OSS event (``{"events": [{eventName, eventSource: "acs:oss",
eventTime, region, oss: {bucket: {name, arn}, object: {key, size, eTag}}, ...}]}``) as an
asynchronous invocation, as FC delivers OSS events.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from fcbackend.clock import DEFAULT_CLOCK, Clock
from fcbackend.oss.service import EventOrigin
from fcbackend.oss.store import ObjectInfo
from fcbackend.triggers.events import oss_event
from fcbackend.triggers.model import Fire, TriggerInfo
from fcbackend.triggers.oss_match import matches


class OssTriggerNotifier:
    def __init__(
        self,
        triggers: Callable[[], list[TriggerInfo]],
        fire: Fire,
        *,
        region: str,
        account_id: str,
        clock: Clock = DEFAULT_CLOCK,
    ) -> None:
        self._triggers = triggers
        self._fire = fire
        self._region = region
        self._account_id = account_id
        self._clock = clock

    async def __call__(
        self, event_name: str, info: ObjectInfo, origin: EventOrigin | None = None
    ) -> list[TriggerInfo]:
        """Deliver the event to every matching trigger; returns those fired."""
        origin = origin or EventOrigin()
        fired = []
        for trigger in self._triggers():
            if not matches(trigger, bucket=info.bucket, key=info.key, event_name=event_name):
                continue
            body = oss_event(
                event_name=event_name,
                bucket=info.bucket,
                key=info.key,
                size=info.size,
                etag=info.etag,
                region=self._region,
                account_id=self._account_id,
                when=self._clock.time(),
                source_ip=origin.source_ip,
                request_id=origin.request_id,
                principal_id=origin.principal_id,
            )
            await self._fire(trigger, json.dumps(body).encode())
            fired.append(trigger)
        return fired
