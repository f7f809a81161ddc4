#!/usr/bin/env python3
"""The ``*.aliyuncs.com`` gateway's cost, measured from inside a function, and the twins' memory.

Why a script and not timed tests: figures depend on the machine. Goals (issue 13): the gateway
adds at most 1 ms (p50) to a call made from inside a function; all the twins together add at most
20 MB to the idle backend.

What it does:

1. starts a backend daemon over a temporary state directory and deploys a function (sandbox with
   the host's network where bubblewrap works, else a plain process) that times N SLS GetProject
   calls three ways, interleaved, on one keep-alive connection each: **direct** (plain HTTP to the backend's
   endpoint with the SLS host in ``Host``), **gateway http** (the same request through
   ``HTTP_PROXY``) and **gateway https** (``https://<project>.<region>.log.aliyuncs.com`` through
   ``HTTPS_PROXY``: CONNECT once, TLS from the local CA) — and prints p50/p99 and the added cost;
2. measures the resident memory of an idle backend without the twins and with them (after one
   HTTPS call through the gateway and one PutLogs, so the lazily imported parts are loaded).

    python benchmarks/bench_gateway.py            # both
    python benchmarks/bench_gateway.py -n 500 --only latency
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ADDED_GOAL_MS = 1.0
MEMORY_GOAL_MB = 20.0

FUNCTION = """
import json, os, sys, time
import requests
from backend_contract import sls_signing

def _call(session, url, host):
    headers = {"host": host}
    sls_signing.sign_v1("GET", "/", None, headers, b"", os.environ["BENCH_AK"], os.environ["BENCH_SK"])
    start = time.perf_counter()
    answer = session.get(url, headers=headers)
    elapsed = (time.perf_counter() - start) * 1000
    assert answer.status_code == 200, answer.text
    return elapsed

