"""Audit fix 4 on the local drivers: an instance behind the idle-mode wrapper (what the backend
runs when its capacity add-on is on) that failed its health check must look unhealthy to the
scheduler, get no new requests, be replaced, and show as "unhealthy" in the instance list.

Before the fix ``FreezableInstance`` answered ``healthy`` with the ``Instance`` base class's
``True`` (``__getattr__`` never sees attributes the base class defines), so the sick instance kept
being served and was listed as "ready".
"""

from __future__ import annotations

import pytest

from fcbackend.capacity.idle import FreezingDriver, IdlePolicy
from fcbackend.scheduler import Scheduler, SchedulerConfig
from tests.fcbackend.instances.test_health import FAST_CHECK, FLAKY_SERVER
from tests.support.instances import DRIVERS, make_driver, make_spec, request, run, wait_until, write_code


def _row(sched: Scheduler, instance_id: str) -> dict | None:
    return next((r for r in sched.instances() if r["id"] == instance_id), None)


@pytest.mark.parametrize("driver_name", DRIVERS)
def test_wrapped_unhealthy_custom_instance_is_listed_unhealthy_and_replaced(tmp_path, driver_name):
    code = write_code(tmp_path, FLAKY_SERVER)
    spec = make_spec(code, runtime="custom", health_check=FAST_CHECK)

    async def scenario():
        state = tmp_path / "state"
        wrapped = FreezingDriver(make_driver(driver_name, state), IdlePolicy())
        sched = Scheduler(
            {driver_name: wrapped},
            default_driver=driver_name,
            state_dir=state,
            config=SchedulerConfig(prewarm_runtimes=(), pool_size=1, reap_interval_s=3600),
        )
        await sched.start()
        try:
            first = await sched.invoke(spec, request(b"hello"))
            instance = next(iter(wrapped.live))
            assert instance.healthy and _row(sched, first.instance_id)["state"] == "ready"
            await sched.invoke(spec, request(b"break"))
            assert await instance.health.wait_unhealthy(10)
            listed = _row(sched, first.instance_id)
            replacement = await sched.invoke(spec, request(b"hello"))
            stopped = await wait_until(lambda: _row(sched, first.instance_id) is None)
            return first, instance.healthy, listed, replacement, stopped
        finally:
            await sched.close()

    first, healthy_after, listed, replacement, stopped = run(scenario)
    assert healthy_after is False
    assert listed["state"] == "unhealthy" and listed["healthy"] is False
    assert replacement.ok and replacement.instance_id != first.instance_id
    assert stopped
