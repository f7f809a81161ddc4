"""The ``docker`` instance driver: custom containers, GPU functions, built-in runtimes in images.

Why httpx over the Unix socket rather than the ``docker`` SDK: the scheduler is asyncio and the SDK
is synchronous (every call would hop to a thread), it pulls in ``requests``/``urllib3`` pins of its
own, and its last releases lag the Engine API. The Engine API is a documented, versioned HTTP API
(we speak v1.41, Docker 20.10+); ``httpx`` is already a dependency, is actively kept, is async and
talks to Unix sockets natively. The few calls we need (create, start, inspect, wait, logs, pause,
remove, list, import) are a page of code.

How an instance runs (spec C):

* ``docker create`` + ``start`` of the function's image with CustomContainerConfig's command/args
  (``FunctionSpec.custom_command`` replaces the image's ENTRYPOINT+CMD when given), memory
  (``Memory`` = ``MemorySwap``: no swap) and CPU (``NanoCpus``) limits, the function's variables plus
  FC's (spec B.8), labels ``rosengine.backend=<hash of the state dir>`` and
  ``rosengine.instance=<id>`` so that :meth:`DockerDriver.reap_orphans` can remove whatever a
  crashed backend left behind.
* The instance is reached at the container's IP on the bridge network (no ``docker-proxy`` process
  per container, which costs start time, and a refused connection really means "not listening").
  Where the bridge is not routable from the backend (Docker Desktop), ``address_mode="published"``
  publishes CAPort on 127.0.0.1 with a random host port instead.
* Ready = the CA port accepts connections, or the health check passes when one is configured
  (:mod:`fcbackend.instances.health`, which also marks an instance unhealthy later). A container
  that exits while starting fails the start with its last log lines; nothing is left behind.
* Requests use the FC custom-runtime protocol over keep-alive HTTP/1.1
  (:class:`fcbackend.instances.ca_client.CaClient`). A container that dies during a request raises
  :class:`InstanceCrashed` (``oom`` from Docker's ``OOMKilled``).
* ``webServerMode=false``: run-to-completion. Every invocation runs a fresh container of the image;
  exit code 0 = success, stdout = the result, stderr = the log. The event is given as a read-only
  file at ``/var/fc/event`` (``FC_EVENT_PATH``) and the request id in ``FC_REQUEST_ID``
  (UNCONFIRMED: FC documents no event channel for this mode).
* GPU functions reserve GPU memory on a device (:mod:`fcbackend.gpu`) before anything is created.
  With the NVIDIA container toolkit the container gets the device through ``DeviceRequests``;
  without it the driver applies :func:`fcbackend.gpu.mount_plan` (device nodes + driver
  libraries). GPU instances carry ``keep_warm = True``.
* Built-in runtimes run in the images ``ros fc images build`` makes, code bound read-only at
  ``/code``, layers at ``/opt`` and the runtime's bootstrap program as the command. The bootstrap
  listens on a Unix socket in a host directory bound at ``/var/fc/sock`` (no port, no network
  needed) and is specialised with the function's handler and environment, as in a sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import shutil
import struct
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from fcbackend.instances.ca_client import CaClient, ConnectionLost
from fcbackend.instances.driver import (
    Instance,
    InstanceCrashed,
    InstanceDriver,
    InstanceStartError,
    InstanceStats,
)
from fcbackend.instances.health import STARTUP_DEADLINE_S, HealthMonitor, poll_until, status_passes
from fcbackend.models import FunctionSpec, GpuRequest, InstanceRequest, InstanceResponse

API_VERSION = "v1.41"
DEFAULT_SOCKET = "/var/run/docker.sock"
LABEL_BACKEND = "rosengine.backend"
LABEL_INSTANCE = "rosengine.instance"
LABEL_FUNCTION = "rosengine.function"
EVENT_PATH_IN_CONTAINER = "/var/fc/event"
SOCKET_DIR_IN_CONTAINER = "/var/fc/sock"
SPECIALISE_PATH = "/__rosengine/specialise"
CUSTOM_CONTAINER_RUNTIME = "custom-container"
_LOG_LIMIT_BYTES = 1024 * 1024


# --------------------------------------------------------------------------- Docker Engine API


class DockerError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"Docker Engine API {status}: {message}")
        self.status = status
        self.message = message


def docker_socket_path() -> str:
    """The Engine socket: ``DOCKER_HOST=unix://...`` when set, else /var/run/docker.sock."""
    host = os.environ.get("DOCKER_HOST", "")
    if host.startswith("unix://"):
        return host[len("unix://"):]
    return DEFAULT_SOCKET


