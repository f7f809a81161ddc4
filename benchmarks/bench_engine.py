"""Engine overhead per resource: create and delete a 300-resource stack whose provider does
nothing, sequentially (concurrency 1) and in parallel (concurrency 8).

Everything measured is engine cost: template preparation, property resolution, validation,
state writes (a status + event transaction before and after each provider call), the thread
handoff and events. Goal: <= 2 ms per resource. Run: ``python benchmarks/bench_engine.py``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESOURCES = 300
GOAL_MS = 2.0


def _install_instant_type() -> None:
    from resource_types import registry
    from resource_types.base import ProviderResult, ResourceProvider, ResourceType, ResourceTypeSchema

    class InstantProvider(ResourceProvider):
        type_name = "Bench::Instant"

        def create(self, ctx: Any, properties: dict[str, Any]) -> ProviderResult:
            return ProviderResult(f"{ctx.logical_id}-id", {"Arn": f"acs:bench::{ctx.logical_id}"})

        def update(
            self,
            ctx: Any,
            physical_id: str,
            properties: dict[str, Any],
            previous_properties: dict[str, Any],
            previous_attributes: dict[str, Any],
        ) -> ProviderResult:
            return ProviderResult(physical_id, {"Arn": f"acs:bench::{ctx.logical_id}"})

        def delete(self, ctx: Any, physical_id: str, properties: dict[str, Any]) -> None:
            return None

    schema = ResourceTypeSchema.from_dict(
        {
            "typeName": "Bench::Instant",
            "properties": {
                "Name": {"type": "string"},
                "Parent": {"type": "string"},
                "Size": {"type": "integer"},
            },
            "attributes": {"Arn": {"type": "string"}},
            "createOnlyProperties": ["Name"],
        }
    )
    registry.register(ResourceType(schema, InstantProvider))


def _template() -> str:
    """30 roots, each with 9 dependants reading the root's Arn: wide enough to run in parallel."""
    resources: dict[str, Any] = {}
    roots = RESOURCES // 10
    for r in range(roots):
        resources[f"Root{r}"] = {"Type": "Bench::Instant", "Properties": {"Name": f"root-{r}", "Size": r}}
        for c in range(9):
            resources[f"Leaf{r}x{c}"] = {
                "Type": "Bench::Instant",
                "Properties": {
                    "Name": {"Fn::Sub": f"leaf-{r}-{c}-${{ALIYUN::StackName}}"},
                    "Parent": {"Fn::GetAtt": [f"Root{r}", "Arn"]},
                    "Size": c,
                },
            }
    return json.dumps({"ROSTemplateFormatVersion": "2015-09-01", "Resources": resources})


def _measure(engine: Any, name: str, body: str, concurrency: int) -> tuple[float, float, float]:
    from rosengine.engine import StackOptions

    options = StackOptions(concurrency=concurrency)
    began = time.perf_counter()
    stack = engine.create_stack(name, body, options=options)
    created = time.perf_counter()
    assert stack.status == "CREATE_COMPLETE", stack.reason
    updated_stack = engine.update_stack(
        name, template_body=body.replace('"Size": 1}', '"Size": 100}'), options=options
    )
    updated = time.perf_counter()
    assert updated_stack.status == "UPDATE_COMPLETE", updated_stack.reason
    gone = engine.delete_stack(name, options=options)
    deleted = time.perf_counter()
    assert gone.status == "DELETE_COMPLETE", gone.reason
    return created - began, updated - created, deleted - updated


def main() -> int:
    os.environ["ROS_HOME"] = tempfile.mkdtemp(prefix="ros-bench-")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    _install_instant_type()
    from rosengine.engine import StackEngine
    from rosengine.state import open_store

    engine = StackEngine(open_store())
    body = _template()
    _measure(engine, "warmup", body, 8)  # imports, schema compilation, SQLite warm-up
    results = {}
    for concurrency in (1, 8):
        results[concurrency] = _measure(engine, f"bench-c{concurrency}", body, concurrency)
    print(f"engine overhead, {RESOURCES} resources, instant provider (goal <= {GOAL_MS:.1f} ms/resource)")
    print(f"{'':14}{'create':>16}{'update (30 mod)':>16}{'delete':>16}")
    for concurrency, (create, update, delete) in results.items():
        cells = "".join(f"{t * 1000 / RESOURCES:>11.2f} ms/r" for t in (create, update, delete))
        print(f"concurrency {concurrency:<2}{cells}")
    seq, par = results[1][0], results[8][0]
    print(
        f"create totals: sequential {seq * 1000:.0f} ms, parallel {par * 1000:.0f} ms, "
        f"parallel/sequential = {par / seq:.2f}x"
    )
    worst = max(t for row in results.values() for t in row) * 1000 / RESOURCES
    print(f"worst per-resource overhead {worst:.2f} ms: {'OK' if worst <= GOAL_MS else 'OVER GOAL'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
