"""Who runs an operation, and whether that process is still alive.

Why: a stack is locked while an operation runs. If the process is killed (kill -9, a crash, a
reboot) the lock must not stay forever: the next command looks at the owner recorded on the stack
and decides whether it is still alive. A pid alone is not enough (pids are reused and zombies
still answer ``kill(pid, 0)``), so we also record the process start time from ``/proc`` and a
heartbeat that the running operation refreshes; an owner on another host is judged by the
heartbeat only.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass

# An owner whose heartbeat is older than this is considered dead even if its pid looks alive.
HEARTBEAT_STALE_SECONDS = 60.0


def _proc_start_ticks(pid: int) -> str | None:
    """The start time of ``pid`` in clock ticks since boot, or None if unknown/not running."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            data = fh.read()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses; fields resume after the last ")".
    rest = data.rsplit(")", 1)[-1].split()
    if len(rest) < 20:
        return None
    state = rest[0]
    if state in ("Z", "X"):
        return None  # a zombie is dead for our purposes
    return rest[19]


@dataclass(frozen=True)
class Owner:
    pid: int
    host: str
    started: str  # process start ticks ("" where /proc is unavailable)

    @classmethod
    def current(cls) -> Owner:
        pid = os.getpid()
        return cls(pid, socket.gethostname(), _proc_start_ticks(pid) or "")

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host}"


def is_alive(
    pid: int | None,
    host: str | None,
    started: str | None,
    heartbeat: float | None,
    *,
    now: float | None = None,
) -> bool:
    """Whether the recorded owner of an operation still runs."""
    if not pid:
        return False
    now = time.time() if now is None else now
    heartbeat_fresh = heartbeat is not None and now - heartbeat < HEARTBEAT_STALE_SECONDS
    if host != socket.gethostname():
        return heartbeat_fresh
    if os.path.exists("/proc/self/stat"):
        ticks = _proc_start_ticks(pid)
        if ticks is None:
            return False
        if started and ticks != started:
            return False  # the pid was reused by another process
        return heartbeat_fresh
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return heartbeat_fresh
