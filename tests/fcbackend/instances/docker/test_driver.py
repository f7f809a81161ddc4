"""The Docker driver against the real dockerd, with an image built locally by the session fixture."""

from __future__ import annotations

import json

import pytest

from fcbackend.capacity.idle import FreezingDriver, IdlePolicy
from fcbackend.gpu.placement import GpuAllocator
from fcbackend.instances.docker.driver import LABEL_BACKEND, LABEL_INSTANCE, DockerDriver, backend_label
from fcbackend.instances.driver import InstanceCrashed, InstanceStartError
from fcbackend.models import GpuRequest, HealthCheck, InstanceRequest, InvocationRequest
from fcbackend.scheduler import Scheduler, SchedulerConfig
from tests.support.docker_images import make_spec, run

pytestmark = pytest.mark.docker


def invoke(event: dict) -> InstanceRequest:
    return InstanceRequest(
        "POST",
        "/invoke",
        headers={"x-fc-request-id": "req-1"},
        body=json.dumps(event).encode(),
        control_path="/invoke",
    )


async def labelled(driver: DockerDriver) -> list[dict]:
    return await driver.engine.list_containers({LABEL_BACKEND: driver.backend})


@pytest.mark.parametrize("address_mode", ["bridge", "published"])
def test_invoke_warm_reuse_env_and_protocol_headers(spec_for, state_dir, address_mode):
    async def body():
        driver = DockerDriver(state_dir, address_mode=address_mode)
        spec = spec_for(
            environment=(("GREETING", "hello"), ("FC_REGION", "user-cannot-override")),
            custom_command=("/usr/bin/python3", "-S", "/app/server.py"),
        )
        instance = await driver.start(spec, "i-warm")
        try:
            first = json.loads((await instance.request(invoke({"action": "echo"}), 5)).body)
            second = json.loads((await instance.request(invoke({"action": "echo"}), 5)).body)
            env = json.loads(
                (
                    await instance.request(
                        invoke(
                            {
                                "action": "env",
                                "keys": [
                                    "GREETING",
                                    "FC_REGION",
                                    "FC_FUNCTION_NAME",
                                    "FC_SERVICE_NAME",
                                    "FC_INSTANCE_ID",
                                    "FC_FUNCTION_MEMORY_SIZE",
                                    "FC_QUALIFIER",
                                ],
                            }
                        ),
                        5,
                    )
                ).body
            )
            containers = await labelled(driver)
            address = instance.address
        finally:
            await driver.close()
        assert first["pid"] == second["pid"] and second["calls"] == first["calls"] + 1  # warm: same process
        assert first["headers"]["x-fc-control-path"] == "/invoke"
        assert first["headers"]["x-fc-function-name"] == "fn"
        assert first["headers"]["x-fc-request-id"] == "req-1"
        assert json.loads(first["body"]) == {"action": "echo"}
        assert env == {
            "GREETING": "hello",
            "FC_REGION": "cn-hangzhou",
            "FC_FUNCTION_NAME": "fn",
            "FC_SERVICE_NAME": "svc",
            "FC_INSTANCE_ID": "i-warm",
            "FC_FUNCTION_MEMORY_SIZE": "128",
            "FC_QUALIFIER": "LATEST",
        }
        assert [c["Labels"][LABEL_INSTANCE] for c in containers] == ["i-warm"]
        assert (address[0] == "127.0.0.1") == (address_mode == "published")

    run(body())


def test_function_error_status_is_passed_through(spec_for, state_dir):
    async def body():
        driver = DockerDriver(state_dir)
        instance = await driver.start(spec_for(), "i-fail")
        try:
            return await instance.request(invoke({"action": "fail"}), 5)
        finally:
            await driver.close()

    response = run(body())
    assert response.status == 404 and response.headers["x-fc-status"] == "404"


def test_memory_limit_is_enforced_and_reported_as_oom(spec_for, state_dir):
    async def body():
        driver = DockerDriver(state_dir)
        instance = await driver.start(spec_for(memory_mb=64), "i-oom")
        try:
            details = await driver.engine.inspect_container(instance.container_id)
            assert details["HostConfig"]["Memory"] == 64 * 1024 * 1024
            small = await instance.request(invoke({"action": "alloc", "mb": 8}), 10)
            assert small.status == 200
            with pytest.raises(InstanceCrashed) as crashed:
                await instance.request(invoke({"action": "alloc", "mb": 256}), 20)
            return crashed.value, instance.alive()
        finally:
            await driver.close()

    crash, alive = run(body())
    assert crash.oom and "64 MB" in crash.reason
    assert not alive


