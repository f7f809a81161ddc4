"""RAM policy evaluation: how long one authorization takes with 20 statements (target: 20 us).

Run: ``python benchmarks/bench_ram_policy.py [--rounds 20000]``

1. **decide**: ``PolicySet.decide`` on a 20-statement policy (exact actions, ``Get*`` prefixes,
   wildcards inside resources, IP/date/string conditions, a deny), for a request that several
   statements name and one that none does.
2. **authorize**: the whole ``RamAccess.authorize`` a twin calls per request for a RAM user (its
   cached policy set, the request context, the decision), the same policy attached.
3. **compile**: checking and compiling that document once (what a policy change costs).
4. **fc api**: a signed ``GET /services`` through the real HTTP stack, root key vs a RAM user's
   key (signature check + authorization), p50 of many.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support: the idle scheduler

from fcbackend.access import Caller
from fcbackend.ram.access_control import RamAccess
from fcbackend.ram.account import RamAccount
from fcbackend.ram.enforcement import Enforcement
from fcbackend.ram.policy import PolicySet, compile_policy
from fcbackend.ram.store import SqliteRamStore
from sqlstore import SqliteDatabase

ACCOUNT = "1234567890123456"


def twenty_statements() -> dict[str, Any]:
    statements: list[dict[str, Any]] = []
    for n in range(6):
        statements.append(
            {
                "Effect": "Allow",
                "Action": [f"oss:GetObject{n}", "oss:List*"],
                "Resource": f"acs:oss:*:*:bucket-{n}/*",
            }
        )
    for n in range(6):
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["fc:Get*", "fc:List*", f"fc:InvokeFunction{n}"],
                "Resource": f"acs:fc:*:*:services/svc-{n}/functions/*",
                "Condition": {"IpAddress": {"acs:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}},
            }
        )
    for n in range(6):
        statements.append(
            {
                "Effect": "Allow",
                "Action": "log:Post*",
                "Resource": f"acs:log:*:*:project/p{n}/logstore/*",
                "Condition": {
                    "DateLessThan": {"acs:CurrentTime": "2099-01-01T00:00:00Z"},
                    "StringLike": {"log:Topic": ["app-*", "web-?"]},
                },
            }
        )
    statements.append({"Effect": "Deny", "Action": "fc:Delete*", "Resource": "*"})
    statements.append(
        {"Effect": "Allow", "Action": "fc:InvokeFunction", "Resource": "acs:fc:*:*:services/svc-5/*"}
    )
    return {"Version": "1", "Statement": statements}


def per_call_us(call: Any, rounds: int) -> float:
    """Best of five runs of ``rounds`` calls, in microseconds per call."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter_ns()
        for _ in range(rounds):
            call()
        best = min(best, (time.perf_counter_ns() - start) / rounds / 1000)
    return best


def bench_decide(rounds: int) -> None:
    """Warm: the same request again (its statements are memoised, only conditions run). Cold: a
    resource never seen before on every call (every statement's Action and Resource checked)."""
    policies = PolicySet([compile_policy(twenty_statements())])
    context = {"acs:sourceip": "10.1.2.3", "acs:securetransport": "false"}
    named = "acs:fc:cn-hangzhou:1:services/svc-5/functions/f"
    fresh = iter([f"acs:fc:cn-hangzhou:1:services/svc-5/functions/f{n}" for n in range(rounds * 16)])
    cold = {
        "allow": per_call_us(lambda: policies.decide("fc:InvokeFunction", next(fresh), context), rounds),
        "fc:Get* under an IP condition": per_call_us(
            lambda: policies.decide("fc:GetFunction", next(fresh), context), rounds
        ),
        "no statement names it": per_call_us(
            lambda: policies.decide("ecs:RunInstances", next(fresh), context), rounds
        ),
    }
    warm = {
        "allow": per_call_us(lambda: policies.decide("fc:InvokeFunction", named, context), rounds),
        "fc:Get* under an IP condition": per_call_us(
            lambda: policies.decide("fc:GetFunction", named, context), rounds
        ),
        "no statement names it": per_call_us(
            lambda: policies.decide("ecs:RunInstances", named, context), rounds
        ),
    }
    for label, figures in (("new resource", cold), ("repeated request", warm)):
        shown = ", ".join(f"{case} {value:.2f} us" for case, value in figures.items())
        print(
            f"decide, 20 statements, {label}: {shown}  (worst {20 / max(figures.values()):.1f}x under 20 us)"
        )


