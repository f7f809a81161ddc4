"""Running the backend: in the foreground (``ros fc serve``), as a background daemon
(``ros fc start|stop|status``), or in a thread (tests, benchmarks).

Why we bind the socket ourselves: with port 0 the OS picks a free port, and we must know it to
write ``backend.json`` — the file clients use to find the backend. The file is written only once
the server accepts connections, so "the file exists" means "the backend answers"; it is removed on
a clean exit. Starting is serialised with a lock file so two processes calling
:func:`ensure_running` at once start one daemon, not two.

One backend per state directory: a serving backend holds an exclusive ``flock`` on
``serve.lock`` (with its pid inside) from before it binds until it exits, and the kernel drops it
when the process dies however it dies. A second backend on the same directory exits with an error
naming the holder, and :func:`start_daemon` refuses to start a twin next to a backend that is alive
but busy (:class:`BackendNotAnswering`): two backends would share one SQLite store, one code store
and one set of instance cgroups.

Port reuse: with port 0 the backend first tries the port this state directory's backend used last
time (``last-port``), so HTTP-trigger URLs stored in stack outputs survive a restart; when that
port is taken it lets the OS pick one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import gc
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import uvicorn

from backend_contract.backend_info import (
    backend_file,
    read_backend_info,
    remove_backend_info,
    write_backend_info,
)
from fcbackend.backend_config import API_VERSION, BackendConfig
from sqlstore import DATABASE_URL_VARIABLE, DatabaseError

LOCK_FILE = "backend.lock"
SERVE_LOCK_FILE = "serve.lock"
LAST_PORT_FILE = "last-port"
LOG_FILE = "backend.log"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
KILL_WAIT_S = 5.0
ANSWER_TIMEOUT_S = 3.0
# A checker (serving_pid) holds the serve lock shared for a moment: a starting backend retries this
# long before it concludes that another backend owns the directory.
SERVE_LOCK_WAIT_S = 2.0


class DaemonError(RuntimeError):
    """Starting or stopping the daemon failed; the message says why and where to look."""


class BackendNotAnswering(DaemonError):
    """A backend of this state directory is alive but does not answer: we must not start a twin."""

    def __init__(self, pid: int, endpoint: str, state_dir: Path):
        where = f" at {endpoint}" if endpoint else ""
        super().__init__(
            f"the FC backend (pid {pid}) is not answering{where}; it may be busy. Try again, "
            f"or stop it with `ros fc stop` (state dir {state_dir})"
        )
        self.pid = pid
        self.endpoint = endpoint


# -- one backend per state directory ----------------------------------------------------------------


def acquire_serve_lock(state_dir: Path, wait_s: float = SERVE_LOCK_WAIT_S) -> IO[str]:
    """Take the state directory's serve lock for this process's life (close the file to release).

    Raises :class:`DaemonError` naming the pid of the backend that holds it.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / SERVE_LOCK_FILE
    fh = open(path, "a+")  # noqa: SIM115 (held open for the server's life; the caller closes it)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = _read_int(path)
                fh.close()
                raise DaemonError(
                    f"another FC backend (pid {holder or 'unknown'}) is already serving {state_dir}; "
                    "stop it with `ros fc stop` or use another --state-dir"
                ) from None
            time.sleep(0.05)
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh


def serving_pid(state_dir: Path) -> int | None:
    """The pid of the backend holding ``state_dir``'s serve lock (0: held, pid not yet written);
    None when no backend serves it."""
    path = state_dir / SERVE_LOCK_FILE
    try:
        fh = open(path)  # noqa: SIM115 (closed below)
    except OSError:
        return None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_int(path) or 0
        fcntl.flock(fh, fcntl.LOCK_UN)
        return None


