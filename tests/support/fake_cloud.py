"""Test resource types whose "cloud" is a JSON file, so a subprocess running ``ros stack`` and the
test agree on what exists (and a kill -9 does not lose it).

``Test::Recorder`` properties that steer behaviour (all optional):
  Name          — create-only (changing it forces replacement)
  Value         — updatable in place
  FailCreate / FailUpdate / FailDelete — raise ProviderError
  GoneOnDelete  — raise ResourceNotFound on delete
  Barrier       — name of a threading.Barrier(2) both creates must reach (proves overlap)
  Hang          — name of a threading.Event the create waits on (timeouts)
  Gate          — file path: the create writes ``<Gate>.reached`` then waits until ``<Gate>`` exists
  CreateBeforeGate — with Gate: the resource exists in the cloud before waiting
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from resource_types import registry
from resource_types.base import (
    ProviderContext,
    ProviderError,
    ProviderResult,
    ResourceNotFound,
    ResourceProvider,
    ResourceType,
    ResourceTypeSchema,
)

BARRIERS: dict[str, threading.Barrier] = {}
EVENTS: dict[str, threading.Event] = {}

SCHEMA = {
    "typeName": "Test::Recorder",
    "properties": {
        "Name": {"type": "string"},
        "Value": {},
        "FailCreate": {"type": "boolean"},
        "FailUpdate": {"type": "boolean"},
        "FailDelete": {"type": "boolean"},
        "GoneOnDelete": {"type": "boolean"},
        "Barrier": {"type": "string"},
        "Hang": {"type": "string"},
        "Gate": {"type": "string"},
        "CreateBeforeGate": {"type": "boolean"},
        "Ref": {},
    },
    "additionalProperties": True,
    "createOnlyProperties": ["Name"],
    "attributes": {"Arn": {"type": "string"}, "Name": {"type": "string"}, "Value": {}},
}


def cloud_path() -> Path:
    return Path(os.environ["ROS_TEST_CLOUD"])


@contextmanager
def cloud(path: Path | None = None) -> Iterator[dict[str, Any]]:
    """Lock the cloud file, yield its content, write it back."""
    path = path or cloud_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(str(path) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text()) if path.exists() else {"resources": {}, "calls": []}
        yield data
        path.write_text(json.dumps(data))


def snapshot() -> dict[str, Any]:
    with cloud() as data:
        return json.loads(json.dumps(data))


def calls() -> list[list[str]]:
    """[[verb, logical id, physical id], ...] in call order."""
    return snapshot()["calls"]


def _attrs(physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    return {"Arn": f"acs:test::{physical_id}", "Name": props.get("Name", ""), "Value": props.get("Value")}


def _wait_gate(gate: str) -> None:
    Path(gate + ".reached").write_text("yes")
    end = time.monotonic() + 120
    while not Path(gate).exists():
        if time.monotonic() > end:
            raise ProviderError("gate never opened")
        time.sleep(0.02)


class RecorderProvider(ResourceProvider):
    type_name = "Test::Recorder"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        path = cloud_path()  # a call abandoned at a timeout must not write into a later test's cloud
        with cloud(path) as data:
            data["calls"].append(["create-start", ctx.logical_id, ""])
        if properties.get("Barrier"):
            try:
                BARRIERS[properties["Barrier"]].wait(timeout=float(properties.get("BarrierTimeout", 10)))
            except threading.BrokenBarrierError as exc:
                raise ProviderError("the other create never ran at the same time") from exc
        if properties.get("Hang"):
            EVENTS[properties["Hang"]].wait(timeout=60)
        physical_id = f"{properties.get('Name') or ctx.logical_id}-{uuid.uuid4().hex[:8]}"
        if properties.get("Gate") and properties.get("CreateBeforeGate"):
            with cloud(path) as data:
                data["resources"][physical_id] = {
                    "logical_id": ctx.logical_id,
                    "stack": ctx.stack_id,
                    "properties": properties,
                }
            _wait_gate(properties["Gate"])
            return ProviderResult(physical_id, _attrs(physical_id, properties))
        if properties.get("Gate"):
            _wait_gate(properties["Gate"])
        if properties.get("FailCreate"):
            raise ProviderError(f"{ctx.logical_id} refused to be created")
        with cloud(path) as data:
            data["resources"][physical_id] = {
                "logical_id": ctx.logical_id,
                "stack": ctx.stack_id,
                "properties": properties,
            }
            data["calls"].append(["create", ctx.logical_id, physical_id])
        return ProviderResult(physical_id, _attrs(physical_id, properties))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        if properties.get("FailUpdate"):
            raise ProviderError(f"{ctx.logical_id} refused to be updated")
        with cloud() as data:
            if physical_id not in data["resources"]:
                raise ResourceNotFound(f"{physical_id} does not exist")
            data["resources"][physical_id]["properties"] = properties
            data["calls"].append(["update", ctx.logical_id, physical_id])
        return ProviderResult(physical_id, _attrs(physical_id, properties))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        if properties.get("FailDelete"):
            raise ProviderError(f"{ctx.logical_id} refused to be deleted")
        with cloud() as data:
            data["calls"].append(["delete", ctx.logical_id, physical_id])
            gone = data["resources"].pop(physical_id, None) is None
        if gone or properties.get("GoneOnDelete"):
            raise ResourceNotFound(physical_id)

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        with cloud() as data:
            for pid, entry in data["resources"].items():
                if (pid == physical_id) or (
                    not physical_id
                    and entry["logical_id"] == ctx.logical_id
                    and entry["stack"] == ctx.stack_id
                ):
                    return {"PhysicalResourceId": pid, **_attrs(pid, entry["properties"])}
        return None


def install() -> None:
    registry.register(ResourceType(ResourceTypeSchema.from_dict(SCHEMA), RecorderProvider))
    registry.register(ResourceType(ResourceTypeSchema.from_dict({**SCHEMA, "typeName": "Test::SchemaOnly"})))