def bench_authorize(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        store = SqliteRamStore(SqliteDatabase(Path(directory) / "ram.db"))
        account = RamAccount(store, account_id=ACCOUNT, now=time.time)
        access = RamAccess(
            account,
            root_access_key_id="root",
            root_access_key_secret="s",
            enforcement=Enforcement.ENFORCE,
            now=time.time,
        )
        account.create_user("bench")
        account.create_policy("twenty", compile_policy(twenty_statements()).text)
        account.attach("Custom", "twenty", "User", "bench")
        key = account.create_access_key("bench")
        _, caller = access.resolve(key["AccessKeyId"], None)
        assert isinstance(caller, Caller)
        context = {"acs:SourceIp": "10.1.2.3", "acs:SecureTransport": "false"}
        named = f"acs:fc:cn-hangzhou:{ACCOUNT}:services/svc-5/functions/f"
        authorize = per_call_us(lambda: access.authorize(caller, "fc:InvokeFunction", named, context), rounds)
        resolve = per_call_us(lambda: access.resolve(key["AccessKeyId"], None), rounds)
        print(
            f"authorize (user, 20 statements, cached): {authorize:.2f} us; "
            f"resolve a user's key: {resolve:.2f} us"
        )
        store.close()


def bench_compile(rounds: int) -> None:
    document = compile_policy(twenty_statements()).text
    cost = per_call_us(lambda: compile_policy(document), max(1, rounds // 50))
    print(f"compile a 20-statement document: {cost:.0f} us (once per policy change)")


def bench_fc_api(requests: int) -> None:
    from fcbackend.backend_config import BackendConfig
    from fcbackend.composition import create_app
    from fcbackend.server import ThreadedServer
    from rosengine.clients.fc import FcClient
    from rosengine.clients.ram import RamClient
    from tests.support.fc_api import FakeScheduler

    with tempfile.TemporaryDirectory() as directory:
        config = BackendConfig.for_state_dir(Path(directory))
        server = ThreadedServer(create_app(config, scheduler=FakeScheduler(), addons=False)).start()
        try:
            with RamClient(server.endpoint, config.access_key_id, config.access_key_secret) as ram:
                ram.create_user("bench")
                ram.create_policy("twenty", twenty_statements())
                ram.attach_policy("User", "bench", "Custom", "twenty")
                ram.attach_policy("User", "bench", "System", "AliyunFCReadOnlyAccess")  # ListServices
                key = ram.create_access_key("bench")
            root = FcClient(server.endpoint, config.access_key_id, config.access_key_secret)
            user = FcClient(server.endpoint, key["AccessKeyId"], key["AccessKeySecret"])
            times: dict[str, list[float]] = {"root": [], "user": []}
            for _ in range(requests):
                for name, client in (("root", root), ("user", user)):
                    start = time.perf_counter()
                    client.list_services()
                    times[name].append((time.perf_counter() - start) * 1000)
            root_p50, user_p50 = statistics.median(times["root"]), statistics.median(times["user"])
            print(
                f"FC GET /services p50: root key {root_p50:.3f} ms, RAM user's key {user_p50:.3f} ms "
                f"(+{(user_p50 - root_p50) * 1000:.0f} us for key lookup + authorization)"
            )
            root.close()
            user.close()
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    bench_decide(args.rounds)
    bench_authorize(args.rounds)
    bench_compile(args.rounds)
    bench_fc_api(args.requests)


if __name__ == "__main__":
    main()
