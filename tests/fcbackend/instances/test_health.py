"""Health checks of custom runtimes on the local drivers (``CustomHealthCheckConfig``,
docs/reference/fc-runtime.md#health-checks).

The custom server answers ``GET /health`` with 200 until the function itself creates a flag file
(payload ``break``); from then on it answers 500. With a 20 ms period and a threshold of two, the
instance must turn unhealthy, get no new requests, be replaced by the next call and be stopped.
"""

from __future__ import annotations

import json
import logging

import pytest

from fcbackend.capacity.idle import FreezingDriver, IdlePolicy
from fcbackend.models import HealthCheck
from fcbackend.scheduler import Scheduler, SchedulerConfig
from tests.support.instances import (
    DRIVERS,
    make_driver,
    make_spec,
    request,
    run,
    scheduler,
    wait_until,
    write_code,
)

FLAKY_SERVER = {
    "bootstrap": """\
        #!/usr/bin/env python3
        import json, os, tempfile
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        FLAG = os.path.join(tempfile.gettempdir(), "broken")
        served = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def reply(self, status, data):
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/health":
                    self.reply(500 if os.path.exists(FLAG) else 200, b"")
                else:
                    self.reply(404, b"")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/invoke":
                    return self.reply(200, b"")
                if body == b"break":
                    open(FLAG, "w").close()
                served.append(self.headers["x-fc-request-id"])
                self.reply(200, json.dumps({"pid": os.getpid(), "served": len(served)}).encode())

            def log_message(self, *args):
                pass

        ThreadingHTTPServer(("0.0.0.0", int(os.environ["FC_SERVER_PORT"])), Handler).serve_forever()
    """,
}

FAST_CHECK = HealthCheck(
    "/health", initial_delay_s=0, period_s=0.02, timeout_s=1, failure_threshold=2, success_threshold=1
)


def _managed(sched, instance_id):
    return next(i for p in sched._pools.values() for i in p.instances if i.id == instance_id)


@pytest.mark.bwrap
def test_unhealthy_custom_instance_is_replaced_and_stopped(tmp_path, caplog):
    code = write_code(tmp_path, FLAKY_SERVER)
    spec = make_spec(code, runtime="custom", health_check=FAST_CHECK)

    async def scenario():
        async with scheduler(tmp_path / "state", "sandbox", reap_interval_s=3600) as sched:
            first = await sched.invoke(spec, request(b"hello"))
            old = _managed(sched, first.instance_id).instance
            assert old.healthy and old.health is not None
            broke = await sched.invoke(spec, request(b"break"))
            became_unhealthy = await old.health.wait_unhealthy(10)
            healthy_after = old.healthy
            replacement = await sched.invoke(spec, request(b"hello"))
            stopped = await wait_until(lambda: first.instance_id not in {r["id"] for r in sched.instances()})
            return first, broke, became_unhealthy, healthy_after, replacement, stopped, old.alive()

    with caplog.at_level(logging.WARNING, logger="fcbackend.instances.worker"):
        first, broke, became_unhealthy, healthy_after, replacement, stopped, old_alive = run(scenario)
    assert first.ok and broke.ok and broke.instance_id == first.instance_id
    assert json.loads(broke.body)["served"] == 2
    assert became_unhealthy and not healthy_after
    # the next call went to a new instance (a new server process), not the unhealthy one
    assert replacement.ok and replacement.cold
    assert replacement.instance_id != first.instance_id
    assert json.loads(replacement.body)["served"] == 1
    # the scheduler stopped the unhealthy instance without waiting for the idle reaper
    assert stopped and not old_alive
    assert (
        f"instance {first.instance_id} of svc/{spec.function} is unhealthy (GET /health failed 2 times"
        in caplog.text
    )


@pytest.mark.bwrap
def test_health_check_that_never_passes_fails_the_start(tmp_path):
    code = write_code(tmp_path, FLAKY_SERVER)
    never = HealthCheck("/missing", period_s=0.02, timeout_s=1, failure_threshold=1, success_threshold=1)
    spec = make_spec(code, runtime="custom", health_check=never)

    async def scenario():
        async with scheduler(tmp_path / "state", "sandbox") as sched:
            sched.drivers["sandbox"].custom_start_timeout_s = 0.5
            result = await sched.invoke(spec, request())
            gone = await wait_until(lambda: not sched.instances())
            return result, gone

    result, gone = run(scenario)
    assert result.error_type == "FunctionNotStarted"
    assert "health check GET /missing did not pass" in json.loads(result.body)["errorMessage"]
    assert gone


@pytest.mark.bwrap
def test_success_threshold_needs_consecutive_passes_before_serving(tmp_path):
    code = write_code(tmp_path, FLAKY_SERVER)
    check = HealthCheck("/health", period_s=0.02, timeout_s=1, failure_threshold=3, success_threshold=3)
    spec = make_spec(code, runtime="custom", health_check=check)

    async def scenario():
        async with scheduler(tmp_path / "state", "sandbox") as sched:
            result = await sched.invoke(spec, request())
            instance = _managed(sched, result.instance_id).instance
            return result, instance.health.probes_sent

    result, probes = run(scenario)
    assert result.ok
    assert probes >= 3


# -- an instance behind the idle-mode wrapper (what the backend runs when its capacity add-on is
# on) that failed its health check looks unhealthy to the scheduler, gets no new requests, is
# replaced and shows as "unhealthy" in the instance list (the wrapper once answered `healthy` with
# the Instance base class's True: __getattr__ never sees attributes the base class defines)
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
