"""Helper processes die with their parent and carry their own limits (rosengine.helper_process).

Every wait here is for an event with a deadline: a pidfd becomes readable when its process ends,
a pipe when the other side writes or exits. Nothing sleeps."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from rosengine.helper_process import _ENV, start_helper

DEADLINE_S = 20

# A parent that starts the Fn::Jq worker, prints the worker's pid, then (optionally) keeps the
# worker busy with a program that never ends, from another thread.
PARENT = textwrap.dedent(
    """
    import sys, threading
    from rosengine.functions.jq_runner import JqRunner
    runner = JqRunner()
    runner.run(".", 1)
    print(runner.pid, flush=True)
    if sys.argv[1] == "busy":
        threading.Thread(target=runner.run, args=("def f: f; f", {}, 3600), daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()
    """
)


def close_pipes(process: subprocess.Popen[Any]) -> None:
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            pipe.close()


def ended(pid_fd: int, timeout: float = DEADLINE_S) -> bool:
    readable, _, _ = select.select([pid_fd], [], [], timeout)
    return bool(readable)


@pytest.fixture
def parent(request: pytest.FixtureRequest) -> Iterator[tuple[subprocess.Popen[str], int]]:
    process = subprocess.Popen(
        [sys.executable, "-c", PARENT, request.param],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    helper = int(process.stdout.readline())
    assert process.stdout.readline().strip() == "ready"
    yield process, helper
    process.kill()
    process.wait()
    close_pipes(process)


@pytest.mark.parametrize("parent", ["idle", "busy"], indirect=True)
def test_the_jq_worker_is_gone_when_its_parent_is_killed(parent):
    process, helper = parent
    pid_fd = os.pidfd_open(helper)
    try:
        assert not ended(pid_fd, 0)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert ended(pid_fd), "the worker outlived its killed parent"
    finally:
        os.close(pid_fd)


@dataclass
class Guarded:
    """A helper whose guard names *this* process as its parent, and the lifeline's write end."""

    process: subprocess.Popen[str]
    lifeline: int

    def readline(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        if self.lifeline >= 0:
            os.close(self.lifeline)
            self.lifeline = -1
        self.process.kill()
        self.process.wait()
        close_pipes(self.process)


@pytest.fixture
def guarded() -> Iterator[Callable[..., Guarded]]:
    helpers: list[Guarded] = []

    def start(code: str, *, memory: int = 1 << 30, cut: bool = False) -> Guarded:
        read_end, write_end = os.pipe()
        if cut:  # the lifeline is already cut when the helper arms its guards
            os.close(write_end)
            write_end = -1
        env = dict(os.environ, **{_ENV: f"{os.getpid()}:{read_end}:{memory}"})
        program = "from rosengine.helper_process import guard_helper, limit_cpu\nguard_helper()\n" + code
        process = subprocess.Popen(
            [sys.executable, "-c", program], stdout=subprocess.PIPE, text=True, env=env, pass_fds=(read_end,)
        )
        os.close(read_end)
        helpers.append(Guarded(process, write_end))
        return helpers[-1]

    yield start
    for helper in helpers:
        helper.close()


def test_closing_the_lifeline_kills_the_helper_even_inside_c_code(guarded):
    helper = guarded(
        "print('armed', flush=True)\nimport jq\njq.compile('def f: f; f').input_value(0).first()\n"
    )
    assert helper.readline() == "armed"
    pid_fd = os.pidfd_open(helper.process.pid)
    try:
        os.close(helper.lifeline)  # as if this process had died
        helper.lifeline = -1
        assert ended(pid_fd)
        assert helper.process.wait() == -signal.SIGKILL
    finally:
        os.close(pid_fd)


def test_a_helper_whose_parent_is_already_gone_exits_at_once(guarded):
    helper = guarded("print('running', flush=True)\n", cut=True)
    assert helper.readline() == ""
    assert helper.process.wait(DEADLINE_S) != 0


def test_a_helper_is_stopped_by_its_processor_time_limit(guarded):
    helper = guarded("limit_cpu(1)\nprint('limited', flush=True)\nwhile True: pass\n")
    assert helper.readline() == "limited"
    assert helper.process.wait(DEADLINE_S) == -signal.SIGXCPU


def test_a_helper_has_its_address_space_capped(guarded):
    memory = 512 << 20
    helper = guarded(
        "import resource\nprint(resource.getrlimit(resource.RLIMIT_AS)[0], flush=True)\n"
        "try:\n    block = bytearray(1 << 30)\nexcept MemoryError:\n    print('refused', flush=True)\n",
        memory=memory,
    )
    assert int(helper.readline()) == memory
    assert helper.readline() == "refused"
    assert helper.process.wait(DEADLINE_S) == 0


def test_helpers_survive_the_thread_that_asked_for_them():
    """PR_SET_PDEATHSIG follows the forking *thread*: helpers are forked by one long-lived thread,
    so a worker thread of the stack engine may start one and end."""
    started: list[subprocess.Popen[bytes]] = []
    asker = threading.Thread(
        target=lambda: started.append(
            start_helper([sys.executable, "-m", "rosengine.functions.jq_runner"], memory_bytes=1 << 30)
        )
    )
    asker.start()
    asker.join()
    [helper] = started
    try:
        assert helper.stdin is not None and helper.stdout is not None
        helper.stdin.write(b'{"script": ". + 1", "input": 1, "seconds": 5}\n')
        helper.stdin.flush()
        assert helper.stdout.readline() == b'{"outputs": [2]}\n'
    finally:
        helper.kill()
        helper.wait()
        close_pipes(helper)
