"""Runs fuzz cases in isolation, with a time and memory bound per case.

A worker process (``python -m tests.support.fuzz_executor``) imports rosengine once and warms its caches,
then forks a child per case: the child caps its address space, runs the case through ``ros
validate`` (:func:`rosengine.validate.validate_file`: the loader, then the static check the stack
engine also runs before a create), and reports internal errors, its time and the memory it added.
A child still running after :data:`KILL_AFTER_S` is killed. Forking a warm worker costs about a
millisecond, so isolation does not dominate the cost of a case.

A case is a *finding* when it gives an internal error (an ``InternalError`` finding or any exception
out of the public API), takes more than :data:`SLOW_S`, adds more than :data:`MEMORY_MB`, or the child
dies some other way.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.paths import REPO

SLOW_S = 2.0
MEMORY_MB = 200
KILL_AFTER_S = 10.0
# The address-space cap of a case: its own 200 MB plus room for the allocator's reservations.
_ADDRESS_SPACE_MARGIN = (MEMORY_MB + 300) << 20
_MESSAGE_LIMIT = 300
_MESSAGES = 20


@dataclass
class Outcome:
    """What one case did."""

    seconds: float
    memory_mb: float
    internal: list[str] = field(default_factory=list)
    killed: str | None = None  # "timeout" or "signal N": the child did not report

    @property
    def finding(self) -> str | None:
        if self.killed is not None:
            return "timeout" if self.killed == "timeout" else "crash"
        if self.internal:
            return "internal"
        if self.seconds > SLOW_S:
            return "slow"
        if self.memory_mb > MEMORY_MB:
            return "memory"
        return None

    def describe(self) -> str:
        return (
            f"{self.finding}: {self.seconds:.2f} s, {self.memory_mb:.0f} MB"
            + (f", killed ({self.killed})" if self.killed else "")
            + "".join(f"\n  {message}" for message in self.internal)
        )


class CaseRunner:
    """The test side: one worker process, one case at a time."""

    def __init__(self, *, jq_seconds: float = 1.0):
        env = dict(os.environ)
        # Fn::Jq's budget per template (default 10 s) would make any looping program a "slow" case.
        env["ROS_JQ_TIMEOUT_S"] = str(jq_seconds)
        env["ROS_HOME"] = tempfile.mkdtemp(prefix="ros-fuzz-")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.fuzz_executor"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=REPO,
            env=env,
        )
        assert self._process.stdout is not None
        if self._process.stdout.readline().strip() != b"ready":
            raise RuntimeError("the fuzz worker did not start")

    def run(self, text: str, suffix: str) -> Outcome:
        assert self._process.stdin is not None and self._process.stdout is not None
        request = json.dumps({"text": text, "suffix": suffix}).encode()
        self._process.stdin.write(struct.pack(">I", len(request)) + request)
        self._process.stdin.flush()
        reply = self._process.stdout.readline()
        if not reply:
            raise RuntimeError(f"the fuzz worker died (exit status {self._process.wait()})")
        return Outcome(**json.loads(reply))

    def close(self) -> None:
        """End the worker (end of input) and close its pipes."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


# -- the worker -----------------------------------------------------------------------------------


def _status(name: str) -> int:
    """A ``/proc/self/status`` figure in kB (VmRSS, VmSize)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return 0


def _short(message: str) -> str:
    return message if len(message) <= _MESSAGE_LIMIT else message[: _MESSAGE_LIMIT - 3] + "..."


def run_case(path: Path) -> list[str]:
    """The case itself: ``ros validate`` of the file — the loader, then the static check the stack
    engine runs before it creates anything — and the internal errors it reports (an exception out
    of either becomes such a finding too)."""
    from rosengine.errors import INTERNAL_ERROR
    from rosengine.validate import validate_file

    findings = validate_file(path)
    return [
        _short(f"{finding.path}: {finding.message}")
        for finding in findings
        if finding.rule_id == INTERNAL_ERROR
    ]


def _child(path: Path, write_end: int) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # stdout is the worker's reply channel: nothing of the case may reach it
    start_rss = _status("VmRSS")
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, ((_status("VmSize") << 10) + _ADDRESS_SPACE_MARGIN, hard))
    started = time.perf_counter()
    try:
        internal = run_case(path)
    except BaseException as exc:  # MemoryError under the cap, anything that escapes the API
        internal = [_short(f"the case raised {type(exc).__name__}: {exc}")]
    seconds = time.perf_counter() - started
    memory_mb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_rss, 0) / 1024
    # a few messages, short: the report must fit the pipe, which nobody reads until the child exits
    report = {"seconds": seconds, "memory_mb": memory_mb, "internal": internal[:_MESSAGES]}
    os.write(write_end, json.dumps(report).encode())


def _run_forked(path: Path) -> dict[str, Any]:
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: run, report, leave without running the worker's cleanup
        os.close(read_end)
        try:
            _child(path, write_end)
        finally:
            os._exit(0)
    os.close(write_end)
    pid_fd = os.pidfd_open(pid)
    try:
        finished, _, _ = select.select([pid_fd], [], [], KILL_AFTER_S)
    finally:
        os.close(pid_fd)
    if not finished:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as pipe:
        report = pipe.read()
    if report:
        result: dict[str, Any] = json.loads(report)
        return result
    seconds = time.perf_counter() - started
    killed = "timeout" if not finished else f"signal {-os.waitstatus_to_exitcode(status)}"
    return {"seconds": seconds, "memory_mb": 0.0, "internal": [], "killed": killed}


def _warm_up(directory: Path) -> None:
    """Import and cache what every case needs, so each forked child starts warm."""
    from rosengine.functions import registry
    from rosengine.validate import validate_file

    registry.load_all()
    sample = directory / "warm.yml"
    sample.write_text(
        'ROSTemplateFormatVersion: "2015-09-01"\nResources:\n  F:\n    Type: ALIYUN::FC::Service\n'
        "    Properties: {ServiceName: s}\n"
    )
    validate_file(sample)


def serve() -> None:
    """One length-prefixed JSON case per request on stdin, one JSON outcome per line on stdout."""
    directory = Path(tempfile.mkdtemp(prefix="ros-fuzz-cases-"))
    _warm_up(directory)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    stdin = sys.stdin.buffer
    while True:
        header = stdin.read(4)
        if len(header) < 4:
            return
        request = json.loads(stdin.read(struct.unpack(">I", header)[0]))
        path = directory / f"case{request['suffix']}"
        path.write_bytes(request["text"].encode("utf-8", "surrogatepass"))
        sys.stdout.write(json.dumps(_run_forked(path)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
