"""Worker processes are reaped exactly once, by their owner (fcbackend.instances.child).

Regression: with asyncio subprocesses, destroying a worker raced asyncio's child-watcher thread
(``Popen.send_signal`` polls, i.e. reaps, before signalling) and asyncio logged "Unknown child
process pid …, will report returncode 255". These tests destroy many workers — plain ones, a
killed one and a fork bomb's — and assert that no such warning is logged and no zombie is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fcbackend.instances.child import ChildProcess
from tests.support.instances import (
    make_driver,
    make_spec,
    request,
    requires_cgroups,
    run,
    scheduler,
    wait_until,
    write_code,
)
from tests.support.paths import REPO

CODE = {
    "index.py": """
        import os, time

        def ok(event, context):
            return str(os.getpid())

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
                    return "refused after %d" % children
            return "never refused"
    """,
}


def zombie_children() -> list[int]:
    """Our own children that exited but were never reaped."""
    zombies = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            zombies.append(int(entry.name))
    return zombies


def reaped(pid: int) -> bool:
    """True once ``pid`` is no longer a child of ours (neither running nor a zombie)."""
    try:
        os.waitpid(pid, os.WNOHANG)  # still ours: running, or a zombie nobody reaped
    except ChildProcessError:
        return True
    return False


def unknown_child_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Unknown child process" in r.getMessage()]


def test_child_process_reports_exit_codes_and_leaves_no_zombie():
    async def scenario():
        exits = await ChildProcess.spawn(
            ["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], env={"PATH": "/usr/bin:/bin"}, cwd="/"
        )
        output = await exits.stdout.read()
        code = await exits.wait()
        sleeper = await ChildProcess.spawn(["sleep", "30"], env={"PATH": "/usr/bin:/bin"}, cwd="/")
        sleeper.kill()
        killed = await sleeper.wait()
        sleeper.kill()  # after the exit: a no-op, never a signal to a recycled pid
        sleeper.signal_group(signal.SIGKILL)
        for child in (exits, sleeper):
            child.close()
        return output, code, killed, exits.pid, sleeper.pid

    output, code, killed, *pids = run(scenario)
    assert output == b"out\nerr\n"
    assert code == 3 and killed == -signal.SIGKILL
    assert all(reaped(pid) for pid in pids)


def test_spawn_failure_is_an_os_error(tmp_path):
    async def scenario():
        await ChildProcess.spawn([str(tmp_path / "missing")], env={}, cwd="/")

    with pytest.raises(OSError):
        run(scenario)


# An event loop that ends while a worker is alive (a backend stopped by a signal): asyncio.run
# cancels the worker's output pump, which must then finish at once.
LOOP_ENDS_WITH_A_LIVE_WORKER = """
import asyncio, sys
from pathlib import Path
from tests.support.instances import make_driver, make_spec, write_code

root = Path(sys.argv[1])
code = write_code(root, {"index.py": "def handler(e, c):\\n    return e\\n"})

async def main():
    instance = await make_driver("process", root / "state", pool_size=0).start(make_spec(code), "i-1")
    print(instance.worker.process.pid, flush=True)

asyncio.run(main())
print("loop closed", flush=True)
"""


def test_an_event_loop_ending_with_a_live_worker_finishes(tmp_path):
    """The pump awaited the worker's exit in a ``finally`` after it was cancelled: the loop's
    shutdown then waited forever for a process nobody was going to stop."""
    program = subprocess.Popen(
        [sys.executable, "-c", LOOP_ENDS_WITH_A_LIVE_WORKER, str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = program.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        program.kill()
        output, _ = program.communicate()
    finally:
        lines = (output or "").split()
        if lines and lines[0].isdigit():  # the worker outlives the loop (its own session): stop it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(int(lines[0]), signal.SIGKILL)
    assert program.returncode == 0 and output.rstrip().endswith("loop closed"), output


@pytest.mark.parametrize("kind", [pytest.param("sandbox", marks=pytest.mark.bwrap), "process"])
def test_destroying_many_workers_logs_no_unknown_child(tmp_path, caplog, kind):
    code = write_code(tmp_path, CODE)

    async def scenario():
        driver = make_driver(kind, tmp_path / "state", pool_size=0)
        try:
            specs = [make_spec(code, handler="index.ok") for _ in range(6)]
            instances = await asyncio.gather(*(driver.start(s, f"i-{n}") for n, s in enumerate(specs)))
            pids = [inst.pid for inst in instances]
            # a worker that already died on its own, then is destroyed (the old race's window)
            os.killpg(instances[0].pid, signal.SIGKILL)
            await asyncio.gather(*(inst.stop() for inst in instances))
            return pids
        finally:
            await driver.close()

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        pids = run(scenario)
    assert unknown_child_warnings(caplog) == []
    assert all(reaped(pid) for pid in pids)
    assert zombie_children() == []


@requires_cgroups
@pytest.mark.bwrap
def test_fork_bomb_worker_is_destroyed_cleanly(tmp_path, caplog):
    code = write_code(tmp_path, CODE)

    async def scenario():
        async with scheduler(tmp_path / "state", "sandbox", pids_max=32) as sched:
            bomb = await sched.invoke(
                make_spec(code, handler="index.forkbomb", timeout_s=10, cpu=0.5), request()
            )
            plain = await sched.invoke(make_spec(code, handler="index.ok"), request())
            await sched.evict("svc")
            gone = await wait_until(lambda: not sched.instances())
            return bomb, plain, gone

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        bomb, plain, gone = run(scenario)
    assert bomb.ok and bomb.body.startswith(b"refused after ")
    assert plain.ok and gone
    assert unknown_child_warnings(caplog) == []
    assert zombie_children() == []


def test_no_code_path_reaps_every_child():
    """Nothing in the instance layer may call waitpid(-1)/wait(): that would steal other owners'
    children (and ours from them)."""
    root = REPO / "fcbackend"
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text()
        if "waitpid(-1" in text or "os.wait()" in text or "os.wait3(" in text:
            offenders.append(str(path))
    assert offenders == [], offenders
    assert sys.platform != "linux" or hasattr(os, "pidfd_open")