def handler(event, context):
    args = json.loads(event)
    host = "%s.%s.log.aliyuncs.com" % (args["project"], context.region)
    direct = requests.Session(); direct.trust_env = False
    proxied = requests.Session(); proxied.trust_env = True
    paths = {
        "direct": (direct, args["endpoint"] + "/"),
        "gateway_http": (proxied, "http://%s/" % host),
        "gateway_https": (proxied, "https://%s/" % host),
    }
    out = {name: [] for name in paths}
    for round in range(args["n"] + 10):  # interleaved, so drift in the machine's load hits all alike
        for name, (session, url) in paths.items():
            elapsed = _call(session, url, host)
            if round >= 10:
                out[name].append(elapsed)
    return json.dumps(out)
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _zip(files: dict[str, str]) -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return base64.b64encode(buf.getvalue()).decode()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _start(
    state_dir: Path, twins: bool, driver: str | None
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """A backend process (``twins=False``: without the twins' installer) and its backend.json."""
    code = (
        "import sys\n"
        "from fcbackend import app\n"
        + ("" if twins else "app.APP_INSTALLERS[:] = [i for i in app.APP_INSTALLERS if 'twins' not in i]\n")
        + "from fcbackend.server import main\n"
        "main(sys.argv[1:])\n"
    )
    argv = [sys.executable, "-c", code, "--state-dir", str(state_dir)]
    if driver:
        argv += ["--driver", driver]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    deadline = time.monotonic() + 60
    info_file = state_dir / "backend.json"
    while time.monotonic() < deadline:
        if info_file.exists():
            info = json.loads(info_file.read_text())
            if info.get("pid") == process.pid:
                return process, info
        if process.poll() is not None:
            raise SystemExit(
                f"the backend exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        time.sleep(0.05)
    process.terminate()
    raise SystemExit("the backend did not start within 60 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


def _driver() -> str:
    from fcbackend.instances.sandbox import bubblewrap_works

    return "sandbox" if bubblewrap_works()[0] else "process"


def latency(n: int) -> None:
    from rosengine.clients.fc import FcClient
    from rosengine.clients.sls import SlsClient

    driver = _driver()
    with tempfile.TemporaryDirectory() as tmp:
        process, info = _start(Path(tmp), True, driver)
        try:
            key, secret = info["accessKeyId"], info["accessKeySecret"]
            with SlsClient(info["endpoint"], key, secret) as sls:
                sls.create_project("bench-proj")
            site = [p for p in sys.path if p.endswith("site-packages")]
            with FcClient(info["endpoint"], key, secret, timeout=300) as fc:
                fc.create_service("bench", internetAccess=True)
                fc.create_function(
                    "bench",
                    "calls",
                    {"zipFile": _zip({"index.py": FUNCTION})},
                    runtime="python3.10",
                    handler="index.handler",
                    timeout=300,
                    environmentVariables={
                        "PYTHONPATH": ":".join([str(REPO), *site]),
                        "BENCH_AK": key,
                        "BENCH_SK": secret,
                    },
                )
                payload = json.dumps({"project": "bench-proj", "endpoint": info["endpoint"], "n": n})
                result = fc.invoke_function("bench", "calls", payload.encode())
            if result.error_type:
                raise SystemExit(f"the function failed: {result.body.decode()}")
            figures = json.loads(result.body)
        finally:
            _stop(process)
    print(f"SLS GetProject from inside a function ({driver} driver, n={n}, one keep-alive connection each)")
    print(f"{'path':<16}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for name in ("direct", "gateway_http", "gateway_https"):
        values = figures[name]
        p50, p99, mean = percentile(values, 50), percentile(values, 99), statistics.fmean(values)
        print(f"{name:<16}{p50:>10.3f}{p99:>10.3f}{mean:>10.3f}")
    base = percentile(figures["direct"], 50)
    for name in ("gateway_http", "gateway_https"):
        added = percentile(figures[name], 50) - base
        ratio = added / ADDED_GOAL_MS
        goal = f"goal <= {ADDED_GOAL_MS} ms; ratio {ratio:.2f}"
        print(f"added by the gateway ({name[8:]}): {added:.3f} ms p50 ({goal})")


def memory() -> None:
    import httpx

    from rosengine.clients.sls import SlsClient

    rows = []
    for twins in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            process, info = _start(Path(tmp), twins, "process")
            try:
                if twins:
                    key, secret = info["accessKeyId"], info["accessKeySecret"]
                    with SlsClient(info["endpoint"], key, secret) as sls:
                        sls.create_project("mem-proj")
                    _put_and_get_through_gateway(info)
                    del httpx
                time.sleep(2.0)  # let start-up work settle; this is a measurement, not synchronisation
                rows.append((twins, _rss_mb(process.pid)))
            finally:
                _stop(process)
    without, with_twins = rows[0][1], rows[1][1]
    print(f"idle backend RSS without the twins: {without:.1f} MB")
    print(f"idle backend RSS with SLS + gateway (after one HTTPS call and one PutLogs): {with_twins:.1f} MB")
    added = with_twins - without
    ratio = added / MEMORY_GOAL_MB
    print(f"added by the twins: {added:.1f} MB (goal <= {MEMORY_GOAL_MB} MB; ratio {ratio:.2f})")


def _put_and_get_through_gateway(info: dict[str, Any]) -> None:
    """One PutLogs with the official SDK through the gateway (HTTPS), as a function would."""
    os.environ["HTTPS_PROXY"] = info["proxy"]
    os.environ["REQUESTS_CA_BUNDLE"] = info["caBundle"]
    from aliyun.log import LogClient, LogItem, PutLogsRequest

    client = LogClient("https://cn-hangzhou.log.aliyuncs.com", info["accessKeyId"], info["accessKeySecret"])
    client.create_logstore("mem-proj", "store")
    item = LogItem()
    item.set_time(int(time.time()))
    item.set_contents([("message", "hello")])
    client.put_logs(PutLogsRequest("mem-proj", "store", "", "", [item]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300, help="calls per path (default 300)")
    parser.add_argument("--only", choices=["latency", "memory"], default=None)
    args = parser.parse_args()
    if args.only in (None, "latency"):
        latency(args.n)
    if args.only in (None, "memory"):
        memory()


if __name__ == "__main__":
    main()
