"""Helper processes that die with the process that started them and carry their own limits.

Why: rosengine runs untrusted template code in helpers (``Fn::Jq`` programs can loop forever in C
code that holds the GIL). A helper that outlived a killed ``ros validate`` once ran a looping
program at 85 % of a core for 25 minutes. Three independent guards, all enforced by the kernel:

1. ``PR_SET_PDEATHSIG`` (SIGKILL): the kernel kills the helper when the thread that forked it
   ends. That is a *thread*, so every helper is forked by one long-lived thread (:class:`_Spawner`)
   — the stack engine resolves properties in worker threads that come and go.
2. A lifeline pipe: the parent holds the write end for its whole life, the helper the read end
   armed with ``O_ASYNC`` and ``F_SETSIG=SIGKILL``, so the kernel kills the helper the moment the
   pipe reports end-of-file (the parent, and every process that inherited the write end, is
   gone). At start the helper also checks that its parent is still the one that started it and
   that the pipe is still open, closing the race before the guards were armed.
3. ``RLIMIT_AS`` caps its memory; ``RLIMIT_CPU`` (:func:`limit_cpu`, per request) its processor
   time: past it the kernel sends SIGXCPU, which ends the process.

Linux only, like the rest of the sandboxing.
"""

from __future__ import annotations

import ctypes
import fcntl
import math
import os
import queue
import resource
import select
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TypeVar, cast

_ENV = "ROSENGINE_HELPER_GUARD"  # "<parent pid>:<lifeline fd>:<memory bytes>"
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_F_SETSIG = 10  # <fcntl.h> (Linux): the signal sent when the descriptor becomes ready

T = TypeVar("T")


class _Spawner:
    """Runs every helper start on one daemon thread that lives as long as the process."""

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[tuple[Callable[[], object], Future[object]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def call(self, start: Callable[[], T]) -> T:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():  # first use, or after a fork
                self._requests = queue.SimpleQueue()
                self._thread = threading.Thread(target=self._serve, name="rosengine-helpers", daemon=True)
                self._thread.start()
            requests = self._requests
        future: Future[object] = Future()
        requests.put((start, future))
        return cast(T, future.result())  # what start() returned

    def _serve(self) -> None:
        requests = self._requests
        while True:
            start, future = requests.get()
            try:
                future.set_result(start())
            except BaseException as exc:  # handed to the caller, who raises it
                future.set_exception(exc)


_spawner = _Spawner()
_lifeline: tuple[int, int, int] | None = None  # (pid that made it, read end, write end)
_lifeline_lock = threading.Lock()


def _lifeline_fds() -> tuple[int, int]:
    """This process's lifeline pipe (made once per process; a forked child makes its own)."""
    global _lifeline
    with _lifeline_lock:
        if _lifeline is None or _lifeline[0] != os.getpid():
            read_end, write_end = os.pipe()  # not inherited by other children (O_CLOEXEC)
            _lifeline = (os.getpid(), read_end, write_end)
        return _lifeline[1], _lifeline[2]


def start_helper(argv: Sequence[str], *, memory_bytes: int) -> subprocess.Popen[bytes]:
    """Start ``argv`` (a Python program that calls :func:`guard_helper` first) with stdin/stdout
    pipes; it dies with this process and may use at most ``memory_bytes`` of address space."""
    read_end, _write_end = _lifeline_fds()
    env = dict(os.environ)
    env[_ENV] = f"{os.getpid()}:{read_end}:{memory_bytes}"

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            pass_fds=(read_end,),
            env=env,
        )

    return _spawner.call(start)


def guard_helper() -> None:
    """In the helper, before anything else: arm the three guards of the module docstring. Exits at
    once when the parent is already gone."""
    setting = os.environ.pop(_ENV, "")
    try:
        parent, lifeline, memory = (int(part) for part in setting.split(":"))
    except ValueError:
        raise SystemExit("this program is a rosengine helper; rosengine starts it") from None
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    fcntl.fcntl(lifeline, fcntl.F_SETOWN, os.getpid())
    fcntl.fcntl(lifeline, _F_SETSIG, signal.SIGKILL)
    fcntl.fcntl(lifeline, fcntl.F_SETFL, fcntl.fcntl(lifeline, fcntl.F_GETFL) | os.O_ASYNC)
    readable, _, _ = select.select([lifeline], [], [], 0)
    if os.getppid() != parent or readable:  # the parent died before the guards were armed
        os._exit(1)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def limit_cpu(seconds: float) -> None:
    """In the helper: allow ``seconds`` more of processor time from now (SIGXCPU past it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    limit = math.ceil(used + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
