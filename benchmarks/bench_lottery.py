"""Wall time of real FC stacks: the lottery stack, and 100 services x 2 functions (300 FC resources).

The local FC backend is started first (``ros fc start`` in a temporary ROS_HOME) and is already
running when the clock starts; what is measured is the stack engine + FC providers + REST API +
(for lottery) a real function instance:

1. lottery create: service, function, and an invoker that runs the function on a *cold* instance.
2. lottery update with ExecuteVersion=1: the invoker runs the function again (warm instance).
3. lottery delete.
4. create / delete of a generated stack: 100 services, each with 2 functions (no invocations).

Goals: lottery create <= 0.5 s; 300 FC resources <= 3 s. For scale: ROS in the cloud takes tens of
seconds for the lottery stack. Also prints the same lottery create through the ``ros`` CLI
(includes interpreter start-up). Usage: ``python benchmarks/bench_lottery.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOTTERY = REPO / "templates" / "lottery.json"
LOTTERY_GOAL_S = 0.5
MANY_GOAL_S = 3.0
SERVICES = 100
FUNCTIONS_PER_SERVICE = 2
HANDLER = "def handler(event, context):\n    return event\n"


def many_functions_template() -> str:
    resources: dict = {}
    for s in range(SERVICES):
        resources[f"Service{s}"] = {
            "Type": "ALIYUN::FC::Service",
            "Properties": {
                "ServiceName": {"Fn::Sub": f"${{ALIYUN::StackName}}-svc{s}"},
                "Description": f"service {s}",
            },
        }
        for f in range(FUNCTIONS_PER_SERVICE):
            resources[f"Function{s}x{f}"] = {
                "Type": "ALIYUN::FC::Function",
                "Properties": {
                    "ServiceName": {"Fn::GetAtt": [f"Service{s}", "ServiceName"]},
                    "FunctionName": f"fn{f}",
                    "Handler": "index.handler",
                    "Runtime": "python3",
                    "MemorySize": 128,
                    "Code": {"SourceCode": HANDLER},
                },
            }
    return json.dumps({"ROSTemplateFormatVersion": "2015-09-01", "Resources": resources})


def _ros(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from rosengine.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=True,
    )


def _timed(call) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def _check(stack, status: str) -> None:
    if stack.status != status:
        raise SystemExit(f"stack {stack.name}: {stack.status}: {stack.reason}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ["ROS_HOME"] = tempfile.mkdtemp(prefix="ros-bench-lottery-")
    sys.path.insert(0, str(REPO))
    _ros("fc", "start")
    try:
        return _bench(args.runs)
    finally:
        _ros("fc", "stop")


def _bench(runs: int) -> int:
    from rosengine.engine import StackEngine
    from rosengine.state import open_store

    engine = StackEngine(open_store())
    body = LOTTERY.read_text(encoding="utf-8")
    params = {"Persons": "小明,王五,张三"}
    # Warm-up: imports, schema compilation, SQLite, HTTP connection pool.
    _check(engine.create_stack("warmup", body, filename=str(LOTTERY), parameters=params), "CREATE_COMPLETE")
    _check(engine.delete_stack("warmup"), "DELETE_COMPLETE")

    create, update, delete = [], [], []
    for run in range(runs):
        name = f"lottery{run}"
        create.append(
            _timed(
                lambda n=name: _check(
                    engine.create_stack(n, body, filename=str(LOTTERY), parameters=params), "CREATE_COMPLETE"
                )
            )
        )
        update.append(
            _timed(
                lambda n=name: _check(
                    engine.update_stack(n, parameters={"ExecuteVersion": 1}), "UPDATE_COMPLETE"
                )
            )
        )
        delete.append(_timed(lambda n=name: _check(engine.delete_stack(n), "DELETE_COMPLETE")))

    cli = _timed(lambda: _ros("stack", "create", "-t", str(LOTTERY), "-n", "cli"))
    _ros("stack", "delete", "-n", "cli")

    many = many_functions_template()
    many_create, many_delete = [], []
    for run in range(max(1, runs - 1)):
        name = f"many{run}"
        many_create.append(_timed(lambda n=name: _check(engine.create_stack(n, many), "CREATE_COMPLETE")))
        many_delete.append(_timed(lambda n=name: _check(engine.delete_stack(n), "DELETE_COMPLETE")))

    def row(label: str, times: list[float], goal: float | None = None) -> None:
        best, median = min(times), statistics.median(times)
        verdict = (
            ""
            if goal is None
            else f"  goal <= {goal:.1f} s: {'OK' if median <= goal else 'OVER'}"
            f" ({median / goal:.2f}x of goal)"
        )
        print(f"  {label:<34} min {best * 1000:7.0f} ms   median {median * 1000:7.0f} ms{verdict}")

    print(f"FC stacks against a running local backend ({runs} runs; backend started before timing)")
    row("lottery create (cold function)", create, LOTTERY_GOAL_S)
    row("lottery update (ExecuteVersion=1)", update)
    row("lottery delete", delete)
    row("lottery create via `ros` CLI", [cli])
    resources = SERVICES * (1 + FUNCTIONS_PER_SERVICE)
    row(f"{resources} FC resources create", many_create, MANY_GOAL_S)
    row(f"{resources} FC resources delete", many_delete, MANY_GOAL_S)
    per = statistics.median(many_create) * 1000 / resources
    print(f"  per FC resource on create: {per:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