class DockerEngine:
    """A thin async client of the Docker Engine API over its Unix socket."""

    def __init__(self, socket_path: str | None = None):
        self.socket_path = socket_path or docker_socket_path()
        self._client = httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(uds=self.socket_path),
            base_url=f"http://docker/{API_VERSION}",
            timeout=httpx.Timeout(60.0, connect=5.0),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=32),
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def call(self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201, 204, 304),
                   timeout: float | None = 60.0, **kwargs: Any) -> Any:
        try:
            response = await self._client.request(method, path, timeout=timeout, **kwargs)
        except httpx.TransportError as exc:
            raise DockerError(0, f"cannot reach dockerd at {self.socket_path}: {exc}") from exc
        if response.status_code not in ok:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise DockerError(response.status_code, message.strip())
        if not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    async def ping(self) -> bool:
        try:
            await self.call("GET", "/_ping", timeout=3.0)
            return True
        except DockerError:
            return False

    async def info(self) -> dict[str, Any]:
        return await self.call("GET", "/info")

    async def create_container(self, name: str, config: dict[str, Any]) -> str:
        created = await self.call("POST", "/containers/create", params={"name": name}, json=config)
        return created["Id"]

    async def start_container(self, container_id: str) -> None:
        await self.call("POST", f"/containers/{container_id}/start")

    async def inspect_container(self, container_id: str) -> dict[str, Any]:
        return await self.call("GET", f"/containers/{container_id}/json")

    async def wait_container(self, container_id: str, timeout: float | None = None) -> int:
        """Block until the container stops; its exit code."""
        result = await self.call("POST", f"/containers/{container_id}/wait", timeout=timeout)
        return int(result.get("StatusCode", -1))

    async def kill_container(self, container_id: str) -> None:
        with contextlib.suppress(DockerError):
            await self.call("POST", f"/containers/{container_id}/kill")

    async def remove_container(self, container_id: str) -> None:
        with contextlib.suppress(DockerError):
            await self.call("DELETE", f"/containers/{container_id}", params={"force": "true", "v": "true"},
                            ok=(200, 204, 404))

    async def pause_container(self, container_id: str) -> None:
        await self.call("POST", f"/containers/{container_id}/pause")

    async def unpause_container(self, container_id: str) -> None:
        await self.call("POST", f"/containers/{container_id}/unpause")

    async def list_containers(self, labels: dict[str, str]) -> list[dict[str, Any]]:
        filters = json.dumps({"label": [f"{k}={v}" for k, v in labels.items()]})
        return await self.call("GET", "/containers/json", params={"all": "true", "filters": filters})

    async def inspect_image(self, image: str) -> dict[str, Any] | None:
        try:
            return await self.call("GET", f"/images/{image}/json")
        except DockerError as exc:
            if exc.status == 404:
                return None
            raise

    async def list_images(self, label: str) -> list[dict[str, Any]]:
        return await self.call("GET", "/images/json", params={"filters": json.dumps({"label": [label]})})

    async def pull_image(self, image: str, timeout: float) -> None:
        name, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "latest")
        await self.call("POST", "/images/create", params={"fromImage": name, "tag": tag}, timeout=timeout)
        if await self.inspect_image(image) is None:
            raise DockerError(404, f"pull of {image} finished but the image is not there")

    async def logs(self, container_id: str, *, follow: bool) -> AsyncIterator[tuple[int, bytes]]:
        """(stream, bytes) frames of a non-TTY container's output: stream 1 = stdout, 2 = stderr."""
        params = {"stdout": "true", "stderr": "true", "follow": "true" if follow else "false"}
        async with self._client.stream("GET", f"/containers/{container_id}/logs", params=params,
                                       timeout=None) as response:
            if response.status_code != 200:
                return
            buffer = b""
            async for chunk in response.aiter_raw():
                buffer += chunk
                while len(buffer) >= 8:
                    stream, size = buffer[0], struct.unpack(">I", buffer[4:8])[0]
                    if len(buffer) < 8 + size:
                        break
                    yield stream, buffer[8:8 + size]
                    buffer = buffer[8 + size:]


# --------------------------------------------------------------------------- helpers


def backend_label(state_dir: Path) -> str:
    """The value of ``rosengine.backend``: a short hash of the resolved state directory, so two
    backends on one machine (two ROS_HOMEs) never reap each other's containers."""
    return hashlib.sha256(str(Path(state_dir).expanduser().resolve()).encode()).hexdigest()[:16]


def container_name(backend: str, instance_id: str) -> str:
    return "rosengine-" + re.sub(r"[^a-zA-Z0-9_.-]", "-", f"{backend[:8]}-{instance_id}")[:120]


def fc_environment(spec: FunctionSpec, instance_id: str) -> dict[str, str]:
    """The variables FC sets in an instance (spec B.8), then the function's own (which cannot
    override reserved ``FC_`` names: those win)."""
    key_id, secret, token = spec.credentials
    platform = {
        "FC_FUNC_CODE_PATH": "/code/",
        "FC_ACCOUNT_ID": spec.account_id,
        "FC_REGION": spec.region,
        "FC_SERVICE_NAME": spec.service,
        "FC_FUNCTION_NAME": spec.function,
        "FC_FUNCTION_HANDLER": spec.handler,
        "FC_HANDLER": spec.handler,
        "FC_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "FC_MEMORY_SIZE": str(spec.memory_mb),
        "FC_TIMEOUT": str(int(spec.timeout_s)),
        "FC_QUALIFIER": spec.qualifier or "LATEST",
        "FC_VER_ID": spec.version_id,
        "FC_FUNCTION_VERSION": spec.version_id,
        "FC_INSTANCE_ID": instance_id,
        "FC_CUSTOM_LISTEN_PORT": str(spec.ca_port),
        "FC_SERVER_PORT": str(spec.ca_port),
        "FC_SERVICE_LOG_PROJECT": spec.log_project,
        "FC_SERVICE_LOG_STORE": spec.log_store,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret,
        "ALIBABA_CLOUD_SECURITY_TOKEN": token,
        "PYTHONUNBUFFERED": "1",
    }
    if spec.initializer:
        platform["FC_INITIALIZER"] = spec.initializer
        platform["FC_INITIALIZATION_TIMEOUT"] = str(int(spec.initialization_timeout_s))
    env = {k: v for k, v in spec.environment if not k.startswith("FC_")}
    env.update(platform)
    return env