def test_crash_mid_request_raises_instance_crashed_with_exit_code(spec_for, state_dir):
    async def body():
        driver = DockerDriver(state_dir)
        instance = await driver.start(spec_for(), "i-crash")
        try:
            with pytest.raises(InstanceCrashed) as crashed:
                await instance.request(invoke({"action": "exit", "code": 7}), 5)
            return crashed.value, instance.alive()
        finally:
            await driver.close()

    crash, alive = run(body())
    assert crash.exit_code == 7 and not crash.oom and not alive


def test_stop_removes_the_container_and_reap_orphans_cleans_a_crashed_backend(spec_for, state_dir, tmp_path):
    async def body():
        crashed_backend = DockerDriver(state_dir)
        orphan = await crashed_backend.start(spec_for(), "i-orphan")
        stopped = await crashed_backend.start(spec_for(), "i-stopped")
        await stopped.stop()
        assert [c["Labels"][LABEL_INSTANCE] for c in await labelled(crashed_backend)] == ["i-orphan"]
        # The backend "dies" without stopping its instance: its connections go, the container stays.
        if orphan._client is not None:
            await orphan._client.close()
        await crashed_backend.engine.close()

        other_backend = DockerDriver(tmp_path / "other-state")
        assert await other_backend.reap_orphans() == 0  # never touches another backend's containers
        restarted = DockerDriver(state_dir)
        assert restarted.backend == backend_label(state_dir)
        reaped = await restarted.reap_orphans()
        left = await labelled(restarted)
        await other_backend.close()
        await restarted.close()
        return reaped, left

    reaped, left = run(body())
    assert reaped == 1 and left == []


def test_health_check_marks_instance_unhealthy_and_a_replacement_serves(spec_for, state_dir):
    check = HealthCheck(
        http_get_url="/health",
        initial_delay_s=0,
        period_s=0.05,
        timeout_s=1,
        failure_threshold=2,
        success_threshold=2,
    )

    async def body():
        driver = DockerDriver(state_dir)
        spec = spec_for(health_check=check)
        old = await driver.start(spec, "i-sick")
        try:
            assert old.healthy and old.health.state == "healthy"
            await old.request(invoke({"action": "sick"}), 5)
            assert await old.health.wait_unhealthy(10)
            assert not old.healthy and old.alive()  # no new requests, though still running
            # What the scheduler does with an unhealthy instance: replace it.
            replacement = await driver.start(spec, "i-replacement")
            await old.stop()
            response = await replacement.request(invoke({"action": "echo"}), 5)
            instances = [c["Labels"][LABEL_INSTANCE] for c in await labelled(driver)]
            return response.status, replacement.healthy, instances
        finally:
            await driver.close()

    status, healthy, instances = run(body())
    assert status == 200 and healthy and instances == ["i-replacement"]


def test_container_exiting_at_start_fails_cleanly_with_its_output(spec_for, state_dir):
    async def body():
        driver = DockerDriver(state_dir)
        spec = spec_for(
            custom_command=("/usr/bin/python3", "-S", "-c", "import sys; print('no config'); sys.exit(5)")
        )
        try:
            with pytest.raises(InstanceStartError) as failed:
                await driver.start(spec, "i-broken")
            return failed.value, await labelled(driver), list((state_dir / "docker-sockets").glob("*"))
        finally:
            await driver.close()

    error, left, _ = run(body())
    assert "exited with code 5" in error.message and "no config" in error.message
    assert left == []


def test_missing_image_is_a_clear_start_error(state_dir, docker_ready):
    async def body():
        driver = DockerDriver(state_dir, pull_missing_images=False)
        try:
            with pytest.raises(InstanceStartError) as failed:
                await driver.start(make_spec("rosengine-test/does-not-exist:1"), "i-missing")
            return failed.value, await labelled(driver)
        finally:
            await driver.close()

    error, left = run(body())
    assert "rosengine-test/does-not-exist:1" in error.message and "not present locally" in error.message
    assert left == []