def _read_int(path: Path) -> int | None:
    """The integer a small state file holds (a pid, a port); None when absent or not a number."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def remembered_port(state_dir: Path) -> int | None:
    """The port the last backend of ``state_dir`` listened on (None: never, or unreadable)."""
    port = _read_int(state_dir / LAST_PORT_FILE)
    return port if port is not None and 0 < port < 65536 else None


def remember_port(state_dir: Path, port: int) -> None:
    with contextlib.suppress(OSError):
        (state_dir / LAST_PORT_FILE).write_text(f"{port}\n")


def bind_preferring(host: str, port: int, state_dir: Path) -> socket.socket:
    """Bind ``port``; for port 0 try the remembered port first, then any free one."""
    if port == 0:
        previous = remembered_port(state_dir)
        if previous is not None:
            with contextlib.suppress(DaemonError):
                return bind_socket(host, previous)
    return bind_socket(host, port)


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP (not 0): asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise DaemonError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def endpoint_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _uvicorn_config(app: Any, log_level: str) -> uvicorn.Config:
    # proxy_headers off: the backend is reached directly, and uvicorn's ProxyHeadersMiddleware
    # would otherwise wrap every request (a measurable share of a warm invoke).
    kwargs: dict[str, Any] = {
        "log_level": log_level,
        "access_log": False,
        "lifespan": "on",
        "timeout_keep_alive": 75,
        "proxy_headers": False,
        "server_header": False,
    }
    with contextlib.suppress(ImportError):
        import httptools  # noqa: F401  (faster HTTP parsing when installed)

        from fcbackend.http_protocol import CoalescingHttpToolsProtocol

        kwargs["http"] = CoalescingHttpToolsProtocol
    with contextlib.suppress(ImportError):
        import uvloop  # noqa: F401

        kwargs["loop"] = "uvloop"
    return uvicorn.Config(app, **kwargs)


class _Server(uvicorn.Server):
    """uvicorn.Server that runs a callback once it accepts connections."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None = None):
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self._on_started is not None:
            self._on_started()


def backend_info(config: BackendConfig, port: int, app: Any) -> dict[str, Any]:
    info = dict(getattr(app.state, "driver_info", {}) or {})
    return {
        "endpoint": endpoint_for(config.host, port),
        "host": config.host,
        "port": port,
        "pid": os.getpid(),
        "accessKeyId": config.access_key_id,
        "accessKeySecret": config.access_key_secret,
        "auth": config.auth,
        "stateDir": str(config.state_dir),
        "startedAt": time.time(),
        "driver": info.get("driver", ""),
        "isolated": info.get("isolated", False),
        "note": info.get("note", ""),
        "cluster": config.cluster or "",
        "apiVersion": API_VERSION,
        **app.state.fc.cloud_info(),
    }


GC_YOUNG_THRESHOLD = 20_000


def tune_gc_for_serving() -> None:
    """Make the cyclic garbage collector cheap for a long-running server process.

    Why: a warm invoke allocates a few hundred short-lived objects, almost all freed by reference
    counting; with CPython's default young-generation threshold (700) the collector still ran every
    couple of requests and took ~4.5 % of the backend's CPU under load (perf, benchmarks/fc_rest.py).
    Freezing what start-up allocated (modules, schemas, the app) keeps full collections from walking
    it again, and a larger young threshold makes collections rare without letting cycles pile up.
    Only called by :func:`serve`, i.e. in a process that is the backend.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def serve(
    config: BackendConfig,
    *,
    log_level: str = "warning",
    on_ready: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Run the backend in the foreground until SIGINT/SIGTERM; maintains ``backend.json``.

    Holds the state directory's serve lock throughout (:func:`acquire_serve_lock`); with port 0
    it reuses the previous backend's port when that is free (:func:`bind_preferring`).
    """
    lock = acquire_serve_lock(Path(config.state_dir))
    try:
        _serve_locked(config, log_level, on_ready)
    finally:
        lock.close()


def _serve_locked(
    config: BackendConfig, log_level: str, on_ready: Callable[[dict[str, Any]], None] | None
) -> None:
    from fcbackend.composition import create_app

    try:
        app = create_app(config)
    except ValueError as exc:  # e.g. --driver sandbox where bubblewrap cannot run
        raise DaemonError(str(exc)) from exc
    sock = bind_preferring(config.host, config.port, Path(config.state_dir))
    port = sock.getsockname()[1]
    remember_port(Path(config.state_dir), port)
    info = backend_info(config, port, app)

    def started() -> None:
        tune_gc_for_serving()
        write_backend_info(config.state_dir, info)
        if on_ready is not None:
            on_ready(info)

    server = _Server(_uvicorn_config(app, log_level), on_started=started)
    try:
        server.run(sockets=[sock])
    finally:
        remove_backend_info(config.state_dir, os.getpid())
        sock.close()