def protocol_headers(spec: FunctionSpec, req: InstanceRequest) -> dict[str, str]:
    """The ``x-fc-*`` headers FC sends with every request (spec C.2), then the request's own."""
    key_id, secret, token = spec.credentials
    headers = {
        "x-fc-function-handler": spec.handler,
        "x-fc-function-memory": str(spec.memory_mb),
        "x-fc-function-timeout": str(int(spec.timeout_s)),
        "x-fc-function-initializer": spec.initializer or "",
        "x-fc-initialization-timeout": str(int(spec.initialization_timeout_s)),
        "x-fc-instance-lifecycle-pre-stop-handler": spec.pre_stop_handler or "",
        "x-fc-instance-lifecycle-pre-freeze-handler": spec.pre_freeze_handler or "",
        "x-fc-region": spec.region,
        "x-fc-account-id": spec.account_id,
        "x-fc-qualifier": spec.qualifier or "LATEST",
        "x-fc-version-id": spec.version_id,
        "x-fc-function-name": spec.function,
        "x-fc-service-name": spec.service,
        "x-fc-service-logproject": spec.log_project,
        "x-fc-service-logstore": spec.log_store,
        "x-fc-access-key-id": key_id,
        "x-fc-access-key-secret": secret,
        "x-fc-security-token": token,
        "x-fc-retry-count": "1",
    }
    if req.control_path == "/invoke":
        headers["content-type"] = "application/octet-stream"
    headers.update(req.headers)
    headers["x-fc-control-path"] = req.control_path
    return headers


async def _published_port_serves(host: str, port: int, grace_s: float = 0.05) -> bool:
    """Whether the server behind a *published* port listens. docker-proxy accepts every connection
    itself and closes it at once when the container's port refuses, so "connect succeeded" proves
    nothing; a connection that stays open for ``grace_s`` does."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    try:
        return await asyncio.wait_for(reader.read(1), grace_s) != b""
    except TimeoutError:
        return True
    except OSError:
        return False
    finally:
        writer.close()


def specialise_config(spec: FunctionSpec, instance_id: str) -> dict[str, Any]:
    """What ``fcbackend/runtimes/python_bootstrap.py`` needs to become this function's instance."""
    if spec.runtime.startswith("custom"):
        mode = "custom"
    elif spec.runtime == "python2.7":
        mode = "python2"
    else:
        mode = "python"
    return {
        "mode": mode,
        "runtime": spec.runtime,
        "env": fc_environment(spec, instance_id),
        "code_dir": "/code",
        "opt_dirs": ["/opt"] if spec.layer_dirs else [],
        "handler": spec.handler,
        "initializer": spec.initializer or "",
        "pre_stop": spec.pre_stop_handler or "",
        "pre_freeze": spec.pre_freeze_handler or "",
        "command": list(spec.custom_command),
        "ca_port": spec.ca_port,
        "region": spec.region,
        "account_id": spec.account_id,
        "function": {"name": spec.function, "handler": spec.handler, "memory": spec.memory_mb,
                     "timeout": spec.timeout_s, "initializer": spec.initializer or "",
                     "initialization_timeout": spec.initialization_timeout_s},
        "service": {"name": spec.service, "log_project": spec.log_project, "log_store": spec.log_store,
                    "qualifier": spec.qualifier or "LATEST", "version_id": spec.version_id},
    }


