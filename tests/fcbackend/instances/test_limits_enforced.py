"""Limits enforced for real: memory, timeout, fork bombs, filesystem and network isolation.

Every test checks both that the misbehaving function is contained and reported, and that the
scheduler still serves a healthy function afterwards.
"""

from __future__ import annotations

import json

import pytest

from tests.support.instances import (
    DRIVERS,
    error_doc,
    make_spec,
    request,
    requires_bwrap,
    requires_cgroups,
    run,
    scheduler,
    wait_until,
    write_code,
)

CODE = {
    "index.py": """
        import os, socket, time

        def ok(event, context):
            return "fine"

        def hog(event, context):
            blocks = []
            while True:
                blocks.append(bytearray(16 * 1024 * 1024))

        def spin(event, context):
            while True:
                pass

        def forkbomb(event, context):
            children = 0
            deadline = time.time() + 5
            while time.time() < deadline:
                try:
                    if os.fork() == 0:
                        time.sleep(30)
                        os._exit(0)
                    children += 1
                except OSError:
                    return "fork refused after %d children" % children
            return "never refused"

        def snoop(event, context):
            target = event.decode()
            found = {"exists": os.path.exists(target)}
            try:
                found["entries"] = os.listdir(target)
            except OSError as exc:
                found["list_error"] = type(exc).__name__
            for path in ("/etc/rosengine-owned", "/code/written", target + "/written"):
                try:
                    with open(path, "w") as fh:
                        fh.write("x")
                    found[path] = "written"
                except OSError as exc:
                    found[path] = exc.strerror
            with open("/tmp/scratch", "w") as fh:
                fh.write("tmp is writable")
            found["tmp"] = open("/tmp/scratch").read()
            return found

        def network(event, context):
            try:
                socket.create_connection(("1.1.1.1", 53), timeout=2).close()
                return "connected"
            except OSError as exc:
                return "blocked: " + (exc.strerror or type(exc).__name__)
    """,
}


@requires_cgroups
@pytest.mark.parametrize("driver", DRIVERS)
def test_memory_limit_kills_and_reports_oom(tmp_path, driver):
    code = write_code(tmp_path, CODE)

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            hog = await sched.invoke(
                make_spec(code, handler="index.hog", memory_mb=128, timeout_s=20), request()
            )
            gone = await wait_until(lambda: not sched.instances())
            healthy = await sched.invoke(make_spec(code, handler="index.ok"), request())
            return hog, gone, healthy

    hog, gone, healthy = run(scenario)
    assert hog.error_type == "UnhandledInvocationError"
    assert hog.extra["oom"] is True
    assert "memory limit of 128 MB" in error_doc(hog)["errorMessage"]
    assert gone
    assert healthy.ok and healthy.body == b"fine"


@pytest.mark.parametrize("driver", DRIVERS)
def test_timeout_kills_the_instance(tmp_path, driver):
    code = write_code(tmp_path, CODE)

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            spin = await sched.invoke(make_spec(code, handler="index.spin", timeout_s=1, cpu=0.25), request())
            gone = await wait_until(lambda: not sched.instances())
            healthy = await sched.invoke(make_spec(code, handler="index.ok"), request())
            return spin, gone, healthy

    spin, gone, healthy = run(scenario)
    assert spin.error_type == "UnhandledInvocationError" and spin.status == 200
    assert error_doc(spin)["errorMessage"] == "Function timed out after 1 seconds"
    assert 900 <= spin.duration_ms < 5000
    assert "Function timed out" in spin.log.decode()
    assert gone and healthy.ok


@requires_cgroups
@requires_bwrap
def test_fork_bomb_is_contained_by_pids_limit(tmp_path):
    code = write_code(tmp_path, CODE)

    async def scenario():
        async with scheduler(tmp_path / "state", "sandbox", pids_max=32) as sched:
            bomb = await sched.invoke(
                make_spec(code, handler="index.forkbomb", timeout_s=10, cpu=0.5), request()
            )
            await sched.evict("svc")
            gone = await wait_until(lambda: not sched.instances())
            healthy = await sched.invoke(make_spec(code, handler="index.ok"), request())
            return bomb, gone, healthy

    bomb, gone, healthy = run(scenario)
    assert bomb.ok, bomb.body
    assert bomb.body.startswith(b"fork refused after ")
    assert int(bomb.body.split()[3]) < 32
    assert gone and healthy.ok


@requires_bwrap
def test_sandbox_hides_backend_state_and_is_read_only_outside_tmp(tmp_path):
    code = write_code(tmp_path, CODE)
    state = tmp_path / "state"
    state.mkdir()
    (state / "fc.db").write_text("secret metadata")

    async def scenario():
        async with scheduler(state, "sandbox") as sched:
            return await sched.invoke(make_spec(code, handler="index.snoop"), request(str(state).encode()))

    result = run(scenario)
    assert result.ok, result.body
    found = json.loads(result.body)
    assert "fc.db" not in found.get("entries", [])
    assert found["/etc/rosengine-owned"] == "Read-only file system"
    assert found["/code/written"] == "Read-only file system"
    assert found[str(state) + "/written"] in ("Read-only file system", "No such file or directory")
    assert found["tmp"] == "tmp is writable"
    assert (state / "fc.db").read_text() == "secret metadata"
    assert not (state / "written").exists()


@requires_bwrap
def test_no_internet_access_means_no_route(tmp_path):
    code = write_code(tmp_path, CODE)

    async def scenario():
        async with scheduler(tmp_path / "state", "sandbox") as sched:
            return await sched.invoke(
                make_spec(code, handler="index.network", internet_access=False), request()
            )

    result = run(scenario)
    assert result.ok
    assert result.body.startswith(b"blocked: ")