class ThreadedServer:
    """A backend app served by uvicorn in a daemon thread (tests and benchmarks)."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"):
        self.app = app
        self.sock = bind_socket(host, port)
        self.port = self.sock.getsockname()[1]
        self.endpoint = endpoint_for(host, self.port)
        self._ready = threading.Event()
        self._server = _Server(_uvicorn_config(app, log_level), on_started=self._ready.set)
        self._thread = threading.Thread(target=self._run, name="fc-backend", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self.sock]))
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._ready.set()

    def start(self, timeout: float = 30.0) -> ThreadedServer:
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            raise DaemonError(f"the backend did not start: {self._error!r}")
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        self.sock.close()


# -- daemon management ----------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (dead, not yet reaped by its parent) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _answers(endpoint: str, timeout: float = ANSWER_TIMEOUT_S) -> bool:
    import httpx

    try:
        return httpx.get(f"{endpoint}/{API_VERSION}/local/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def running_info(state_dir: Path | None = None) -> dict[str, Any] | None:
    """``backend.json`` of a live backend (stale files from crashed backends are removed)."""
    info = read_backend_info(state_dir)
    if info is None:
        return None
    pid = int(info.get("pid") or 0)
    if pid and _pid_alive(pid) and _answers(str(info.get("endpoint"))):
        return info
    if pid and not _pid_alive(pid):
        remove_backend_info(Path(state_dir) if state_dir else backend_file().parent, pid)
    return None


@contextlib.contextmanager
def _start_lock(state_dir: Path) -> Iterator[None]:
    with open(state_dir / LOCK_FILE, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# Backends this process started, by pid. Why keep them: a backend stopped by the process that
# started it stays a zombie until that process reaps it, and dropping the handle of a running
# child warns (ResourceWarning) when it is collected.
_STARTED: dict[int, subprocess.Popen[bytes]] = {}


def start_daemon(
    state_dir: Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    driver: str | None = None,
    auth: bool = True,
    timeout: float = START_TIMEOUT_S,
    database_url: str | None = None,
    cluster: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Start the backend in the background unless one runs; returns (backend.json, started_now).

    ``database_url`` reaches the child in its environment (``ROS_DATABASE_URL``), not on its
    command line, where any user could read a password with ``ps``."""
    directory = Path(state_dir) if state_dir else BackendConfig.for_state_dir().state_dir
    directory.mkdir(parents=True, exist_ok=True)
    with _start_lock(directory):
        info = live_backend(directory, wait_s=timeout)
        if info is not None:
            return info, False
        remove_backend_info(directory)
        cmd = [
            sys.executable,
            "-m",
            "fcbackend.server",
            "--state-dir",
            str(directory),
            "--host",
            host,
            "--port",
            str(port),
        ]
        if driver:
            cmd += ["--driver", driver]
        if not auth:
            cmd.append("--no-auth")
        if cluster:
            cmd += ["--cluster", cluster]
        env = dict(os.environ)  # an exported ROS_DATABASE_URL reaches the child as it is
        if database_url:
            env[DATABASE_URL_VARIABLE] = database_url
        log = open(directory / LOG_FILE, "ab")  # noqa: SIM115 (handed to the child)
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                close_fds=True,
                env=env,
            )
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                reason = _start_error(directory / LOG_FILE)
                raise DaemonError(
                    f"the FC backend exited with status {code} while starting"
                    + (f": {reason}" if reason else "")
                    + f"; see {directory / LOG_FILE}"
                )
            info = read_backend_info(directory)
            if info is not None and info.get("pid") == proc.pid and _answers(str(info["endpoint"])):
                _STARTED[proc.pid] = proc
                return info, True
            time.sleep(0.05)
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(KILL_WAIT_S)
        raise DaemonError(f"the FC backend did not answer within {timeout:.0f}s; see {directory / LOG_FILE}")


def _start_error(log_file: Path) -> str:
    """The reason a backend that refused to start printed last (``error: ...``, :func:`main`):
    a wrong ``--cluster`` address or database URL, said to whoever ran ``ros fc start``."""
    try:
        lines = log_file.read_text(errors="replace").splitlines()[-50:]
    except OSError:
        return ""
    return next((line.removeprefix("error: ") for line in reversed(lines) if line.startswith("error: ")), "")