class _ContainerCgroup:
    """Memory/CPU figures straight from the container's cgroup (Docker's stats endpoint takes a
    second or more per call). cgroup v1 (cgroupfs driver) and v2 (systemd scope) layouts."""

    def __init__(self, container_id: str, root: str = "/sys/fs/cgroup"):
        v1 = Path(root, "memory", "docker", container_id)
        v2_candidates = [Path(root, "system.slice", f"docker-{container_id}.scope"), Path(root, "docker", container_id)]
        self.v1 = v1 if v1.is_dir() else None
        self.v2 = next((p for p in v2_candidates if (p / "memory.current").exists()), None)
        self.cpu_v1 = Path(root, "cpuacct", "docker", container_id, "cpuacct.usage")

    @staticmethod
    def _read_int(path: Path) -> int:
        try:
            return int(path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def stats(self) -> InstanceStats:
        if self.v1 is not None:
            return InstanceStats(
                memory_peak_bytes=self._read_int(self.v1 / "memory.max_usage_in_bytes"),
                memory_current_bytes=self._read_int(self.v1 / "memory.usage_in_bytes"),
                cpu_seconds=self._read_int(self.cpu_v1) / 1e9,
            )
        if self.v2 is not None:
            cpu_usec = 0
            with contextlib.suppress(OSError):
                for line in (self.v2 / "cpu.stat").read_text().splitlines():
                    if line.startswith("usage_usec"):
                        cpu_usec = int(line.split()[1])
            return InstanceStats(
                memory_peak_bytes=self._read_int(self.v2 / "memory.peak"),
                memory_current_bytes=self._read_int(self.v2 / "memory.current"),
                cpu_seconds=cpu_usec / 1e6,
            )
        return InstanceStats()

    def reset_peak(self) -> None:
        with contextlib.suppress(OSError):
            if self.v1 is not None:
                (self.v1 / "memory.max_usage_in_bytes").write_text("0")
            elif self.v2 is not None:
                (self.v2 / "memory.peak").write_text("0")


# --------------------------------------------------------------------------- instances


class DockerInstance(Instance):
    """A long-running container serving the CA protocol (webServerMode=true, built-in runtimes)."""

    driver_name = "docker"

    def __init__(self, driver: DockerDriver, spec: FunctionSpec, instance_id: str, container_id: str):
        self.id = instance_id
        self.spec = spec
        self.container_id = container_id
        self.keep_warm = spec.gpu is not None
        self.gpu_assignment: Any = None
        self.health: HealthMonitor | None = None
        self.address: tuple[str, int] = ("", 0)
        self._driver = driver
        self._client: CaClient | None = None
        self.socket_dir: Path | None = None  # built-in runtimes: host side of /var/fc/sock
        self._exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._logs = bytearray()
        self._tasks: list[asyncio.Task[Any]] = []
        self._cgroup = _ContainerCgroup(container_id)
        self._stopped = False

    # -- lifecycle -------------------------------------------------------------------------
    def watch(self) -> None:
        """Follow the container's exit and output in the background."""
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._wait_exit(), name=f"docker-wait-{self.id}"))
        self._tasks.append(loop.create_task(self._follow_logs(), name=f"docker-logs-{self.id}"))

    async def _wait_exit(self) -> None:
        try:
            code = await self._driver.engine.wait_container(self.container_id, timeout=None)
        except DockerError:
            code = -1
        if not self._exited.done():
            self._exited.set_result(code)

    async def _follow_logs(self) -> None:
        with contextlib.suppress(DockerError, httpx.HTTPError):
            async for _, data in self._driver.engine.logs(self.container_id, follow=True):
                self._logs += data
                if len(self._logs) > _LOG_LIMIT_BYTES:
                    del self._logs[: len(self._logs) - _LOG_LIMIT_BYTES]

    async def wait_ready(self, deadline: float) -> None:
        """Return once the CA accepts connections (or the health check passes); raise
        :class:`InstanceStartError` if the container exits or the deadline passes first."""
        assert self._client is not None
        client = self._client

        async def connectable() -> bool:
            if self.socket_dir is not None and not (self.socket_dir / "ca.sock").exists():
                return False
            if self._driver.address_mode == "published":
                return await _published_port_serves(*self.address)
            try:
                await client.wait_ready(0)
                return True
            except ConnectionLost:
                return False

        if self.spec.health_check is not None and self.socket_dir is None:
            self.health = HealthMonitor(self.spec.health_check, self._probe, on_unhealthy=self._on_unhealthy)
            waiting = asyncio.ensure_future(self.health.wait_ready(deadline))
        else:
            waiting = asyncio.ensure_future(poll_until(connectable, deadline=deadline))
        done, _ = await asyncio.wait({waiting, self._exited}, return_when=asyncio.FIRST_COMPLETED)
        if self._exited in done and not (waiting in done and waiting.result()):
            waiting.cancel()
            raise await self._exit_error()
        if not waiting.result():
            what = (f"health check GET {self.spec.health_check.http_get_url} did not pass"
                    if self.spec.health_check else f"nothing listened on 0.0.0.0:{self.spec.ca_port} (CAPort)")
            raise InstanceStartError(
                f"The CA's http server cannot be started: {what} within the start-up deadline "
                f"for {self.spec.service}/{self.spec.function}")
        if self.health is not None:
            self.health.start()

    async def _exit_error(self) -> InstanceStartError:
        await asyncio.sleep(0)  # let the log follower take the last lines
        tail = bytes(self._logs[-2000:]).decode(errors="replace").strip()
        return InstanceStartError(
            f"container of {self.spec.service}/{self.spec.function} exited with code "
            f"{self._exited.result()} before its server listened on port {self.spec.ca_port}"
            + (f"; last output:\n{tail}" if tail else ""))

    async def exit_error_if_exited(self, timeout: float) -> InstanceStartError | None:
        """The start-up error of a container that has already exited (it then has no address),
        waiting up to ``timeout`` for Docker to report the exit; None if it is still running."""
        try:
            await asyncio.wait_for(asyncio.shield(self._exited), timeout)
        except TimeoutError:
            return None
        return await self._exit_error()

    async def specialise(self, deadline: float) -> None:
        """Turn a built-in runtime's generic bootstrap into this function's instance."""
        assert self._client is not None
        body = json.dumps(specialise_config(self.spec, self.id)).encode()
        timeout = max(1.0, deadline - time.monotonic())
        try:
            response = await self._client.request(
                InstanceRequest("POST", SPECIALISE_PATH, body=body, control_path=SPECIALISE_PATH), timeout)
        except (ConnectionLost, TimeoutError) as exc:
            raise InstanceStartError(f"the runtime bootstrap of {self.spec.function} did not answer: {exc}") from exc
        if response.status != 200:
            raise InstanceStartError(
                f"the runtime bootstrap refused {self.spec.function}: {response.body.decode(errors='replace')[:500]}",
                response.headers.get("x-fc-error-type", "FunctionNotStarted"))

    async def _probe(self, path: str, timeout: float) -> bool:
        client = CaClient.tcp(*self.address)
        try:
            response = await client.request(InstanceRequest("GET", path or "/", control_path="/health-check"),
                                            timeout, close_after=True)
            return status_passes(response.status)
        except ConnectionLost:
            return False
        finally:
            await client.close()

    async def _on_unhealthy(self) -> None:
        """Replacement is the scheduler's job (it sees ``healthy`` False); we only note it in the
        instance's log so users see why their instance went away."""
        self._logs += f"rosengine: instance {self.id} failed its health check; it gets no new requests\n".encode()

    @property
    def healthy(self) -> bool:
        return self.alive() and (self.health is None or self.health.healthy)

    def alive(self) -> bool:
        return not self._stopped and not self._exited.done()

    async def request(self, req: InstanceRequest, timeout: float) -> InstanceResponse:
        if self._client is None or not self.alive():
            raise await self._crash_reason()
        outgoing = InstanceRequest(method=req.method, path=req.path, headers=protocol_headers(self.spec, req),
                                   body=req.body, control_path=req.control_path, query=req.query)
        call = asyncio.ensure_future(self._client.request(outgoing))
        done, _ = await asyncio.wait({call, self._exited}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if call in done:
            try:
                return call.result()
            except (ConnectionLost, OSError, asyncio.IncompleteReadError) as exc:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._exited), 2.0)
                raise await self._crash_reason(str(exc)) from exc
        call.cancel()
        if self._exited.done():
            raise await self._crash_reason()
        raise TimeoutError(f"instance {self.id} did not answer within {timeout:g} s")

    async def _crash_reason(self, detail: str = "") -> InstanceCrashed:
        if self._stopped:
            return InstanceCrashed("the instance was stopped")
        try:
            state = (await self._driver.engine.inspect_container(self.container_id)).get("State", {})
        except DockerError:
            state = {}
        oom = bool(state.get("OOMKilled"))
        code = state.get("ExitCode") if not state.get("Running") else None
        if oom:
            reason = f"the instance ran out of memory (limit {self.spec.memory_mb} MB) and was killed"
        elif code is not None:
            reason = f"the instance's container exited with code {code}"
        else:
            reason = f"the connection to the instance broke: {detail or 'closed'}"
        return InstanceCrashed(reason, oom=oom, exit_code=code)

    async def stop(self, graceful: bool = True) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.health is not None:
            await self.health.stop()
        if self._client is not None:
            await self._client.close()
        await self._driver.engine.remove_container(self.container_id)
        if self.socket_dir is not None:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._driver.forget(self)

    def stats(self) -> InstanceStats:
        return self._cgroup.stats()

    def reset_peak(self) -> None:
        self._cgroup.reset_peak()

    async def freeze(self) -> bool:
        try:
            await self._driver.engine.pause_container(self.container_id)
            return True
        except DockerError:
            return False

    async def thaw(self) -> None:
        with contextlib.suppress(DockerError):
            await self._driver.engine.unpause_container(self.container_id)

    def take_logs(self) -> bytes:
        data = bytes(self._logs)
        self._logs.clear()
        return data


