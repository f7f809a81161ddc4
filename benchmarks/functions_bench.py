"""How fast are the intrinsic functions? Prints microseconds per call and a few ratios.

Why it matters: the evaluator calls a function for every function node of every property of
every resource — a 300-resource template with a handful of functions per resource means
thousands of calls per plan, and `ros validate` runs them again statically. Run:

    python benchmarks/functions_bench.py
"""

from __future__ import annotations

import datetime as dt
import timeit
from typing import Any

from rosengine.functions import registry
from rosengine.functions.base import FunctionContext
from rosengine.functions.sub import parse

PARAMS = {"Env": "prod", "Zones": ["cn-hangzhou-h", "cn-hangzhou-i"], "Name": "web", "Count": 3}


def _ref(name: str, path: Any) -> Any:
    return PARAMS.get(name, f"id-{name}")


CTX = FunctionContext(
    evaluate=lambda node, path: node,
    ref=_ref,
    get_att=lambda res, attr, path: f"{res}.{attr}",
    condition=lambda name, path: name == "IsProd",
    now=lambda: dt.datetime(2021, 4, 7, tzinfo=dt.UTC),
)

CASES: list[tuple[str, Any]] = [
    ("Ref", "Env"),
    ("Fn::GetAtt", ["Vpc", "VpcId"]),
    ("Fn::Sub", "http://${Slb.IpAddress}:${Port}/${Name}-${ALIYUN::Region}"),
    ("Fn::Join", ["-", ["a", "b", "c", "d"]]),
    ("Fn::Split", [",", "a,b,c,d"]),
    ("Fn::Select", ["1", ["a", "b", "c"]]),
    ("Fn::Select", ["::2", [1, 2, 3, 4, 5]]),
    ("Fn::Replace", [{"print": "echo"}, "print hi; print x"]),
    ("Fn::Base64Encode", "#!/bin/sh\necho hello\n" * 4),
    ("Fn::Indent", ["a\nb\nc", 2]),
    ("Fn::Equals", ["prod", "pre"]),
    ("Fn::If", ["IsProd", "big", "small"]),
    ("Fn::And", ["IsProd", "IsProd"]),
    ("Fn::Calculate", ["({0}+{1})*2/3", 2, [5, 6.5]]),
    ("Fn::Jq", ["First", ".a.b", {"a": {"b": 1}}]),
    ("Fn::Cidr", ["192.168.0.0/16", 16, 8]),
    ("Fn::FormatTime", ["%Y-%m-%d", "Asia/Shanghai"]),
    ("Fn::MergeMapToList", [{"k1": ["a", "b"]}, {"k2": ["x"]}]),
]


def per_call_us(fn: Any, args: Any, number: int = 20000) -> float:
    best = min(timeit.repeat(lambda: fn.evaluate(args, CTX, ()), number=number, repeat=3))
    return best / number * 1e6


def main() -> None:
    registry.load_all()
    print(f"{'function':<22}{'us/call':>10}")
    total = 0.0
    for name, args in CASES:
        cost = per_call_us(registry.get(name), args)
        total += cost
        print(f"{name:<22}{cost:>10.2f}")
    print(f"{'mean':<22}{total / len(CASES):>10.2f}")

    text = CASES[2][1]
    cached = min(timeit.repeat(lambda: parse(text), number=20000, repeat=3)) / 20000 * 1e6
    uncached = min(timeit.repeat(lambda: parse.__wrapped__(text), number=20000, repeat=3)) / 20000 * 1e6
    print(
        f"\nSub template parse: cached {cached:.2f} us vs uncached {uncached:.2f} us "
        f"(ratio {uncached / cached:.1f}x)"
    )

    from rosengine.functions._arithmetic import evaluate_expression

    expression = "(2+3)/2*3-1+{0}".replace("{0}", "7")
    parsed = min(timeit.repeat(lambda: evaluate_expression.__wrapped__(expression), number=20000, repeat=3))
    python_eval = min(timeit.repeat(lambda: eval(expression.replace("/", "//")), number=20000, repeat=3))
    print(
        f"Calculate safe parser, uncached: {parsed / 20000 * 1e6:.2f} us vs Python eval "
        f"{python_eval / 20000 * 1e6:.2f} us (ratio {python_eval / parsed:.2f}; eval is never used)"
    )

    per_resource = sum(per_call_us(registry.get(n), a, 2000) for n, a in CASES[:6])
    print(f"\n300 resources x 6 typical function calls: {per_resource * 300 / 1000:.1f} ms")


if __name__ == "__main__":
    main()
