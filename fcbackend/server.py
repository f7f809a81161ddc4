"""Running the backend: in the foreground (``ros fc serve``), as a background daemon
(``ros fc start|stop|status``), or in a thread (tests, benchmarks).

Why we bind the socket ourselves: with port 0 the OS picks a free port, and we must know it to
write ``backend.json`` — the file clients use to find the backend. The file is written only once
the server accepts connections, so "the file exists" means "the backend answers"; it is removed on
a clean exit. Starting is serialised with a lock file so two processes calling
:func:`ensure_running` at once start one daemon, not two.
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
from typing import Any

import uvicorn

from fcbackend.config import (
    API_VERSION,
    BackendConfig,
    backend_file,
    read_backend_info,
    remove_backend_info,
    write_backend_info,
)

LOCK_FILE = "backend.lock"
LOG_FILE = "backend.log"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


class DaemonError(RuntimeError):
    """Starting or stopping the daemon failed; the message says why and where to look."""


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
    kwargs: dict[str, Any] = {"log_level": log_level, "access_log": False, "lifespan": "on",
                              "timeout_keep_alive": 75, "proxy_headers": False, "server_header": False}
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

    def install_signal_handlers(self) -> None:
        if threading.current_thread() is threading.main_thread():
            super().install_signal_handlers()


def backend_info(config: BackendConfig, port: int, app: Any) -> dict[str, Any]:
    info = dict(getattr(app.state, "driver_info", {}) or {})
    return {
        "endpoint": endpoint_for(config.host, port), "host": config.host, "port": port, "pid": os.getpid(),
        "accessKeyId": config.access_key_id, "accessKeySecret": config.access_key_secret,
        "auth": config.auth, "stateDir": str(config.state_dir), "startedAt": time.time(),
        "driver": info.get("driver", ""), "isolated": info.get("isolated", False), "note": info.get("note", ""),
        "apiVersion": API_VERSION,
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


def serve(config: BackendConfig, *, log_level: str = "warning",
          on_ready: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Run the backend in the foreground until SIGINT/SIGTERM; maintains ``backend.json``."""
    from fcbackend.app import create_app

    try:
        app = create_app(config)
    except ValueError as exc:  # e.g. --driver sandbox where bubblewrap cannot run
        raise DaemonError(str(exc)) from exc
    sock = bind_socket(config.host, config.port)
    port = sock.getsockname()[1]
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
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(endpoint: str, timeout: float = 2.0) -> bool:
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


def start_daemon(
    state_dir: Path | None = None, *, host: str = "127.0.0.1", port: int = 0, driver: str | None = None,
    auth: bool = True, timeout: float = START_TIMEOUT_S,
) -> tuple[dict[str, Any], bool]:
    """Start the backend in the background unless one runs; returns (backend.json, started_now)."""
    directory = Path(state_dir) if state_dir else BackendConfig.for_state_dir().state_dir
    directory.mkdir(parents=True, exist_ok=True)
    with _start_lock(directory):
        info = running_info(directory)
        if info is not None:
            return info, False
        remove_backend_info(directory)
        cmd = [sys.executable, "-m", "fcbackend.server", "--state-dir", str(directory), "--host", host,
               "--port", str(port)]
        if driver:
            cmd += ["--driver", driver]
        if not auth:
            cmd.append("--no-auth")
        log = open(directory / LOG_FILE, "ab")  # noqa: SIM115 (handed to the child)
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    start_new_session=True, close_fds=True)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                raise DaemonError(f"the FC backend exited with status {code} while starting; "
                                  f"see {directory / LOG_FILE}")
            info = read_backend_info(directory)
            if info is not None and info.get("pid") == proc.pid and _answers(str(info["endpoint"])):
                return info, True
            time.sleep(0.05)
        proc.terminate()
        raise DaemonError(f"the FC backend did not answer within {timeout:.0f}s; see {directory / LOG_FILE}")


def stop_daemon(state_dir: Path | None = None, timeout: float = STOP_TIMEOUT_S) -> dict[str, Any] | None:
    """Stop the background backend (SIGTERM, then SIGKILL after ``timeout``); its info or None."""
    directory = Path(state_dir) if state_dir else BackendConfig.for_state_dir().state_dir
    info = read_backend_info(directory)
    if info is None:
        return None
    pid = int(info.get("pid") or 0)
    if pid and _pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
    remove_backend_info(directory, pid)
    return info


def main(argv: list[str] | None = None) -> None:
    """Entry point of the daemon process (``python -m fcbackend.server``)."""
    parser = argparse.ArgumentParser(prog="python -m fcbackend.server")
    parser.add_argument("--state-dir", type=Path, default=None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--driver", default=None)
    parser.add_argument("--no-auth", action="store_true")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = BackendConfig.for_state_dir(args.state_dir, host=args.host, port=args.port, driver=args.driver,
                                         auth=not args.no_auth)

    def ready(info: dict[str, Any]) -> None:
        print(json.dumps({"endpoint": info["endpoint"], "pid": info["pid"]}), flush=True)

    serve(config, log_level=args.log_level, on_ready=ready)


if __name__ == "__main__":
    main()