class RunToCompletionInstance(Instance):
    """webServerMode=false: each invocation runs the image to completion in a new container."""

    driver_name = "docker"

    def __init__(self, driver: DockerDriver, spec: FunctionSpec, instance_id: str, config: dict[str, Any]):
        self.id = instance_id
        self.spec = spec
        self.keep_warm = spec.gpu is not None
        self._driver = driver
        self._config = config
        self._stopped = False
        self._running: set[str] = set()
        self._logs = bytearray()
        self._calls = 0
        self.gpu_assignment: Any = None

    def alive(self) -> bool:
        return not self._stopped

    async def request(self, req: InstanceRequest, timeout: float) -> InstanceResponse:
        if self._stopped:
            raise InstanceCrashed("the instance was stopped")
        if req.control_path != "/invoke" and req.control_path != "/http-invoke":
            return InstanceResponse(status=200, headers={}, body=b"")  # no hooks in this mode
        self._calls += 1
        request_id = req.headers.get("x-fc-request-id", f"{self.id}-{self._calls}")
        with tempfile.TemporaryDirectory(prefix="rosengine-event-") as scratch:
            event_file = Path(scratch, "event")
            event_file.write_bytes(req.body)
            event_file.chmod(0o644)
            config = json.loads(json.dumps(self._config))
            config["Env"] = [*config.get("Env", []), f"FC_REQUEST_ID={request_id}",
                             f"FC_EVENT_PATH={EVENT_PATH_IN_CONTAINER}"]
            config["HostConfig"].setdefault("Binds", []).append(f"{event_file}:{EVENT_PATH_IN_CONTAINER}:ro")
            engine = self._driver.engine
            name = container_name(self._driver.backend, f"{self.id}-run{self._calls}")
            container_id = await engine.create_container(name, config)
            self._running.add(container_id)
            try:
                await engine.start_container(container_id)
                try:
                    code = await asyncio.wait_for(engine.wait_container(container_id, timeout=None), timeout)
                except TimeoutError:
                    await engine.kill_container(container_id)
                    raise TimeoutError(f"the container did not finish within {timeout:g} s") from None
                stdout, stderr = bytearray(), bytearray()
                async for stream, data in engine.logs(container_id, follow=False):
                    (stdout if stream == 1 else stderr).extend(data)
                state = (await engine.inspect_container(container_id)).get("State", {})
            finally:
                self._running.discard(container_id)
                await engine.remove_container(container_id)
        self._logs += stderr
        if state.get("OOMKilled"):
            raise InstanceCrashed(f"the container ran out of memory (limit {self.spec.memory_mb} MB)",
                                  oom=True, exit_code=code)
        if code == 0:
            return InstanceResponse(status=200, headers={"x-fc-status": "200"}, body=bytes(stdout))
        body = bytes(stderr or stdout) or f"the container exited with code {code}".encode()
        return InstanceResponse(status=404, headers={"x-fc-status": "404", "x-fc-exit-code": str(code)}, body=body)

    async def stop(self, graceful: bool = True) -> None:
        self._stopped = True
        for container_id in list(self._running):
            await self._driver.engine.remove_container(container_id)
        self._driver.forget(self)

    def take_logs(self) -> bytes:
        data = bytes(self._logs)
        self._logs.clear()
        return data


