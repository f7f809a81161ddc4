"""How fast is ``ros validate``?

1. A generated 300-resource FC template (services, functions, triggers, invokers and aliases wired
   together with Ref/Fn::GetAtt/Fn::Sub): parse + prepare + property validation. Goal: <= 0.3 s
   (cfn-lint needs about 7 s for a CloudFormation template of that size).
2. The same, with the template already loaded (the stack engine's pre-flight check).
3. The whole corpus next to the checkout (../shared/corpus: 706 + Funcraft templates), one process.

Prints min and median of several runs. Usage: python benchmarks/bench_validate.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"  # next to the checkout
CFN_LINT_SECONDS = 7.0  # cfn-lint on a 300-resource template, the figure the goal is set against
GOAL_SECONDS = 0.3


def generate_fc_template(resources: int = 300) -> dict:
    """Services with functions; each function has a timer and an http trigger (5 resources/function
    group of service + 2 functions + 2 triggers), properties fed by parameters and GetAtt."""
    template: dict = {
        "ROSTemplateFormatVersion": "2015-09-01",
        "Description": "benchmark: many FC resources",
        "Parameters": {
            "Prefix": {"Type": "String", "Default": "bench"},
            "Memory": {"Type": "Number", "Default": 512, "MinValue": 128, "MaxValue": 3072},
            "Runtime": {"Type": "String", "AllowedValues": ["python3.10", "nodejs16"]},
        },
        "Resources": {},
        "Outputs": {},
    }
    res = template["Resources"]
    group = 0
    while len(res) < resources:
        svc = f"Service{group}"
        res[svc] = {
            "Type": "ALIYUN::FC::Service",
            "Properties": {
                "ServiceName": {"Fn::Sub": "${Prefix}-svc-" + str(group)},
                "Description": "benchmark service",
                "InternetAccess": True,
                "Tags": [{"Key": "group", "Value": str(group)}],
            },
        }
        for f in range(2):
            if len(res) >= resources:
                break
            fn = f"Function{group}x{f}"
            res[fn] = {
                "Type": "ALIYUN::FC::Function",
                "DependsOn": svc,
                "Properties": {
                    "ServiceName": {"Fn::GetAtt": [svc, "ServiceName"]},
                    "FunctionName": f"fn_{group}_{f}",
                    "Handler": "index.handler",
                    "Runtime": {"Ref": "Runtime"},
                    "MemorySize": {"Ref": "Memory"},
                    "Timeout": "60",
                    "InstanceConcurrency": 10,
                    "EnvironmentVariables": {"GROUP": str(group), "STAGE": {"Ref": "Prefix"}},
                    "Code": {"SourceCode": "def handler(event, context):\n    return event\n"},
                },
            }
            if len(res) >= resources:
                break
            trigger_type, config = (
                ("timer", {"CronExpression": "0 0/5 * * * *", "Enable": True, "Payload": "tick"})
                if f == 0
                else ("http", {"AuthType": "anonymous", "Methods": ["GET", "POST"]})
            )
            res[f"Trigger{group}x{f}"] = {
                "Type": "ALIYUN::FC::Trigger",
                "Properties": {
                    "ServiceName": {"Fn::GetAtt": [svc, "ServiceName"]},
                    "FunctionName": {"Fn::GetAtt": [fn, "FunctionName"]},
                    "TriggerName": f"trigger_{group}_{f}",
                    "TriggerType": trigger_type,
                    "TriggerConfig": config,
                },
            }
        template["Outputs"][f"Arn{group}"] = {"Value": {"Fn::GetAtt": [f"Function{group}x0", "ARN"]}}
        group += 1
    return template


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return min(samples), statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--corpus-runs", type=int, default=3)
    args = parser.parse_args()

    from rosengine.template import load_template
    from rosengine.validate import check_template, validate, validate_file
    from rosengine.validate.discovery import discover

    template = generate_fc_template(300)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fc300.json"
        path.write_text(json.dumps(template, indent=2))
        findings = validate_file(path)
        if findings:
            print("unexpected findings in the generated template:", file=sys.stderr)
            for f in findings[:10]:
                print(f"  {f.file}:{f.line}: {f.rule_id}: {f.message} [{f.path}]", file=sys.stderr)
            return 1
        validate_file(path)  # warm caches (schemas, compiled validators)
        full_min, full_med = timed(lambda: validate_file(path), args.runs)
        loaded = load_template(path)
        pre_min, pre_med = timed(lambda: check_template(loaded), args.runs)
        yaml_path = Path(tmp) / "fc300.yml"
        import yaml

        yaml_path.write_text(yaml.safe_dump(template, sort_keys=False))
        yml_min, yml_med = timed(lambda: validate_file(yaml_path), args.runs)

    print(f"300-resource FC template ({len(template['Resources'])} resources), {args.runs} runs")
    print(
        f"  validate JSON file     min {full_min * 1000:7.1f} ms   median {full_med * 1000:7.1f} ms"
        f"   goal {GOAL_SECONDS * 1000:.0f} ms: {'met' if full_med <= GOAL_SECONDS else 'MISSED'}"
        f"   vs cfn-lint ~{CFN_LINT_SECONDS:.0f} s: {CFN_LINT_SECONDS / full_med:.0f}x faster"
    )
    print(
        f"  validate YAML file     min {yml_min * 1000:7.1f} ms   median {yml_med * 1000:7.1f} ms"
        f"   vs cfn-lint: {CFN_LINT_SECONDS / yml_med:.0f}x faster"
    )
    print(f"  pre-flight (loaded)    min {pre_min * 1000:7.1f} ms   median {pre_med * 1000:7.1f} ms")

    if CORPUS.is_dir():
        files = discover([str(CORPUS)]).files
        counts: dict[str, int] = {}

        def run_corpus() -> None:
            counts.clear()
            for f in validate(files):
                counts[f.severity.value] = counts.get(f.severity.value, 0) + 1

        c_min, c_med = timed(run_corpus, args.corpus_runs)
        print(f"corpus: {len(files)} templates, {args.corpus_runs} runs")
        print(
            f"  validate all, 1 process  min {c_min:7.2f} s    median {c_med:7.2f} s"
            f"   = {c_med / len(files) * 1000:.1f} ms per file   findings {counts}"
        )
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        if jobs > 1:
            p_min, p_med = timed(lambda: validate(files, jobs=jobs), args.corpus_runs)
            print(
                f"  validate all, {jobs} workers min {p_min:7.2f} s    median {p_med:7.2f} s"
                f"   ({c_med / p_med:.1f}x the single process)"
            )
    else:
        print(f"corpus: {CORPUS} not found, skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
