"""Serverless Transform benchmarks: how long the expansion takes, and `ros validate` of the whole
Funcraft corpus in one process.

Run: ``python benchmarks/bench_transform.py [--functions 100] [--repeat 50]``

1. **expand**: a Funcraft template with N functions (each with an HTTP and a timer event, local
   code directories that exist, a role from Policies), already parsed: the expansion alone
   (``expand_serverless``), median of ``--repeat`` runs. Target: <= 20 ms for 100 functions.
2. **load**: the same template from text: parse + expand + section and parameter checks.
3. **corpus**: every template of ``<repo>/../shared/corpus/fun`` validated with
   ``rosengine.validate.validate_file`` in this process (load, expand, prepare, schema checks),
   the first pass (cold caches) and the best of three later passes. Target: <= 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rosengine.template import load_template  # noqa: E402
from rosengine.template.yaml_parser import load_yaml  # noqa: E402
from rosengine.transform.serverless import expand_serverless  # noqa: E402
from rosengine.validate import validate_file  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "fun"


def template_text(functions: int) -> str:
    lines = [
        "ROSTemplateFormatVersion: '2015-09-01'",
        "Transform: 'Aliyun::Serverless-2018-04-03'",
        "Resources:",
        "  app:",
        "    Type: 'Aliyun::Serverless::Service'",
        "    Properties:",
        "      Description: benchmark",
        "      Policies: [AliyunOSSReadOnlyAccess]",
    ]
    for n in range(functions):
        lines += [
            f"    fn{n}:",
            "      Type: 'Aliyun::Serverless::Function'",
            "      Properties:",
            "        Handler: index.handler",
            "        Runtime: python3",
            f"        CodeUri: ./code/fn{n}",
            "        MemorySize: 256",
            "        Timeout: 30",
            "        EnvironmentVariables: {STAGE: prod, INDEX: '" + str(n) + "'}",
            "      Events:",
            "        web:",
            "          Type: HTTP",
            "          Properties: {AuthType: ANONYMOUS, Methods: [GET, POST]}",
            "        tick:",
            "          Type: Timer",
            "          Properties: {CronExpression: '@every 5m', Payload: tick}",
        ]
    return "\n".join(lines) + "\n"


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--functions", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for n in range(args.functions):
            (base / "code" / f"fn{n}").mkdir(parents=True)
            (base / "code" / f"fn{n}" / "index.py").write_text(
                "def handler(event, context):\n    return event\n"
            )
        text = template_text(args.functions)
        path = base / "template.yml"
        path.write_text(text)
        data, _ = load_yaml(text)
        expanded, ctx = expand_serverless(data, str(base))
        assert not ctx.errors and not ctx.warnings, ctx.errors or ctx.warnings
        times = timed(lambda: expand_serverless(data, str(base)), args.repeat)
        expand_ms = statistics.median(times) * 1000
        print(
            f"expand   {args.functions} functions -> {len(expanded['Resources'])} resources: "
            f"median {expand_ms:.2f} ms, min {min(times) * 1000:.2f} ms  (target <= 20 ms: "
            f"{'ok' if expand_ms <= 20 else 'MISSED'}, {20 / expand_ms:.1f}x headroom)"
        )
        loads = timed(lambda: load_template(path, filename=str(path)), max(5, args.repeat // 5))
        median_load = statistics.median(loads) * 1000
        print(f"load     parse + expand + checks of the same template: median {median_load:.1f} ms")

    files = sorted(CORPUS.rglob("template.yml")) if CORPUS.is_dir() else []
    if not files:
        print(f"corpus   skipped: no Funcraft corpus at {CORPUS}")
        return
    passes = []
    for _ in range(4):
        start = time.perf_counter()
        errors = sum(f.severity == "error" for file in files for f in validate_file(file))
        passes.append(time.perf_counter() - start)
    warm = min(passes[1:])
    print(
        f"corpus   validate {len(files)} Funcraft templates in one process: first pass {passes[0]:.3f} s, "
        f"then {warm:.3f} s ({warm / len(files) * 1000:.1f} ms each; {errors} errors)  "
        f"(target <= 0.5 s: {'ok' if passes[0] <= 0.5 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