# --------------------------------------------------------------------------- the driver


RuntimeImageResolver = Callable[[str], tuple[str, list[str], list[str]] | None]


class DockerDriver(InstanceDriver):
    """Starts instances as Docker containers. ``state_dir`` identifies this backend (labels);
    ``gpu_allocator`` defaults to one over the machine's GPUs, created on the first GPU function;
    ``runtime_images`` maps a built-in runtime to (image, command, binds) — by default the images
    of :mod:`fcbackend.images`."""

    name = "docker"

    def __init__(
        self,
        state_dir: Path,
        *,
        socket_path: str | None = None,
        address_mode: str = "auto",
        gpu_allocator: Any = None,
        runtime_images: RuntimeImageResolver | None = None,
        startup_timeout_s: float = STARTUP_DEADLINE_S,
        pull_missing_images: bool = True,
    ):
        if address_mode not in ("auto", "bridge", "published"):
            raise ValueError(f"address_mode must be auto, bridge or published, not {address_mode!r}")
        self.state_dir = Path(state_dir)
        self.backend = backend_label(self.state_dir)
        self.socket_path = socket_path or docker_socket_path()
        self.address_mode = address_mode
        self.startup_timeout_s = startup_timeout_s
        self.pull_missing_images = pull_missing_images
        self._gpu_allocator = gpu_allocator
        self._runtime_images = runtime_images
        self._engine: DockerEngine | None = None
        self._instances: dict[str, Instance] = {}
        self._gpu_passthrough: str | None = None

    @property
    def engine(self) -> DockerEngine:
        if self._engine is None:
            self._engine = DockerEngine(self.socket_path)
        return self._engine

    def available(self) -> tuple[bool, str]:
        if not os.path.exists(self.socket_path):
            return False, f"no Docker engine socket at {self.socket_path} (is dockerd running?)"
        import socket

        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(2)
            try:
                probe.connect(self.socket_path)
                probe.sendall(f"GET /{API_VERSION}/_ping HTTP/1.0\r\n\r\n".encode())
                answer = probe.recv(64)
            except OSError as exc:
                return False, f"cannot talk to dockerd at {self.socket_path}: {exc}"
        if b" 200 " not in answer:
            return False, f"dockerd at {self.socket_path} answered {answer[:40]!r}"
        return True, "functions run in Docker containers"

    def instances(self) -> list[Instance]:
        return list(self._instances.values())

    def forget(self, instance: Instance) -> None:
        self._instances.pop(instance.id, None)
        if self._gpu_allocator is not None:
            self._gpu_allocator.release(instance.id)

    # -- start --------------------------------------------------------------------------------
    async def start(self, spec: FunctionSpec, instance_id: str) -> Instance:
        image, command, binds = await self._image_for(spec)
        socket_dir: Path | None = None
        if spec.runtime != CUSTOM_CONTAINER_RUNTIME:
            socket_dir = self.state_dir / "docker-sockets" / re.sub(r"[^a-zA-Z0-9_.-]", "-", instance_id)
            socket_dir.mkdir(parents=True, exist_ok=True)
            binds.append(f"{socket_dir}:{SOCKET_DIR_IN_CONTAINER}")
            command = [*command, f"{SOCKET_DIR_IN_CONTAINER}/ca.sock"]
        gpu = self._gpu_request(spec)
        assignment = None
        if gpu is not None:
            assignment = self._allocator().allocate(instance_id, gpu, function=f"{spec.service}/{spec.function}")
        try:
            config = await self._container_config(spec, instance_id, image, command, binds, assignment)
            if not spec.web_server_mode and spec.runtime == CUSTOM_CONTAINER_RUNTIME:
                await self._ensure_image(image)
                job = RunToCompletionInstance(self, spec, instance_id, config)
                job.gpu_assignment = assignment
                self._instances[instance_id] = job
                return job
            return await self._start_server(spec, instance_id, image, config, assignment, socket_dir)
        except BaseException:
            if assignment is not None:
                self._allocator().release(instance_id)
            if socket_dir is not None:
                shutil.rmtree(socket_dir, ignore_errors=True)
            raise

    async def _start_server(self, spec: FunctionSpec, instance_id: str, image: str, config: dict[str, Any],
                            assignment: Any, socket_dir: Path | None) -> DockerInstance:
        deadline = time.monotonic() + self.startup_timeout_s
        name = container_name(self.backend, instance_id)
        container_id = await self._create(name, image, config)
        instance = DockerInstance(self, spec, instance_id, container_id)
        instance.gpu_assignment = assignment
        instance.socket_dir = socket_dir
        self._instances[instance_id] = instance
        try:
            try:
                await self.engine.start_container(container_id)
            except DockerError as exc:
                raise InstanceStartError(f"Docker could not start the container of {spec.service}/"
                                         f"{spec.function}: {exc.message}") from exc
            instance.watch()
            if socket_dir is not None:
                instance._client = CaClient.unix(str(socket_dir / "ca.sock"))
            else:
                try:
                    instance.address = await self._address(container_id, spec.ca_port)
                except InstanceStartError:
                    # A container that exits at once has no address: report its exit instead.
                    exited = await instance.exit_error_if_exited(timeout=5.0)
                    if exited is not None:
                        raise exited from None
                    raise
                instance._client = CaClient.tcp(*instance.address)
            await instance.wait_ready(deadline)
            if socket_dir is not None:
                await instance.specialise(deadline)
        except BaseException:
            await instance.stop(graceful=False)
            raise
        return instance

    async def _create(self, name: str, image: str, config: dict[str, Any]) -> str:
        try:
            return await self.engine.create_container(name, config)
        except DockerError as exc:
            if exc.status == 409:  # a leftover with our name (crash between create and record)
                await self.engine.remove_container(name)
                return await self.engine.create_container(name, config)
            if exc.status != 404:
                raise InstanceStartError(f"Docker could not create a container from {image}: {exc.message}") from exc
        await self._ensure_image(image)
        return await self.engine.create_container(name, config)

    async def _ensure_image(self, image: str) -> None:
        if await self.engine.inspect_image(image) is not None:
            return
        hint = "build it locally (docker build / docker import) or load it (docker load)"
        if image.startswith("rosengine/runtime-"):
            hint = "build it with `ros fc images build`"
        if not self.pull_missing_images:
            raise InstanceStartError(f"image {image!r} is not present locally; {hint}")
        try:
            await self.engine.pull_image(image, timeout=300)
        except DockerError as exc:
            raise InstanceStartError(
                f"image {image!r} is not present locally and pulling it failed ({exc.message}); {hint}") from exc

    async def _address(self, container_id: str, port: int) -> tuple[str, int]:
        details = await self.engine.inspect_container(container_id)
        network = details.get("NetworkSettings") or {}
        if self.address_mode != "published":
            ip = network.get("IPAddress") or next(
                (n.get("IPAddress") for n in (network.get("Networks") or {}).values() if n.get("IPAddress")), "")
            if ip:
                return ip, port
        bindings = (network.get("Ports") or {}).get(f"{port}/tcp") or []
        for binding in bindings:
            if binding.get("HostPort"):
                return binding.get("HostIp") or "127.0.0.1", int(binding["HostPort"])
        raise InstanceStartError(f"container {container_id[:12]} has no reachable address for port {port}")

    async def _container_config(self, spec: FunctionSpec, instance_id: str, image: str, command: list[str],
                                binds: list[str], assignment: Any) -> dict[str, Any]:
        env = fc_environment(spec, instance_id)
        host_config: dict[str, Any] = {
            "Memory": spec.memory_mb * 1024 * 1024,
            "MemorySwap": spec.memory_mb * 1024 * 1024,
            "PidsLimit": 1024,
            "Binds": list(binds),
        }
        if spec.cpu:
            host_config["NanoCpus"] = int(spec.cpu * 1e9)
        port_key = f"{spec.ca_port}/tcp"
        if self.address_mode == "published":
            host_config["PortBindings"] = {port_key: [{"HostIp": "127.0.0.1", "HostPort": ""}]}
        if assignment is not None:
            env.update(await self._gpu_host_config(assignment, host_config))
        config: dict[str, Any] = {
            "Image": image,
            "Env": [f"{k}={v}" for k, v in env.items()],
            "Labels": {LABEL_BACKEND: self.backend, LABEL_INSTANCE: instance_id,
                       LABEL_FUNCTION: f"{spec.service}/{spec.function}"},
            "ExposedPorts": {port_key: {}},
            "HostConfig": host_config,
        }
        if command:
            config["Entrypoint"] = list(command)
            config["Cmd"] = []
        return config

    # -- GPU ----------------------------------------------------------------------------------
    @staticmethod
    def _gpu_request(spec: FunctionSpec) -> GpuRequest | None:
        from fcbackend.gpu.placement import is_gpu_instance_type

        if spec.gpu is not None:
            return spec.gpu
        if is_gpu_instance_type(spec.instance_type):
            return GpuRequest(memory_mb=0, instance_type=spec.instance_type)
        return None

    def _allocator(self) -> Any:
        if self._gpu_allocator is None:
            from fcbackend.gpu.placement import GpuAllocator

            self._gpu_allocator = GpuAllocator()
        return self._gpu_allocator

    async def _gpu_host_config(self, assignment: Any, host_config: dict[str, Any]) -> dict[str, str]:
        """Give the container the assigned device; returns extra environment."""
        if self._gpu_passthrough is None:
            runtimes = (await self.engine.info()).get("Runtimes") or {}
            toolkit = "nvidia" in runtimes or shutil.which("nvidia-container-runtime-hook") is not None
            self._gpu_passthrough = "toolkit" if toolkit else "mounts"
        uuid = assignment.device.uuid
        if self._gpu_passthrough == "toolkit":
            host_config["DeviceRequests"] = [{"Driver": "nvidia", "DeviceIDs": [uuid], "Capabilities": [["gpu"]]}]
            return {"NVIDIA_VISIBLE_DEVICES": uuid, "CUDA_VISIBLE_DEVICES": uuid,
                    "NVIDIA_DRIVER_CAPABILITIES": "compute,utility", "FC_GPU_MEMORY_SIZE": str(assignment.memory_mb)}
        from fcbackend.gpu.mounts import mount_plan

        plan = mount_plan(assignment)
        host_config["Devices"] = [{"PathOnHost": d, "PathInContainer": d, "CgroupPermissions": "rwm"}
                                  for d in plan.devices]
        host_config["Binds"] += [f"{src}:{dst}:ro" for src, dst, ro in plan.binds if src not in plan.devices]
        env = dict(plan.env)
        env["LD_LIBRARY_PATH"] = f"{env['LD_LIBRARY_PATH']}:/usr/local/lib:/usr/lib"
        env["PATH"] = f"{env['PATH']}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return env

    # -- images -------------------------------------------------------------------------------
    async def _image_for(self, spec: FunctionSpec) -> tuple[str, list[str], list[str]]:
        if spec.runtime == CUSTOM_CONTAINER_RUNTIME:
            if not spec.image:
                raise InstanceStartError(
                    f"{spec.service}/{spec.function} uses runtime custom-container but has no "
                    "CustomContainerConfig.Image")
            return spec.image, list(spec.custom_command), []
        resolver = self._runtime_images
        if resolver is None:
            from fcbackend.images import runtime_image_command

            resolver = runtime_image_command
        found = resolver(spec.runtime)
        if found is None:
            raise InstanceStartError(
                f"runtime {spec.runtime!r} has no Docker image; `ros fc images build` builds python3 and "
                "nodejs images", "FunctionNotStarted")
        image, command, binds = found
        binds = list(binds)
        if spec.code_dir is not None:
            binds.append(f"{Path(spec.code_dir).resolve()}:/code:ro")
        if spec.layer_dirs:
            binds.append(f"{self._merged_layers(spec.layer_dirs)}:/opt:ro")
        return image, command, binds

    def _merged_layers(self, layer_dirs: tuple[Path, ...]) -> Path:
        """One directory with the layers merged, the first listed winning (spec B.9); cached by
        the layers' paths, which are content-addressed."""
        key = hashlib.sha256("\0".join(str(p) for p in layer_dirs).encode()).hexdigest()[:16]
        merged = self.state_dir / "docker-layers" / key
        if merged.is_dir():
            return merged
        merged.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=merged.parent))
        for layer in reversed(layer_dirs):  # later layers first, so earlier ones overwrite them
            shutil.copytree(layer, staging, dirs_exist_ok=True, symlinks=True)
        with contextlib.suppress(OSError):
            staging.rename(merged)
        return merged if merged.is_dir() else staging

    # -- cleanup ------------------------------------------------------------------------------
    async def reap_orphans(self) -> int:
        """Remove every container labelled with this backend that no live instance owns (the
        leftovers of a backend that crashed or was killed)."""
        try:
            containers = await self.engine.list_containers({LABEL_BACKEND: self.backend})
        except DockerError:
            return 0
        owned = {getattr(i, "container_id", None) for i in self._instances.values()}
        reaped = 0
        for container in containers:
            if container["Id"] not in owned:
                await self.engine.remove_container(container["Id"])
                reaped += 1
        return reaped

    async def close(self) -> None:
        for instance in list(self._instances.values()):
            with contextlib.suppress(Exception):
                await instance.stop(graceful=False)
        if self._engine is not None:
            await self._engine.close()
            self._engine = None
