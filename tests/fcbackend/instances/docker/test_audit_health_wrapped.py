"""Audit fix 4 with a real container: a Docker instance that failed its health check, seen by the
scheduler through the idle-mode wrapper the backend adds when its capacity add-on is on, gets no
new requests, is replaced, and is listed as "unhealthy" (it used to stay "ready" and keep serving,
because the wrapper answered ``healthy`` with the base class's ``True``)."""

from __future__ import annotations

import json

import pytest

from fcbackend.capacity.idle import FreezingDriver, IdlePolicy
from fcbackend.instances.docker.driver import DockerDriver
from fcbackend.models import HealthCheck, InvocationRequest
from fcbackend.scheduler import Scheduler, SchedulerConfig
from tests.support.docker_images import run

pytestmark = pytest.mark.docker

CHECK = HealthCheck(
    http_get_url="/health",
    initial_delay_s=0,
    period_s=0.05,
    timeout_s=1,
    failure_threshold=2,
    success_threshold=1,
)


def _call(action: str, n: int) -> InvocationRequest:
    return InvocationRequest(request_id=f"req-{action}-{n}", payload=json.dumps({"action": action}).encode())


def test_wrapped_unhealthy_container_is_listed_unhealthy_and_replaced(spec_for, state_dir):
    spec = spec_for(health_check=CHECK)

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
            first = await sched.invoke(spec, _call("echo", 1))
            instance = next(iter(wrapped.live))
            await sched.invoke(spec, _call("sick", 2))
            assert await instance.health.wait_unhealthy(10)
            listed = next(r for r in sched.instances() if r["id"] == first.instance_id)
            after = await sched.invoke(spec, _call("echo", 3))
            return first, instance.healthy, listed, after
        finally:
            await sched.close()

    first, healthy, listed, after = run(body())
    assert first.ok and healthy is False
    assert listed["state"] == "unhealthy" and listed["healthy"] is False
    assert after.ok and after.instance_id != first.instance_id
