"""Scheduler policy on real instances: initializer once, warm reuse, concurrency, limits,
throttling, keep-alive, preStop, eviction, lifecycle hooks' output in the function log."""

from __future__ import annotations

import asyncio

from fcbackend.capacity.idle import FreezingDriver, IdlePolicy
from fcbackend.scheduler import Scheduler, SchedulerConfig
from tests.support.instances import (
    error_doc,
    make_driver,
    make_spec,
    request,
    run,
    scheduler,
    wait_until,
    write_code,
)

CODE = {
    "index.py": """
        import os, time
        counter = 0

        def initialize(context):
            global counter
            counter = 1

        def count(event, context):
            global counter
            counter += 1
            return counter

        def hold(event, context):
            time.sleep(float(event or 0))
            return os.environ["FC_INSTANCE_ID"]

        def allocate(event, context):
            block = bytearray(int(event or 0) * 1024 * 1024)
            block[::4096] = b"x" * len(block[::4096])  # touch every page
            return len(block)

        def bad_init(context):
            raise RuntimeError("cannot initialise")

        def pre_stop(context):
            with open(os.environ["MARKER"], "a") as fh:
                fh.write("prestop " + os.environ["FC_INSTANCE_ID"] + "\\n")
    """,
}


def test_initializer_runs_once_and_state_survives_between_calls(tmp_path):
    """The SDK's counter test: initializer sets 1, then invocations return 2, 3."""
    code = write_code(tmp_path, CODE)

    async def scenario():
        async with scheduler(tmp_path / "state", "process") as sched:
            spec = make_spec(code, handler="index.count", initializer="index.initialize")
            return [await sched.invoke(spec, request()) for _ in range(3)]

    results = run(scenario)
    assert [r.body for r in results] == [b"2", b"3", b"4"]
    assert [r.cold for r in results] == [True, False, False]
    assert len({r.instance_id for r in results}) == 1
    assert results[0].init_ms > 0 and results[0].duration_ms > 0
    assert results[0].memory_peak_mb > 0


def test_memory_peak_is_per_invocation(tmp_path):
    """Each invocation reports its own peak: a small call after a big one on the same warm
    instance must not inherit the big one's peak (the peak is reset before each call)."""
    code = write_code(tmp_path, CODE)

    async def scenario():
        async with scheduler(tmp_path / "state", "process") as sched:
            spec = make_spec(code, handler="index.allocate", memory_mb=512)
            return [await sched.invoke(spec, request(size)) for size in (b"0", b"120", b"0")]

    small, big, small_again = run(scenario)
    assert small.instance_id == big.instance_id == small_again.instance_id
    if big.memory_peak_mb == 0:
        return  # no memory cgroup on this machine: nothing to measure
    assert big.memory_peak_mb > small.memory_peak_mb + 100
    assert small_again.memory_peak_mb < big.memory_peak_mb - 100


def test_initializer_failure_discards_the_instance(tmp_path):
    code = write_code(tmp_path, CODE)

    async def scenario():
        async with scheduler(tmp_path / "state", "process") as sched:
            spec = make_spec(code, handler="index.count", initializer="index.bad_init")
            first = await sched.invoke(spec, request())
            second = await sched.invoke(spec, request())
            await wait_until(lambda: not sched.instances())
            return first, second, sched.instances()

    first, second, left = run(scenario)
    assert first.error_type == "InitializationError"
    assert error_doc(first)["errorMessage"] == "cannot initialise"
    assert "FC Initialize Start RequestId" in first.log.decode()
    assert second.error_type == "InitializationError" and second.instance_id != first.instance_id
    assert left == []


def test_instance_concurrency_shares_one_instance(tmp_path):
    code = write_code(tmp_path, CODE)

    async def scenario():
        async with scheduler(tmp_path / "state", "process") as sched:
            spec = make_spec(code, handler="index.hold", instance_concurrency=3)
            return await asyncio.gather(*(sched.invoke(spec, request(b"0.3")) for _ in range(3)))

    results = run(scenario)
    assert all(r.ok for r in results)
    assert len({r.body for r in results}) == 1


def test_function_limit_queue_and_throttling(tmp_path):
    code = write_code(tmp_path, CODE)

    async def scenario():
        async with scheduler(tmp_path / "state", "process", queue_size=1, default_max_instances=1) as sched:
            spec = make_spec(code, handler="index.hold")
            first = asyncio.ensure_future(sched.invoke(spec, request(b"0.5")))
            await wait_until(lambda: any(i["in_flight"] for i in sched.instances()))
            queued = asyncio.ensure_future(sched.invoke(spec, request(b"0")))
            await asyncio.sleep(0)  # let it enter the queue
            await wait_until(lambda: sched._pools[spec.key].waiters == 1)
            rejected = await sched.invoke(spec, request(b"0"))
            return await first, await queued, rejected, len(sched.instances())

    first, queued, rejected, count = run(scenario)
    assert first.ok and queued.ok
    assert queued.body == first.body  # waited for the same instance
    assert rejected.status == 429 and rejected.error_code == "ResourceExhausted"
    assert "instance limit" in error_doc(rejected)["ErrorMessage"]
    assert count == 1