def live_backend(state_dir: Path | None = None, wait_s: float = 0.0) -> dict[str, Any] | None:
    """``backend.json`` of the answering backend of ``state_dir``, None when none lives there;
    raises :class:`BackendNotAnswering` when one lives but does not answer (busy, stopped, wedged).

    A backend that holds the serve lock but has not written ``backend.json`` yet is starting
    (``ros fc serve`` in another terminal): wait up to ``wait_s`` for it rather than start a twin.
    """
    directory = Path(state_dir) if state_dir else backend_file().parent
    recorded = read_backend_info(directory)
    pid = int((recorded or {}).get("pid") or 0)
    if recorded is not None and pid and _pid_alive(pid):
        endpoint = str(recorded.get("endpoint") or "")
        if _answers(endpoint):
            return recorded
        raise BackendNotAnswering(pid, endpoint, directory)
    deadline = time.monotonic() + wait_s
    while (holder := serving_pid(directory)) is not None:
        info = read_backend_info(directory)
        if info is not None and info.get("pid") == holder and _answers(str(info.get("endpoint"))):
            return info
        if time.monotonic() >= deadline:
            raise BackendNotAnswering(holder, str((info or {}).get("endpoint") or ""), directory)
        time.sleep(0.05)
    return None


def stop_daemon(state_dir: Path | None = None, timeout: float = STOP_TIMEOUT_S) -> dict[str, Any] | None:
    """Stop the background backend (SIGTERM, then SIGKILL after ``timeout``); its info or None."""
    directory = Path(state_dir) if state_dir else BackendConfig.for_state_dir().state_dir
    info = read_backend_info(directory)
    if info is None:
        return None
    pid = int(info.get("pid") or 0)
    if pid and _pid_alive(pid):
        # SIGCONT too: a stopped (SIGSTOP, ^Z) backend only handles SIGTERM once it runs again
        for sig in (signal.SIGTERM, signal.SIGCONT):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        if not _wait_gone(pid, timeout):
            # its event loop is busy (or wedged) and never ran the SIGTERM handler
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, KILL_WAIT_S)  # so an immediate `ros fc start` finds the lock free
        _wait_lock_free(directory, KILL_WAIT_S)
    child = _STARTED.pop(pid, None)
    if child is not None:  # started by this process: reap it (it is gone, or going)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(KILL_WAIT_S)
    remove_backend_info(directory, pid)
    return info


def _wait_lock_free(directory: Path, timeout: float) -> None:
    """Wait until nobody holds the serve lock. Why, after the backend is gone: a child it forked
    a moment before dying (a worker being started) shares the lock until it execs, so a start
    right after ``stop`` would otherwise see "another backend is serving"."""
    deadline = time.monotonic() + timeout
    while serving_pid(directory) is not None and time.monotonic() < deadline:
        time.sleep(0.02)


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def main(argv: list[str] | None = None) -> None:
    """Entry point of the daemon process (``python -m fcbackend.server``)."""
    parser = argparse.ArgumentParser(prog="python -m fcbackend.server")
    parser.add_argument("--state-dir", type=Path, default=None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--driver", default=None)
    parser.add_argument("--no-auth", action="store_true")
    parser.add_argument("--cluster", default=None)
    # Where the cluster's nodes reach this process (its gateway); default: its Ray node address.
    parser.add_argument("--advertise-address", default=os.environ.get("ROS_ADVERTISE_ADDRESS") or None)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument(
        "--shared-dir",
        type=Path,
        default=None,
        help="a directory every backend on the same database mounts (default: $ROS_SHARED_DIR)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = BackendConfig.for_state_dir(
        args.state_dir,
        host=args.host,
        port=args.port,
        driver=args.driver,
        auth=not args.no_auth,
        database_url=os.environ.get(DATABASE_URL_VARIABLE) or None,
        cluster=args.cluster,
        shared_dir=args.shared_dir,
        advertise_address=args.advertise_address,
    )

    def ready(info: dict[str, Any]) -> None:
        print(json.dumps({"endpoint": info["endpoint"], "pid": info["pid"]}), flush=True)

    try:
        serve(config, log_level=args.log_level, on_ready=ready)
    except (DaemonError, DatabaseError) as exc:  # another backend serves this state dir, a database
        # that refuses us: one clear line, no traceback
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
