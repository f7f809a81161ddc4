"""How fast is ``ros validate``, and what does it cost in memory?

1. A generated 300-resource FC template (services, functions, triggers, invokers and aliases wired
   together with Ref/Fn::GetAtt/Fn::Sub): parse + prepare + property validation. Goal: <= 50 ms in
   process (cfn-lint needs about 7 s for a CloudFormation template of that size).
2. The same, with the template already loaded (the stack engine's pre-flight check), and a
   300-resource template of five families (ECS, RAM, OSS) checked against the generated schemas.
3. Lazy schemas: a fresh process validating a template of three types reads three schemas; the
   time it takes against reading every schema.
4. The 706 public ROS templates (../shared/corpus/ros-templates) in one process (goal <= 1.5 s),
   and the peak memory of a process validating the whole corpus (goal <= 150 MB).

Prints min and median of several runs. Usage: python benchmarks/bench_validate.py [--runs N]
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
from collections.abc import Callable
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"  # next to the checkout
CFN_LINT_SECONDS = 7.0  # cfn-lint on a 300-resource template, the figure the goal is set against
GOAL_SECONDS = 0.05
CORPUS_GOAL_SECONDS = 1.5
MEMORY_GOAL_MB = 150


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


def generate_mixed_template(resources: int = 300) -> dict:
    """Groups of VPC, VSwitch, security group, RAM role and OSS bucket wired with Ref/GetAtt."""
    template: dict = {"ROSTemplateFormatVersion": "2015-09-01", "Resources": {}, "Outputs": {}}
    res = template["Resources"]
    group = 0
    while len(res) < resources:
        vpc, vsw, sg, role, bucket = (f"{kind}{group}" for kind in ("Vpc", "VSwitch", "Sg", "Role", "Bucket"))
        res[vpc] = {
            "Type": "ALIYUN::ECS::VPC",
            "Properties": {"CidrBlock": "10.0.0.0/8", "VpcName": f"v{group}"},
        }
        res[vsw] = {
            "Type": "ALIYUN::ECS::VSwitch",
            "Properties": {
                "VpcId": {"Fn::GetAtt": [vpc, "VpcId"]},
                "ZoneId": "cn-hangzhou-h",
                "CidrBlock": "10.0.1.0/24",
            },
        }
        res[sg] = {
            "Type": "ALIYUN::ECS::SecurityGroup",
            "Properties": {
                "VpcId": {"Ref": vpc},
                "SecurityGroupIngress": [
                    {"IpProtocol": "tcp", "PortRange": "80/80", "SourceCidrIp": "0.0.0.0/0"}
                ],
            },
        }
        res[role] = {
            "Type": "ALIYUN::RAM::Role",
            "Properties": {
                "RoleName": f"role-{group}",
                "MaxSessionDuration": 3600,
                "AssumeRolePolicyDocument": {
                    "Version": "1",
                    "Statement": [
                        {
                            "Action": "sts:AssumeRole",
                            "Effect": "Allow",
                            "Principal": {"Service": ["ecs.aliyuncs.com"]},
                        }
                    ],
                },
            },
        }
        res[bucket] = {
            "Type": "ALIYUN::OSS::Bucket",
            "Properties": {"BucketName": f"b-{group}", "AccessControl": "private"},
        }
        template["Outputs"][f"Arn{group}"] = {"Value": {"Fn::GetAtt": [role, "Arn"]}}
        group += 1
    return template


LAZY_PROBE = """
import json, sys, time
start = time.perf_counter()
from resource_types import registry
from rosengine.template import load_template
from rosengine.validate import check_template
text = sys.argv[1]
errors = check_template(load_template(text))
lazy = time.perf_counter() - start
read = len(registry._schemas)
start = time.perf_counter()
for name in registry.type_names():
    registry.schema(name)
every = time.perf_counter() - start
total = len(registry.type_names())
print(json.dumps({"errors": len(errors), "read": read, "total": total, "check": lazy, "all": every}))
"""

MEMORY_PROBE = """
import json, resource, sys
from rosengine.validate import validate
from rosengine.validate.discovery import discover
findings = validate(discover([sys.argv[1]]).files)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"findings": len(findings), "maxrss_mb": peak}))
"""


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

    mixed = generate_mixed_template(300)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mixed300.json"
        path.write_text(json.dumps(mixed, indent=2))
        findings = validate_file(path)
        if findings:
            print(f"unexpected findings in the mixed template: {findings[:3]}", file=sys.stderr)
            return 1
        mix_min, mix_med = timed(lambda: validate_file(path), args.runs)
    print(
        f"300-resource ECS/RAM/OSS template: validate JSON file  min {mix_min * 1000:7.1f} ms   "
        f"median {mix_med * 1000:7.1f} ms   goal {GOAL_SECONDS * 1000:.0f} ms: "
        f"{'met' if mix_med <= GOAL_SECONDS else 'MISSED'}"
    )

    three = json.dumps(
        {
            "ROSTemplateFormatVersion": "2015-09-01",
            "Resources": {k: mixed["Resources"][k] for k in ("Vpc0", "Role0", "Bucket0")},
        }
    )
    probe = json.loads(
        subprocess.run(
            [sys.executable, "-c", LAZY_PROBE, three], capture_output=True, text=True, check=True
        ).stdout
    )
    print(
        f"lazy schemas: a 3-type template read {probe['read']} of {probe['total']} schemas; "
        f"import + check {probe['check'] * 1000:.0f} ms; reading every schema would add "
        f"{probe['all'] * 1000:.0f} ms"
    )

    if CORPUS.is_dir():
        templates = discover([str(CORPUS / "ros-templates")]).files
        validate(templates)  # warm: schemas read and compiled once per process
        r_min, r_med = timed(lambda: validate(templates), args.corpus_runs)
        cpu_start = time.process_time()
        validate(templates)
        cpu = time.process_time() - cpu_start
        print(
            f"public ROS templates: {len(templates)} files, 1 process   min {r_min:5.2f} s   "
            f"median {r_med:5.2f} s   (CPU {cpu:.2f} s)   goal {CORPUS_GOAL_SECONDS} s: "
            f"{'met' if r_min <= CORPUS_GOAL_SECONDS else 'MISSED'}"
        )
        memory = json.loads(
            subprocess.run(
                [sys.executable, "-c", MEMORY_PROBE, str(CORPUS)], capture_output=True, text=True, check=True
            ).stdout
        )
        print(
            f"memory: validating the whole corpus peaks at {memory['maxrss_mb']:.0f} MB "
            f"(goal {MEMORY_GOAL_MB} MB: {'met' if memory['maxrss_mb'] <= MEMORY_GOAL_MB else 'MISSED'})"
        )
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