def test_run_to_completion_mode_uses_exit_code_and_stdout(spec_for, state_dir):
    async def body():
        driver = DockerDriver(state_dir)
        spec = spec_for(web_server_mode=False, custom_command=("/usr/bin/python3", "-S", "/app/job.py"))
        instance = await driver.start(spec, "i-job")
        try:
            ok = await instance.request(invoke({"n": 21}), 20)
            failed = await instance.request(invoke({"n": 1, "exit": 2}), 20)
            logs = instance.take_logs()
            return ok, failed, logs, await labelled(driver)
        finally:
            await driver.close()

    ok, failed, logs, left = run(body())
    assert ok.status == 200 and json.loads(ok.body) == {"doubled": 42, "request": "req-1"}
    assert failed.status == 404 and failed.headers["x-fc-status"] == "404"
    assert b"job log line for req-1" in logs
    assert left == []


def test_gpu_function_without_gpu_fails_before_creating_anything(spec_for, state_dir):
    async def body():
        driver = DockerDriver(state_dir, gpu_allocator=GpuAllocator(devices=[]))
        spec = spec_for(
            gpu=GpuRequest(memory_mb=8192, instance_type="fc.gpu.ampere.1"), instance_type="fc.gpu.ampere.1"
        )
        try:
            with pytest.raises(InstanceStartError) as failed:
                await driver.start(spec, "i-gpu")
            return failed.value, await labelled(driver)
        finally:
            await driver.close()

    error, left = run(body())
    assert error.error_type == "FunctionNotStarted" and "no NVIDIA GPU" in error.message
    assert left == []


def test_builtin_python_runtime_runs_in_a_runtime_image(docker_ready, state_dir, tmp_path):
    """``--driver docker`` for built-in runtimes: the bootstrap in the runtime image (here the
    host-built one, no network needed), code bound at /code, specialised over a Unix socket."""
    from fcbackend.images import RECIPES, build_host_runtime_image

    build_host_runtime_image(RECIPES["python3"], log=lambda _line: None)
    code = tmp_path / "code"
    code.mkdir()
    (code / "index.py").write_text(
        "import os\n"
        "def handler(event, context):\n"
        "    print('log from handler')\n"
        "    return event.decode().upper() + ' ' + os.environ['FC_FUNCTION_NAME'] + ' ' + "
        "context.function.name\n"
    )

    async def body():
        driver = DockerDriver(state_dir)
        spec = make_spec(None, runtime="python3", handler="index.handler", code_dir=code)
        instance = await driver.start(spec, "i-python")
        try:
            return await instance.request(
                InstanceRequest("POST", "/invoke", headers={"x-fc-request-id": "r1"}, body=b"hi"), 10
            )
        finally:
            await driver.close()

    response = run(body())
    assert response.status == 200, response.body
    assert response.body == b"HI fn fn"


# -- a container that failed its health check, seen by the scheduler through the idle-mode wrapper
# the backend adds when its capacity add-on is on, gets no new requests, is replaced, and is listed
# as "unhealthy"
WRAPPED_CHECK = HealthCheck(
    http_get_url="/health",
    initial_delay_s=0,
    period_s=0.05,
    timeout_s=1,
    failure_threshold=2,
    success_threshold=1,
)


def scheduler_call(action: str, n: int) -> InvocationRequest:
    return InvocationRequest(request_id=f"req-{action}-{n}", payload=json.dumps({"action": action}).encode())


def test_wrapped_unhealthy_container_is_listed_unhealthy_and_replaced(spec_for, state_dir):
    spec = spec_for(health_check=WRAPPED_CHECK)

    async def body():
        wrapped = FreezingDriver(DockerDriver(state_dir), IdlePolicy())
        sched = Scheduler(
            {"docker": wrapped},
            default_driver="docker",
            state_dir=state_dir,
            config=SchedulerConfig(prewarm_runtimes=(), pool_size=1, reap_interval_s=3600),
        )
        await sched.start()
        try:
            first = await sched.invoke(spec, scheduler_call("echo", 1))
            instance = next(iter(wrapped.live))
            await sched.invoke(spec, scheduler_call("sick", 2))
            assert await instance.health.wait_unhealthy(10)
            listed = next(r for r in sched.instances() if r["id"] == first.instance_id)
            after = await sched.invoke(spec, scheduler_call("echo", 3))
            return first, instance.healthy, listed, after
        finally:
            await sched.close()

    first, healthy, listed, after = run(body())
    assert first.ok and healthy is False
    assert listed["state"] == "unhealthy" and listed["healthy"] is False
    assert after.ok and after.instance_id != first.instance_id
