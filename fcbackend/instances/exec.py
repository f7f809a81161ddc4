"""Running a command inside a running instance (``InstanceExec``, docs/reference/fc-api.md#rest-api), for
every driver.

Why here and not in each driver: exec needs nothing from a driver but what an instance already
exposes (its worker process, cgroup and slot; its container id and engine client), and keeping
it in one module keeps the drivers' hot paths untouched.

How each kind of instance runs the command:

* **sandbox** — the command enters the sandbox's namespaces with ``nsenter`` (mount, pid, ipc,
  uts, net, cgroup; we are root) through the first process bubblewrap created inside them, after
  joining the instance's cgroups (so the function's memory, cpu and pids limits apply to it too).
  Inside, ``setpriv`` drops every capability, as bubblewrap did for the function (``--cap-drop
  ALL``): read-only mounts stay read-only for the exec'd command as well.
* **process** — a child process with the instance's environment, in its code directory and its
  cgroups (when the backend made any).
* **docker** — the Docker Engine exec API (``POST /containers/{id}/exec``, then a hijacked
  ``POST /exec/{id}/start`` stream) through the driver's engine client; the exit code comes from
  ``GET /exec/{id}/json``.

Every session has the same small surface (:class:`ExecSession`): write stdin, close stdin, read
``(stream, bytes)`` output chunks until ``None``, the exit code, kill, resize a terminal.
Choice (documented UNCONFIRMED): the command runs with the function's environment and the working
directory ``/code`` (sandbox) or the code directory (process); in a container, the image's own
working directory and environment (the container's, which already holds the function's).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import json
import os
import pty
import signal
import struct
import subprocess
import termios
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fcbackend.instances.cgroups import join_command
from fcbackend.instances.driver import Instance
from fcbackend.runtimes import instance_environment

STDOUT = 1
STDERR = 2
READ_CHUNK = 65536


class ExecError(Exception):
    """The command cannot be run in this instance (gone, unsupported driver, no nsenter)."""


@dataclass(frozen=True)
class ExecOptions:
    command: list[str]
    stdin: bool = False
    stdout: bool = True
    stderr: bool = True
    tty: bool = False


class ExecSession(ABC):
    """One command running inside an instance."""

    @abstractmethod
    async def write_stdin(self, data: bytes) -> None: ...

    @abstractmethod
    async def close_stdin(self) -> None: ...

    @abstractmethod
    async def read(self) -> tuple[int, bytes] | None:
        """The next output chunk as ``(STDOUT | STDERR, data)``; ``None`` once all output ended."""

    @abstractmethod
    async def wait(self) -> int:
        """The exit code; 128 + N when killed by signal N (as shells and Docker report it)."""

    @abstractmethod
    async def kill(self) -> None: ...

    async def resize(self, width: int, height: int) -> None:
        """Set the terminal size of a ``tty`` session (ignored otherwise)."""


async def start_exec(instance: Instance, options: ExecOptions) -> ExecSession:
    """Start ``options.command`` inside ``instance``; raises :class:`ExecError` when it cannot."""
    if not options.command:
        raise ExecError("no command was given")
    if not instance.alive():
        raise ExecError(f"instance {instance.id} is not running")
    container_id = getattr(instance, "container_id", None)
    if isinstance(container_id, str) and container_id:
        return await DockerExecSession.start(instance, container_id, options)
    worker = getattr(instance, "worker", None)
    if worker is None:
        raise ExecError(f"instances of the {instance.driver_name} driver do not support exec")
    return await LocalExecSession.start(instance, worker, options)


# --------------------------------------------------------------------------- local (sandbox, process)


def sandbox_init_pid(worker_pid: int) -> int:
    """The first process bubblewrap created inside the sandbox's namespaces: a child of the
    outer ``bwrap`` (the worker's pid, since the cgroup wrapper ``exec``s it) whose mount
    namespace differs from the outer one."""
    outer = _namespace(worker_pid, "mnt")
    for child in _children(worker_pid):
        if _namespace(child, "mnt") not in (None, outer):
            return child
    raise ExecError(f"cannot find the sandbox of worker process {worker_pid} (has it exited?)")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _namespace(pid: int, kind: str) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/{kind}")
    except OSError:
        return None


def local_command(instance: Any, worker: Any, options: ExecOptions) -> tuple[list[str], dict[str, str], str]:
    """(argv, env, cwd on the host) that run ``options.command`` inside a local instance."""
    spec = instance.spec
    code_dir, opt_dirs, tmp_dir = worker.launcher.paths(spec, worker.slot)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": "/tmp"}
    env.update(instance_environment(spec, instance.id, code_dir=code_dir, opt_dirs=opt_dirs))
    if getattr(worker, "gpu_plan", None) is not None:
        env = worker.gpu_plan.apply_env(env)
    if tmp_dir != "/tmp":
        env["TMPDIR"] = tmp_dir
        env["HOME"] = tmp_dir
    if options.tty:
        env.setdefault("TERM", "xterm")
    argv = list(options.command)
    cwd = code_dir
    if worker.launcher.name == "sandbox":
        target = sandbox_init_pid(worker.process.pid)
        argv = [
            "nsenter",
            f"--target={target}",
            "--mount",
            "--pid",
            "--ipc",
            "--uts",
            "--net",
            *(["--cgroup"] if _namespace(target, "cgroup") else []),
            "--root",
            "--wd",
            # nsenter resolves --wd=PATH before entering the mount namespace: chdir inside.
            "env",
            f"--chdir={code_dir}",
            "setpriv",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
            *argv,
        ]
        cwd = "/"  # the command's own cwd is set inside the sandbox (env --chdir)
    cgroup = worker.cgroup
    argv = join_command(cgroup.procs_files if cgroup is not None else [], argv)
    return argv, env, cwd


class LocalExecSession(ExecSession):
    """A child process (nsenter'ed into the sandbox, or plain) with pipes or a pseudo-terminal.

    The process is owned here alone: started with :class:`subprocess.Popen` in its own session
    and reaped through that ``Popen`` when its pidfd says it exited, never by asyncio's child
    watcher — the same single-owner rule as :mod:`fcbackend.instances.child`, so killing never
    reaps behind anyone's back. Kill signals the whole process group (nsenter and the command it
    forked into the sandbox).
    """

    def __init__(self, popen: subprocess.Popen[bytes], loop: asyncio.AbstractEventLoop, pty_fd: int | None):
        self._popen = popen
        self._loop = loop
        self._pty_fd = pty_fd
        self._queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue(maxsize=64)
        self._open_streams = 0
        self._stdin: asyncio.StreamWriter | None = None
        self._exit: asyncio.Future[int] = loop.create_future()
        self._tasks: list[asyncio.Task[None]] = []
        self._transports: list[asyncio.BaseTransport] = []
        self._watch_exit()

    def _watch_exit(self) -> None:
        """A pidfd on the event loop (no thread held for the session's lifetime); a dedicated
        waiting thread where pidfds are unavailable."""
        try:
            pidfd = os.pidfd_open(self._popen.pid)
        except (AttributeError, OSError):
            threading.Thread(
                target=self._wait_in_thread, name=f"exec-wait-{self._popen.pid}", daemon=True
            ).start()
            return

        def exited() -> None:
            code = self._popen.poll()
            if code is None:
                return
            self._loop.remove_reader(pidfd)
            os.close(pidfd)
            if not self._exit.done():
                self._exit.set_result(code)

        self._loop.add_reader(pidfd, exited)

    def _wait_in_thread(self) -> None:
        code = self._popen.wait()
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits anymore
            self._loop.call_soon_threadsafe(self._set_exit_code, code)

    def _set_exit_code(self, code: int) -> None:
        if not self._exit.done():
            self._exit.set_result(code)

    @classmethod
    async def start(cls, instance: Instance, worker: Any, options: ExecOptions) -> LocalExecSession:
        argv, env, cwd = local_command(instance, worker, options)
        loop = asyncio.get_running_loop()
        pty_fd: int | None = None
        child_end: int | None = None
        if options.tty:
            pty_fd, child_end = pty.openpty()
            stdio: dict[str, Any] = {"stdin": child_end, "stdout": child_end, "stderr": child_end}
        else:
            stdio = {
                "stdin": subprocess.PIPE if options.stdin else subprocess.DEVNULL,
                "stdout": subprocess.PIPE if options.stdout else subprocess.DEVNULL,
                "stderr": subprocess.PIPE if options.stderr else subprocess.DEVNULL,
            }
        try:
            popen = subprocess.Popen(argv, env=env, cwd=cwd, start_new_session=True, close_fds=True, **stdio)
        except OSError as exc:
            if pty_fd is not None:
                os.close(pty_fd)
            raise ExecError(f"cannot start the command: {exc}") from exc
        finally:
            if child_end is not None:
                os.close(child_end)
        session = cls(popen, loop, pty_fd)
        try:
            await session._connect(options)
        except BaseException:
            await session.kill()
            raise
        return session

    async def _connect(self, options: ExecOptions) -> None:
        loop = self._loop
        if self._pty_fd is not None:
            # A pty master is a character device: asyncio reads it like a pipe. The duplicate
            # keeps the transport's fd separate from the one used for writes and resizes.
            pipes: list[tuple[int, Any]] = [(STDOUT, os.fdopen(os.dup(self._pty_fd), "rb", buffering=0))]
        else:
            pipes = [(STDOUT, self._popen.stdout), (STDERR, self._popen.stderr)]
        for stream_id, pipe in pipes:
            if pipe is None:
                continue
            stream = asyncio.StreamReader(limit=1 << 20, loop=loop)
            transport, _ = await loop.connect_read_pipe(
                functools.partial(asyncio.StreamReaderProtocol, stream, loop=loop), pipe
            )
            self._transports.append(transport)
            self._open_streams += 1
            self._tasks.append(loop.create_task(self._pump(stream_id, stream)))
        if self._popen.stdin is not None:
            write_transport, protocol = await loop.connect_write_pipe(
                asyncio.streams.FlowControlMixin, self._popen.stdin
            )
            self._stdin = asyncio.StreamWriter(write_transport, protocol, None, loop)
        if self._open_streams == 0:
            await self._queue.put(None)

    async def _pump(self, stream_id: int, stream: asyncio.StreamReader) -> None:
        """Forward one stream until end of file (a pty master ends with EIO once the last
        process holding the terminal exited)."""
        try:
            while True:
                try:
                    chunk = await stream.read(READ_CHUNK)
                except OSError:
                    break
                if not chunk:
                    break
                await self._queue.put((stream_id, chunk))
        finally:
            await self._stream_ended()

    async def _stream_ended(self) -> None:
        self._open_streams -= 1
        if self._open_streams == 0:
            await self._queue.put(None)

    async def write_stdin(self, data: bytes) -> None:
        if self._pty_fd is not None:
            await self._write_pty(data)
            return
        if self._stdin is None or self._stdin.is_closing():
            return
        with contextlib.suppress(ConnectionError, BrokenPipeError):
            self._stdin.write(data)
            await self._stdin.drain()

    async def _write_pty(self, data: bytes) -> None:
        """The master shares its file description with the non-blocking read transport: a full
        terminal buffer answers EAGAIN, so wait for the command to read some and retry."""
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._pty_fd, view) :]  # type: ignore[arg-type]
            except BlockingIOError:
                await asyncio.sleep(0.01)
            except OSError:
                return

    async def close_stdin(self) -> None:
        if self._pty_fd is not None:
            with contextlib.suppress(OSError):
                os.write(self._pty_fd, b"\x04")  # end of file, as a terminal user types it
            return
        if self._stdin is not None and not self._stdin.is_closing():
            self._stdin.close()

    async def read(self) -> tuple[int, bytes] | None:
        return await self._queue.get()

    async def wait(self) -> int:
        code = await asyncio.shield(self._exit)
        return 128 - code if code < 0 else code

    async def kill(self) -> None:
        if not self._exit.done():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._popen.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self._exit), 5)
        await self._close()

    async def _close(self) -> None:
        if self._stdin is not None and not self._stdin.is_closing():
            self._stdin.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        for transport in self._transports:
            transport.close()  # closes the pipe (or the pty duplicate) it reads
        if self._pty_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._pty_fd)
            self._pty_fd = None

    async def resize(self, width: int, height: int) -> None:
        if self._pty_fd is not None and width > 0 and height > 0:
            with contextlib.suppress(OSError):
                fcntl.ioctl(self._pty_fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


# --------------------------------------------------------------------------- docker


class DockerExecSession(ExecSession):
    """A Docker Engine exec: created with the engine client, then started on a raw connection to
    the Engine socket, which the Engine hijacks into the command's stdin/stdout/stderr stream
    (8-byte frame headers ``[stream, 0, 0, 0, size]`` without a tty, raw bytes with one)."""

    def __init__(
        self, engine: Any, exec_id: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tty: bool
    ):
        self._engine = engine
        self._exec_id = exec_id
        self._reader = reader
        self._writer = writer
        self._tty = tty
        self._buffer = b""
        self._ended = False

    @classmethod
    async def start(cls, instance: Instance, container_id: str, options: ExecOptions) -> DockerExecSession:
        from fcbackend.instances.docker.driver import API_VERSION, DockerError

        engine = instance._driver.engine  # type: ignore[attr-defined]
        config = {
            "AttachStdin": options.stdin,
            "AttachStdout": options.stdout,
            "AttachStderr": options.stderr,
            "Tty": options.tty,
            "Cmd": list(options.command),
        }
        try:
            created = await engine.call("POST", f"/containers/{container_id}/exec", json=config)
        except DockerError as exc:
            raise ExecError(f"cannot exec in container {container_id[:12]}: {exc.message}") from exc
        exec_id = created["Id"]
        reader, writer = await asyncio.open_unix_connection(engine.socket_path)
        body = json.dumps({"Detach": False, "Tty": options.tty}).encode()
        head = (
            f"POST /{API_VERSION}/exec/{exec_id}/start HTTP/1.1\r\nHost: docker\r\n"
            "Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        writer.write(head + body)
        await writer.drain()
        status_line = await reader.readline()
        while (await reader.readline()).strip():
            pass  # response headers: nothing in them we need
        parts = status_line.split()
        if len(parts) < 2 or parts[1] not in (b"101", b"200"):
            writer.close()
            raise ExecError(
                f"the Docker Engine refused to start the exec: {status_line.decode(errors='replace')}"
            )
        return cls(engine, exec_id, reader, writer, options.tty)

    async def write_stdin(self, data: bytes) -> None:
        with contextlib.suppress(ConnectionError):
            self._writer.write(data)
            await self._writer.drain()

    async def close_stdin(self) -> None:
        with contextlib.suppress(OSError, RuntimeError):
            if self._writer.can_write_eof():
                self._writer.write_eof()

    async def read(self) -> tuple[int, bytes] | None:
        if self._ended:
            return None
        try:
            if self._tty:
                chunk = await self._reader.read(READ_CHUNK)
                if chunk:
                    return STDOUT, chunk
            else:
                header = await self._reader.readexactly(8)
                size = struct.unpack(">I", header[4:8])[0]
                data = await self._reader.readexactly(size)
                return (STDERR if header[0] == 2 else STDOUT), data
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        # The Engine ends the stream when the command exited: the connection has done its job.
        self._ended = True
        self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()
        return None

    async def wait(self) -> int:
        for _ in range(200):
            info = await self._engine.call("GET", f"/exec/{self._exec_id}/json")
            if not info.get("Running") and info.get("ExitCode") is not None:
                return int(info["ExitCode"])
            await asyncio.sleep(0.02)  # the Engine records the exit code just after the stream ends
        return -1

    async def kill(self) -> None:
        """The Engine has no exec kill: kill the exec'd process by its pid inside the container."""
        with contextlib.suppress(Exception):
            info = await self._engine.call("GET", f"/exec/{self._exec_id}/json")
            pid = int(info.get("Pid") or 0)
            if info.get("Running") and pid > 0:
                os.kill(pid, signal.SIGKILL)
        self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()

    async def resize(self, width: int, height: int) -> None:
        if self._tty and width > 0 and height > 0:
            with contextlib.suppress(Exception):
                await self._engine.call(
                    "POST", f"/exec/{self._exec_id}/resize", params={"w": width, "h": height}
                )
