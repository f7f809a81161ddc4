"""Template core speed: load + prepare(static=True) of a generated 300-resource FC template.

Goal (issue): <= 0.3 s for loading plus static preparation. Prints min/median of several runs for
YAML and JSON, the share of each stage, and the ratio to the goal.

    python benchmarks/bench_template.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import yaml

from rosengine.template import collect_errors, load_template, prepare

GOAL_SECONDS = 0.3


def build_template(services: int = 20, functions_per_service: int = 7) -> dict:
    """services + functions + triggers = 20 + 140 + 140 = 300 resources, referencing each other."""
    resources: dict = {}
    for s in range(services):
        resources[f"Service{s}"] = {
            "Type": "ALIYUN::FC::Service",
            "Properties": {
                "ServiceName": {"Fn::Sub": f"${{Prefix}}-svc-{s}"},
                "Description": {"Fn::If": ["IsProd", "production", {"Ref": "ALIYUN::NoValue"}]},
            },
        }
        for f in range(functions_per_service):
            name = f"Fn{s}x{f}"
            resources[name] = {
                "Type": "ALIYUN::FC::Function",
                "DependsOn": f"Service{s}",
                "Properties": {
                    "ServiceName": {"Fn::GetAtt": [f"Service{s}", "ServiceName"]},
                    "FunctionName": {"Fn::Join": ["-", ["fn", str(s), str(f)]]},
                    "Handler": "index.handler",
                    "Runtime": "python3.10",
                    "MemorySize": {"Ref": "Memory"},
                    "Timeout": 30,
                    "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
                    "EnvironmentVariables": {
                        "REGION": {"Ref": "ALIYUN::Region"},
                        "STAGE": {"Fn::Sub": "${Prefix}-${ALIYUN::StackName}"},
                    },
                },
            }
            resources[f"Trigger{s}x{f}"] = {
                "Type": "ALIYUN::FC::Trigger",
                "Properties": {
                    "ServiceName": {"Fn::GetAtt": [f"Service{s}", "ServiceName"]},
                    "FunctionName": {"Fn::GetAtt": [name, "FunctionName"]},
                    "TriggerName": f"timer-{s}-{f}",
                    "TriggerType": "timer",
                    "TriggerConfig": {"CronExpression": "@every 5m", "Enable": True},
                },
            }
    return {
        "ROSTemplateFormatVersion": "2015-09-01",
        "Parameters": {
            "Prefix": {"Type": "String", "Default": "app", "AllowedPattern": "[a-z][a-z0-9-]*"},
            "Env": {"Type": "String", "AllowedValues": ["prod", "dev"], "Default": "dev"},
            "Memory": {"Type": "Number", "Default": 128, "MinValue": 128, "MaxValue": 3072},
        },
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
        "Resources": resources,
        "Outputs": {"First": {"Value": {"Fn::GetAtt": ["Fn0x0", "FunctionName"]}}},
    }


def measure(text: str, runs: int, full: bool) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        if full:
            collect_errors(text)
        else:
            prepare(load_template(text), static=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    data = build_template()
    texts = {"yaml": yaml.safe_dump(data, sort_keys=False), "json": json.dumps(data, indent=2)}
    print(f"300-resource template: YAML {len(texts['yaml']):,} bytes, JSON {len(texts['json']):,} bytes")
    for fmt, text in texts.items():
        load_times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            load_template(text)
            load_times.append(time.perf_counter() - start)
        prepared = measure(text, args.runs, full=False)
        full = measure(text, args.runs, full=True)
        for label, times in (
            ("load", load_times),
            ("load+prepare(static)", prepared),
            ("load+prepare+resolve all (collect_errors)", full),
        ):
            best, median = min(times), statistics.median(times)
            print(
                f"{fmt:4} {label:42} min {best * 1000:7.1f} ms  median {median * 1000:7.1f} ms  "
                f"goal ratio {median / GOAL_SECONDS:5.2f}x of {GOAL_SECONDS * 1000:.0f} ms"
            )


if __name__ == "__main__":
    main()
