"""A worker's OS process: started, signalled, watched and reaped by exactly one owner.

Why not ``asyncio.create_subprocess_exec``: with Python's default ``ThreadedChildWatcher`` a
helper thread blocks in ``waitpid(pid)`` for every child, while ``Process.kill()`` goes through
``Popen.send_signal``, which first *polls* — ``waitpid(pid, WNOHANG)`` — so that it never signals a
recycled pid (bpo-38630). Destroying a worker SIGKILLs its process group and then kills the
process: when the kernel has already turned it into a zombie, that poll reaps it and the watcher
thread's ``waitpid`` fails with ECHILD — asyncio logs "Unknown child process pid …, will report
returncode 255" and reports a made-up exit code. Two independent waiters on one pid is the bug.

Here one object owns the pid:

* the process is started with :class:`subprocess.Popen` (``cwd``, a new session, stdout and stderr
  on one pipe) and never handed to asyncio's child watcher;
* its exit is watched with a *pidfd* (``os.pidfd_open``, Linux ≥ 5.3) registered on the event
  loop with ``add_reader`` — no thread, no SIGCHLD handler, nothing that reaps "any child";
  the fd becomes readable when the process exits and only then do we reap it, with
  ``waitpid(pid, WNOHANG)`` on that pid alone (through the same ``Popen``, whose lock and cached
  ``returncode`` keep every path coherent);
* signals go through ``pidfd_send_signal``, which cannot hit a recycled pid;
* where pidfds are unavailable, one thread per child blocks in that same ``Popen.wait()`` — still
  a single owner, so still no double reaping.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence


class ChildProcess:
    """A running child with an asyncio stdout reader and an awaitable exit."""

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        stdout: asyncio.StreamReader,
        stdout_transport: asyncio.ReadTransport,
        loop: asyncio.AbstractEventLoop,
    ):
        self._popen = popen
        self._loop = loop
        self.stdout = stdout
        self._stdout_transport = stdout_transport
        self.pid = popen.pid
        self._exit: asyncio.Future[int] = loop.create_future()
        self._pidfd: int | None = None
        self._watch()

    @classmethod
    async def spawn(
        cls, argv: Sequence[str], *, env: Mapping[str, str], cwd: str, pass_fds: Sequence[int] = ()
    ) -> ChildProcess:
        """Start ``argv`` in a new session (its own process group) with stdin on /dev/null,
        stdout+stderr on one pipe and ``pass_fds`` inherited. Raises OSError when it cannot be
        started."""
        loop = asyncio.get_running_loop()
        popen = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(env),
            cwd=cwd,
            close_fds=True,
            pass_fds=tuple(pass_fds),
        )
        assert popen.stdout is not None
        reader = asyncio.StreamReader(limit=1 << 20, loop=loop)
        try:
            transport, _ = await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(reader, loop=loop), popen.stdout
            )
        except BaseException:
            popen.kill()
            popen.wait()
            popen.stdout.close()
            raise
        return cls(popen, reader, transport, loop)

    # -- exit watching ------------------------------------------------------------------------
    def _watch(self) -> None:
        try:
            self._pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            self._pidfd = None
        if self._pidfd is not None:
            self._loop.add_reader(self._pidfd, self._reap_if_exited)
            return
        threading.Thread(target=self._wait_in_thread, name=f"child-wait-{self.pid}", daemon=True).start()

    def _reap_if_exited(self) -> None:
        """The pidfd is readable: the child has exited; reap it (this pid only)."""
        code = self._popen.poll()
        if code is None:
            return  # not reapable yet (cannot normally happen once the pidfd is readable)
        self._close_pidfd()
        self._set_exit(code)

    def _wait_in_thread(self) -> None:
        code = self._popen.wait()
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting anymore
            self._loop.call_soon_threadsafe(self._set_exit, code)

    def _set_exit(self, code: int) -> None:
        if not self._exit.done():
            self._exit.set_result(code)

    def _close_pidfd(self) -> None:
        fd, self._pidfd = self._pidfd, None
        if fd is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(fd)
            os.close(fd)

    # -- the asyncio.subprocess.Process-like surface ------------------------------------------
    @property
    def returncode(self) -> int | None:
        """The exit code once reaped (negative: killed by that signal), else None."""
        return self._exit.result() if self._exit.done() else None

    async def wait(self) -> int:
        return await asyncio.shield(self._exit)

    def send_signal(self, sig: int) -> None:
        """Signal the process itself; a no-op once it has exited (never a recycled pid)."""
        if self._exit.done():
            return
        with contextlib.suppress(ProcessLookupError):
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, sig)
            else:
                self._popen.send_signal(sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def signal_group(self, sig: int) -> None:
        """Signal the process group the child leads. Safe until we reap the leader: a zombie
        leader keeps its pid (and so the group id) from being reused, and reaping happens only
        on this event loop's thread."""
        if self._exit.done():
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def close(self) -> None:
        """Close our end of the output pipe (grandchildren may hold theirs open forever) and,
        once reaped, nothing else is left; before that the exit watch stays in place."""
        self._stdout_transport.close()
        if self._exit.done():
            self._close_pidfd()