def test_queue_timeout_gives_resource_exhausted(tmp_path):
    code = write_code(tmp_path, CODE)

    async def scenario():
        async with scheduler(tmp_path / "state", "process", queue_timeout_s=0.2) as sched:
            spec = make_spec(code, handler="index.hold")
            sched.set_max_instances(spec.service, spec.function, 1)
            first = asyncio.ensure_future(sched.invoke(spec, request(b"1.5")))
            await wait_until(lambda: any(i["in_flight"] for i in sched.instances()))
            late = await sched.invoke(spec, request(b"0"))
            return await first, late

    first, late = run(scenario)
    assert first.ok
    assert late.status == 429 and late.error_code == "ResourceExhausted"
    assert "became free" in error_doc(late)["ErrorMessage"]


def test_account_limit_makes_room_by_stopping_idle_instances(tmp_path):
    code = write_code(tmp_path, CODE)

    async def scenario():
        async with scheduler(tmp_path / "state", "process", account_instance_limit=1) as sched:
            a = make_spec(code, handler="index.hold")
            b = make_spec(code, handler="index.hold")
            ra = await sched.invoke(a, request(b"0"))
            rb = await sched.invoke(b, request(b"0"))
            await wait_until(lambda: len(sched.instances()) == 1)
            return ra, rb, sched.instances()

    ra, rb, rows = run(scenario)
    assert ra.ok and rb.ok and ra.instance_id != rb.instance_id
    assert [row["id"] for row in rows] == [rb.instance_id]


def test_keep_alive_expiry_runs_prestop(tmp_path):
    code = write_code(tmp_path, CODE)
    marker = tmp_path / "marker.txt"

    async def scenario():
        async with scheduler(tmp_path / "state", "process", keep_alive_s=0.2) as sched:
            spec = make_spec(
                code,
                handler="index.hold",
                pre_stop_handler="index.pre_stop",
                environment=(("MARKER", str(marker)),),
            )
            result = await sched.invoke(spec, request(b"0"))
            gone = await wait_until(lambda: not sched.instances(), timeout=10)
            return result, gone

    result, gone = run(scenario)
    assert gone
    assert marker.read_text() == f"prestop {result.instance_id}\n"


def test_reap_idle_with_injected_clock(tmp_path):
    code = write_code(tmp_path, CODE)
    now = [1000.0]

    async def scenario():
        async with scheduler(tmp_path / "state", "process", keep_alive_s=60, clock=lambda: now[0]) as sched:
            spec = make_spec(code, handler="index.hold")
            await sched.invoke(spec, request(b"0"))
            early = await sched.reap_idle()
            now[0] += 61
            late = await sched.reap_idle()
            await wait_until(lambda: not sched.instances())
            return early, late, sched.instances()

    early, late, rows = run(scenario)
    assert (early, late, rows) == (0, 1, [])


def test_provisioned_instances_are_used_first_and_kept(tmp_path):
    code = write_code(tmp_path, CODE)
    now = [0.0]

    async def scenario():
        async with scheduler(tmp_path / "state", "process", keep_alive_s=10, clock=lambda: now[0]) as sched:
            spec = make_spec(code, handler="index.hold")
            await sched.set_provisioned(spec, 2)
            rows = sched.instances()
            result = await sched.invoke(spec, request(b"0"))
            now[0] += 100
            await sched.reap_idle()
            return rows, result, sched.instances()

    rows, result, after = run(scenario)
    assert len(rows) == 2 and all(r["provisioned"] and r["state"] == "ready" for r in rows)
    assert not result.cold and result.instance_id in {r["id"] for r in rows}
    assert len(after) == 2


def test_evict_stops_instances_of_a_function(tmp_path):
    code = write_code(tmp_path, CODE)
    marker = tmp_path / "evicted.txt"

    async def scenario():
        async with scheduler(tmp_path / "state", "process") as sched:
            spec = make_spec(
                code,
                handler="index.hold",
                pre_stop_handler="index.pre_stop",
                environment=(("MARKER", str(marker)),),
            )
            other = make_spec(code, handler="index.hold", service="other")
            await sched.invoke(spec, request(b"0"))
            await sched.invoke(other, request(b"0"))
            await sched.evict("svc", spec.function)
            return [r["service"] for r in sched.instances()]

    services = run(scenario)
    assert services == ["other"]
    assert marker.read_text().startswith("prestop ")


