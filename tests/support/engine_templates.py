"""Template builders shared by the engine tests."""

from __future__ import annotations

import json
from typing import Any


def template(
    resources: dict[str, Any],
    *,
    parameters: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
) -> str:
    body: dict[str, Any] = {"ROSTemplateFormatVersion": "2015-09-01", "Resources": resources}
    if parameters:
        body["Parameters"] = parameters
    if outputs:
        body["Outputs"] = outputs
    return json.dumps(body)


def recorder(properties: dict[str, Any] | None = None, **keys: Any) -> dict[str, Any]:
    res: dict[str, Any] = {"Type": "Test::Recorder", "Properties": properties or {}}
    res.update(keys)
    return res


def statuses(events: list[Any], logical_id: str) -> list[str]:
    return [e.status for e in events if e.logical_id == logical_id]
