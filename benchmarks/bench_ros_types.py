#!/usr/bin/env python3
"""ROS's own types and the corpus's FC templates: how fast they deploy locally.

Goals (issue 14), each printed with its ratio to the goal:

* a WaitCondition completes ≤ 50 ms after its last signal (signal POSTed to the handle's URL ->
  the WaitCondition's CREATE_COMPLETE event);
* a custom resource round trip ≤ 100 ms (UPDATE_IN_PROGRESS -> UPDATE_COMPLETE of a Custom::
  resource whose handler is a warm local function: async invoke, the handler's POST to
  ResponseURL, the engine's long poll waking);
* a stack of one of the corpus's FC templates deploys in ≤ 2 s in process once the backend runs,
  functions cold (every template that deploys, as it is or with --placeholders; each measured
  from create_stack to CREATE_COMPLETE, fresh functions each time).

    python benchmarks/bench_ros_types.py            # everything
    python benchmarks/bench_ros_types.py -n 50 --only wait,custom
    python benchmarks/bench_ros_types.py --only corpus --match fc-web-file --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from fcbackend.backend_config import BackendConfig
from fcbackend.composition import create_app
from fcbackend.server import ThreadedServer
from rosengine.clients.oss import OssClient
from rosengine.clients.ram import RamClient
from rosengine.engine import StackEngine, StackOptions
from rosengine.errors import TemplateErrors
from rosengine.state.models import EventRecord
from rosengine.state.sqlite import SqliteStateStore
from rosengine.template import load_template
from tests.support.corpus_deploy import empty_buckets, fc_templates, local_certificate, plausible_parameters
from tests.support.live_stack import client_builders

WAIT_GOAL_MS = 50.0
CUSTOM_GOAL_MS = 100.0
DEPLOY_GOAL_S = 2.0
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ros-templates"


class StampingListener:
    """Every event with the moment it was recorded (perf_counter), and a way to wait for one."""

    def __init__(self) -> None:
        self.events: list[tuple[float, EventRecord]] = []
        self._changed = threading.Condition()

    def on_event(self, event: EventRecord) -> None:
        with self._changed:
            self.events.append((time.perf_counter(), event))
            self._changed.notify_all()

    def wait_for(self, logical_id: str, status: str, since: int, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for stamp, event in self.events[since:]:
                    if event.logical_id == logical_id and event.status == status:
                        return stamp
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {status} event of {logical_id}")
                self._changed.wait(left)


def _template(resources: dict[str, Any], **sections: Any) -> str:
    return json.dumps({"ROSTemplateFormatVersion": "2015-09-01", "Resources": resources, **sections})


def _summary(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    return (
        statistics.median(ordered),
        ordered[int(len(ordered) * 0.9) - 1 if len(ordered) > 1 else 0],
        max(ordered),
    )


def bench_wait(engine: StackEngine, listener: StampingListener, n: int) -> list[float]:
    """ms from the signal's POST to the WaitCondition's CREATE_COMPLETE event."""
    handle = {"Handle": {"Type": "ALIYUN::ROS::WaitConditionHandle"}}
    waits = {
        **handle,
        "Wait": {
            "Type": "ALIYUN::ROS::WaitCondition",
            "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": 60},
        },
    }
    samples = []
    # TCP_NODELAY as curl and our clients send: without it httpx's separate header and body writes
    # meet the server's delayed ACK and add ~40 ms to the POST itself, not to the wait.
    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    with httpx.Client(timeout=10, transport=transport) as http:
        for i in range(n):
            name = f"bench-wait-{i}"
            engine.create_stack(name, _template(handle))
            url = next(r for r in engine.resources(name) if r.logical_id == "Handle").attributes["URL"]
            mark = len(listener.events)
            thread = threading.Thread(
                target=engine.update_stack, args=(name,), kwargs={"template_body": _template(waits)}
            )
            thread.start()
            listener.wait_for("Wait", "CREATE_IN_PROGRESS", mark)
            sent = time.perf_counter()
            http.post(url, json={"status": "SUCCESS"})
            done = listener.wait_for("Wait", "CREATE_COMPLETE", mark)
            thread.join()
            samples.append((done - sent) * 1000)
            engine.delete_stack(name)
    return samples


HANDLER = """
import json, urllib.request
def handler(event, context):
    event = json.loads(event)
    body = json.dumps({'RequestId': event['RequestId'], 'Status': 'SUCCESS', 'PhysicalResourceId': 'bench',
                       'Data': {'Echo': event['ResourceProperties'].get('N')}}).encode()
    headers = {'Content-Type': 'application/json'}
    req = urllib.request.Request(event['ResponseURL'], data=body, headers=headers)
    return urllib.request.urlopen(req).read().decode()