def test_unsupported_runtime_is_a_clear_error(tmp_path):
    async def scenario():
        async with scheduler(tmp_path / "state", "process") as sched:
            return await sched.invoke(make_spec(tmp_path, runtime="java11"), request())

    result = run(scenario)
    assert result.status == 400 and result.error_code == "InvalidArgument"
    assert "java11" in error_doc(result)["ErrorMessage"]


def test_listeners_see_every_invocation(tmp_path):
    code = write_code(tmp_path, CODE)
    seen = []

    async def scenario():
        async with scheduler(tmp_path / "state", "process") as sched:
            sched.add_listener(lambda spec, result: seen.append((spec.function, result.request_id)))
            spec = make_spec(code, handler="index.count")
            return await sched.invoke(spec, request()), spec

    result, spec = run(scenario)
    assert seen == [(spec.function, result.request_id)]


# -- lifecycle hooks' output reaches the function log: the scheduler's log listeners are what the
# app wires to the recorder, so a hook's prints arrive there between FC's "FC <Hook> Start/End
# RequestId" lines, and never as an invocation
HOOK_CODE = {
    "index.py": """
        def init(context):
            print("init-said-hello")

        def handler(event, context):
            print("handler-said-hello")
            return "ok"

        def stop(context):
            print("prestop-said-bye " + context.request_id)

        def freeze(context):
            print("prefreeze-said-brr")
    """,
}


def test_prestop_and_initializer_output_reach_the_function_log(tmp_path):
    code = write_code(tmp_path, HOOK_CODE)
    hook_logs: list[tuple[str, bytes]] = []
    invocations: list[str] = []

    async def scenario():
        async with scheduler(tmp_path / "state", "process") as sched:
            sched.add_log_listener(lambda spec, data: hook_logs.append((spec.function, data)))
            sched.add_listener(lambda spec, result: invocations.append(result.request_id))
            spec = make_spec(
                code, handler="index.handler", initializer="index.init", pre_stop_handler="index.stop"
            )
            result = await sched.invoke(spec, request())
            await sched.evict(spec.service, spec.function)
            return spec, result

    spec, result = run(scenario)
    assert result.ok and invocations == [result.request_id]  # hooks are not invocations
    text = b"".join(data for function, data in hook_logs if function == spec.function).decode()
    assert "init-said-hello" in text
    assert (
        text.index("FC Initialize Start RequestId:")
        < text.index("init-said-hello")
        < text.index("FC Initialize End RequestId:")
    )
    assert "prestop-said-bye prestop-" in text
    assert (
        text.index("FC PreStop Start RequestId:")
        < text.index("prestop-said-bye")
        < text.index("FC PreStop End RequestId:")
    )
    assert "handler-said-hello" not in text  # the invocation's own log travels with its result


def test_prestop_output_on_keep_alive_expiry(tmp_path):
    code = write_code(tmp_path, HOOK_CODE)
    hook_logs: list[bytes] = []

    async def scenario():
        async with scheduler(tmp_path / "state", "process", keep_alive_s=0.2) as sched:
            sched.add_log_listener(lambda spec, data: hook_logs.append(data))
            spec = make_spec(code, handler="index.handler", pre_stop_handler="index.stop")
            await sched.invoke(spec, request())
            return await wait_until(lambda: b"prestop-said-bye" in b"".join(hook_logs), timeout=10)

    assert run(scenario)
    assert b"FC PreStop End RequestId:" in b"".join(hook_logs)


def test_prefreeze_output_reaches_the_function_log(tmp_path):
    code = write_code(tmp_path, HOOK_CODE)
    hook_logs: list[bytes] = []

    async def scenario():
        driver = FreezingDriver(
            make_driver("process", tmp_path / "state"), IdlePolicy(freeze_everything=True)
        )
        sched = Scheduler(
            {"process": driver},
            default_driver="process",
            config=SchedulerConfig(prewarm_runtimes=(), pool_size=1),
            state_dir=tmp_path / "state",
        )
        await sched.start()
        try:
            sched.add_log_listener(lambda spec, data: hook_logs.append(data))
            spec = make_spec(code, handler="index.handler", pre_freeze_handler="index.freeze")
            await sched.invoke(spec, request())
            instance = next(iter(driver.live))
            await instance.freeze_now()
            await instance.thaw()
        finally:
            await sched.close()

    run(scenario)
    text = b"".join(hook_logs).decode()
    assert (
        text.index("FC PreFreeze Start RequestId: prefreeze-")
        < text.index("prefreeze-said-brr")
        < text.index("FC PreFreeze End RequestId:")
    )
