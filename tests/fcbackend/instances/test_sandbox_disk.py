"""Every writable path of a sandbox is on one disk of ``diskSize``, not charged to memory.

Reproducers of issue 17: a 128 MB function with the default 512 MB disk wrote 2 GiB to a host
directory with no quota (``/run/fc``), while ``/tmp`` was a tmpfs charged to the memory cgroup —
a function writing a file larger than its memory to ``/tmp`` was killed for memory, where FC's
``/tmp`` is the instance's disk.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from fcbackend.instances import launchers
from fcbackend.instances.disks import probe_disk_images
from tests.support.instances import (
    make_driver,
    make_spec,
    request,
    run,
    scheduler,
    wait_until,
    write_code,
)

pytestmark = pytest.mark.bwrap

DISKS_OK, DISKS_WHY = probe_disk_images(65534, 65534)  # the sandbox user (launchers.SANDBOX_UID)
requires_disk_images = pytest.mark.skipif(not DISKS_OK, reason=f"no disk images here: {DISKS_WHY}")

WRITER = """
import json, os

def handler(event, context):
    target, size_mb = event.decode().split(":")
    chunk = b"d" * (1 << 20)
    written = 0
    error = None
    try:
        with open(target, "wb") as fh:
            for _ in range(int(size_mb)):
                fh.write(chunk)
                written += 1
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        error = exc.strerror
    stat = os.statvfs("/tmp")
    return json.dumps({"written_mb": written, "error": error, "disk_mb": stat.f_blocks * stat.f_frsize >> 20})
"""


def invoke_all(tmp_path: Path, spec_changes: dict, events: list[bytes]) -> list:
    code = write_code(tmp_path, {"index.py": WRITER})
    spec = make_spec(code, timeout_s=60, **spec_changes)

    async def scenario():
        async with scheduler(tmp_path / "state", "sandbox") as sched:
            return [await sched.invoke(spec, request(event)) for event in events]

    return run(scenario, timeout=180)


@requires_disk_images
def test_tmp_is_a_disk_of_disk_size_and_nothing_else_is(tmp_path):
    tmp_full, var_tmp, shared = invoke_all(
        tmp_path, {"disk_mb": 512}, [b"/tmp/a:600", b"/var/tmp/b:100", b"/tmp/c:10"]
    )
    first = json.loads(tmp_full.body)
    assert first["error"] == "No space left on device"
    assert 450 <= first["written_mb"] < 512 and 480 <= first["disk_mb"] <= 512
    # /var/tmp is the same disk, already full: the budget is one, whatever the path
    assert json.loads(var_tmp.body)["error"] == "No space left on device"
    assert json.loads(shared.body)["error"] == "No space left on device"


@requires_disk_images
def test_a_file_larger_than_memory_fits_on_the_disk(tmp_path):
    # 128 MB of memory, a 300 MB file: the disk is not memory (a whole vCPU, so it is quick)
    (result,) = invoke_all(tmp_path, {"memory_mb": 128, "cpu": 1.0}, [b"/tmp/big:300"])
    assert result.ok, result.body
    assert json.loads(result.body) == {
        "written_mb": 300,
        "error": None,
        "disk_mb": json.loads(result.body)["disk_mb"],
    }
    assert not result.extra.get("oom")


@requires_disk_images
def test_the_disk_goes_away_with_the_instance(tmp_path):
    code = write_code(tmp_path, {"index.py": WRITER})
    spec = make_spec(code, timeout_s=30)

    def loop_backing_files() -> set[str]:
        found = set()
        for backing in Path("/sys/block").glob("loop*/loop/backing_file"):
            try:
                found.add(backing.read_text().strip())
            except OSError:
                continue
        return found

    async def scenario():
        async with scheduler(tmp_path / "state", "sandbox") as sched:
            result = await sched.invoke(spec, request(b"/tmp/f:1"))
            worker = sched._pools[spec.key].instances[0].instance.worker
            image = str(worker.slot.root / "disk.img")
            attached = image in {f.removesuffix(" (deleted)") for f in loop_backing_files()}
            await sched.evict(spec.service, spec.function)
            released = await wait_until(
                lambda: image not in {f.removesuffix(" (deleted)") for f in loop_backing_files()}, 10
            )
            return result, attached, released, Path(image).exists()

    result, attached, released, image_left = run(scenario)
    assert result.ok, result.body
    assert attached, "the instance's /tmp is its own loop-mounted image"
    assert released and not image_left


def test_without_disk_images_the_limitation_is_reported_and_tmp_still_works(tmp_path, monkeypatch):
    monkeypatch.setattr(
        launchers, "probe_disk_images", lambda uid, gid: (False, "simulated: no loop devices")
    )
    driver = make_driver("sandbox", tmp_path / "probe-state")
    ok, note = driver.available()
    assert ok and "LIMITATION" in note and "simulated: no loop devices" in note
    asyncio.run(driver.close())
    (result,) = invoke_all(tmp_path, {"disk_mb": 512}, [b"/tmp/small:5"])
    assert json.loads(result.body)["written_mb"] == 5


@requires_disk_images
def test_status_says_how_the_disk_is_made(tmp_path):
    driver = make_driver("sandbox", tmp_path / "state")
    ok, note = driver.available()
    asyncio.run(driver.close())
    assert ok and "/tmp is a disk of diskSize MB" in note and "LIMITATION" not in note
