"""Idle mode: Instance.freeze()/thaw() on sandbox and process instances (cgroup freezer, or
SIGSTOP/SIGCONT without cgroups). A frozen instance makes no progress; thawed, it answers."""

from __future__ import annotations

import asyncio

import pytest

from fcbackend.scheduler import protocol
from tests.support.instances import make_driver, make_spec, request, requires_bwrap, run, write_code

CODE = {
    "index.py": """
    def handler(event, context):
        return b"awake:" + event
"""
}


async def _freeze_scenario(driver, spec) -> tuple[bool, bool, bytes, bool]:
    instance = await driver.start(spec, "c-freeze")
    try:
        frozen = await instance.freeze()
        pending = asyncio.ensure_future(
            instance.request(protocol.invocation_request(spec, request(b"1"), instance.id), 30)
        )
        done, _ = await asyncio.wait({pending}, timeout=0.5)
        answered_while_frozen = bool(done)
        await instance.thaw()
        response = await asyncio.wait_for(pending, 10)
        again = await instance.request(protocol.invocation_request(spec, request(b"2"), instance.id), 10)
        return frozen, answered_while_frozen, response.body + b"|" + again.body, instance.alive()
    finally:
        await instance.stop()
        await driver.close()


# The sandbox driver always uses cgroups where it can, so only the process driver is also run
# without them (the SIGSTOP fallback).
FREEZE_CASES = [
    pytest.param("sandbox", True, marks=[requires_bwrap, pytest.mark.bwrap], id="sandbox-cgroup-freezer"),
    pytest.param("process", True, id="process-cgroup-freezer"),
    pytest.param("process", False, id="process-sigstop"),
]


@pytest.mark.parametrize(("kind", "cgroups"), FREEZE_CASES)
def test_frozen_instance_makes_no_progress_and_thaw_resumes(tmp_path, kind, cgroups):
    code = write_code(tmp_path, CODE)
    kwargs = {} if cgroups else {"use_cgroups": False}
    driver = make_driver(kind, tmp_path / "state", pool_size=0, **kwargs)
    if cgroups and not driver.cgroups.available:
        pytest.skip("cgroups are not writable here")
    frozen, answered, bodies, alive = run(lambda: _freeze_scenario(driver, make_spec(code)))
    assert frozen is True
    assert answered is False, "a frozen instance must not answer"
    assert bodies == b"awake:1|awake:2"
    assert alive