"""


def bench_custom(engine: StackEngine, listener: StampingListener, n: int) -> list[float]:
    """ms of each custom-resource Update (the handler warm after the Create)."""

    def body(value: int) -> str:
        return _template(
            {
                "Service": {"Type": "ALIYUN::FC::Service", "Properties": {"ServiceName": "bench-custom"}},
                "Handler": {
                    "Type": "ALIYUN::FC::Function",
                    "Properties": {
                        "ServiceName": {"Fn::GetAtt": ["Service", "ServiceName"]},
                        "FunctionName": "handler",
                        "Handler": "index.handler",
                        "Runtime": "python3.10",
                        "Code": {"SourceCode": HANDLER},
                    },
                },
                "Echo": {
                    "Type": "Custom::Echo",
                    "Properties": {
                        "ServiceToken": {"Fn::GetAtt": ["Handler", "ARN"]},
                        "Parameters": {"N": value},
                    },
                },
            }
        )

    stack = engine.create_stack("bench-custom", body(0))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    samples = []
    for i in range(1, n + 1):
        mark = len(listener.events)
        engine.update_stack("bench-custom", template_body=body(i))
        began = listener.wait_for("Echo", "UPDATE_IN_PROGRESS", mark)
        done = listener.wait_for("Echo", "UPDATE_COMPLETE", mark)
        samples.append((done - began) * 1000)
    engine.delete_stack("bench-custom")
    return samples


def bench_corpus(
    engine: StackEngine, ram: RamClient, oss: OssClient, match: str = "", repeat: int = 1
) -> list[tuple[str, float, str]]:
    """(template, seconds, how) for each corpus FC template that deploys (those whose path
    contains ``match``), ``repeat`` times each; a parameter naming a CAS certificate gets one
    uploaded to the local CAS."""
    rows = []
    paths = [p for p in fc_templates(CORPUS) if match in str(p.relative_to(CORPUS))] * repeat
    for index, path in enumerate(paths):
        text = path.read_text(encoding="utf-8")
        data = load_template(text, filename=str(path)).data
        parameters = plausible_parameters(data, certificate=lambda: local_certificate(ram))
        for placeholders in (False, True):
            name = f"bench-corpus-{index}{'-p' if placeholders else ''}"
            began = time.perf_counter()
            try:
                stack = engine.create_stack(
                    name,
                    text,
                    filename=str(path),
                    parameters=parameters,
                    options=StackOptions(placeholders=placeholders),
                )
            except TemplateErrors:
                continue
            elapsed = time.perf_counter() - began
            if stack.status == "CREATE_COMPLETE":
                rows.append(
                    (
                        str(path.relative_to(CORPUS)),
                        elapsed,
                        "with --placeholders" if placeholders else "as it is",
                    )
                )
                empty_buckets(engine, oss, name)
                engine.delete_stack(name)
                break
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=30, help="samples of the wait and custom-resource figures")
    parser.add_argument("--only", default="wait,custom,corpus")
    parser.add_argument("--match", default="", help="only the corpus templates whose path contains this")
    parser.add_argument("--repeat", type=int, default=1, help="deploy each corpus template this many times")
    args = parser.parse_args()
    only = set(args.only.split(","))
    os.environ.setdefault("ROSENGINE_SLEEP_SCALE", "0")
    tmp = Path(tempfile.mkdtemp(prefix="bench-ros-types-"))
    os.environ["ROS_HOME"] = str(tmp / "home")
    config = BackendConfig.for_state_dir(tmp / "backend", flush_interval_s=0.05)
    server = ThreadedServer(create_app(config)).start()
    builders = client_builders(server.endpoint, config)
    listener = StampingListener()
    engine = StackEngine(SqliteStateStore(tmp / "state.db"), listener=listener, client_builders=builders)
    print(f"backend {server.endpoint} (driver: {config.driver or 'the default'}), {os.cpu_count()} CPUs")
    try:
        if "wait" in only:
            p50, p90, worst = _summary(bench_wait(engine, listener, args.n))
            print(
                f"WaitCondition done after its last signal: p50 {p50:.1f} ms, p90 {p90:.1f} ms, "
                f"max {worst:.1f} ms "
                f"(goal <= {WAIT_GOAL_MS:.0f} ms: p90 at {p90 / WAIT_GOAL_MS:.2f}x of it)"
            )
        if "custom" in only:
            p50, p90, worst = _summary(bench_custom(engine, listener, args.n))
            print(
                f"custom resource round trip (warm handler): p50 {p50:.1f} ms, p90 {p90:.1f} ms, "
                f"max {worst:.1f} ms "
                f"(goal <= {CUSTOM_GOAL_MS:.0f} ms: p90 at {p90 / CUSTOM_GOAL_MS:.2f}x of it)"
            )
        if "corpus" in only:
            keys = (config.access_key_id, config.access_key_secret)
            with RamClient(server.endpoint, *keys) as ram, OssClient(server.endpoint, *keys) as oss:
                rows = bench_corpus(engine, ram, oss, args.match, args.repeat)
            for name, seconds, how in rows:
                print(f"  {seconds * 1000:7.0f} ms  {name} ({how})")
            worst_s = max((s for _, s, _ in rows), default=0.0)
            print(
                f"corpus FC templates that deploy: {len(rows)}; slowest {worst_s:.2f} s "
                f"(goal <= {DEPLOY_GOAL_S:.0f} s each: {worst_s / DEPLOY_GOAL_S:.2f}x of it)"
            )
    finally:
        engine.store.close()
        server.stop()


if __name__ == "__main__":
    main()
