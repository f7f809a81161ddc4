"""Audit fix 3: lifecycle hooks' output reaches the function log (spec B.3/B.4).

Real process-driver instances; the scheduler's log listeners are what the app wires to the
recorder (the function's log file), so a hook's prints must arrive there between FC's
"FC <Hook> Start/End RequestId" lines, and never as an invocation.
"""

from __future__ import annotations

from fcbackend.capacity.idle import FreezingDriver, IdlePolicy
from fcbackend.scheduler import Scheduler, SchedulerConfig
from tests.support.instances import make_driver, make_spec, request, run, scheduler, wait_until, write_code

CODE = {
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
    code = write_code(tmp_path, CODE)
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
    code = write_code(tmp_path, CODE)
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
    code = write_code(tmp_path, CODE)
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
