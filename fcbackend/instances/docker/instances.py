"""The two kinds of Docker instance (docs/reference/fc-runtime.md#custom-runtimes-and-containers).

* :class:`DockerInstance` — a long-running container serving the CA protocol (webServerMode=true,
  and built-in runtimes in images). Ready = the CA port accepts connections, or the health check
  passes when one is configured (:mod:`fcbackend.instances.health`, which also marks an instance
  unhealthy later). A container that exits while starting fails the start with its last log
  lines. Requests use the FC custom-runtime protocol over keep-alive HTTP/1.1
  (:class:`fcbackend.instances.ca_client.CaClient`); a container that dies during a request raises
  :class:`InstanceCrashed` (``oom`` from Docker's ``OOMKilled``). Without internet access the
  container has no network (``NetworkMode: none``) and is reached inside its own namespace
  (:mod:`fcbackend.instances.docker.netns`).
* :class:`RunToCompletionInstance` — webServerMode=false: every invocation runs a fresh container
  of the image; exit code 0 = success, stdout = the result, stderr = the log. The event is given as
  a read-only file at ``/var/fc/event`` (``FC_EVENT_PATH``) and the request id in
  ``FC_REQUEST_ID`` (UNCONFIRMED: FC documents no event channel for this mode).

Both are created by :class:`fcbackend.instances.docker.driver.DockerDriver`, whose Engine client
they use and which they tell when they stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from fcbackend.docker_engine import DockerError
from fcbackend.instances.ca_client import CaClient, ConnectionLost
from fcbackend.instances.docker.cgroup_stats import ContainerCgroup
from fcbackend.instances.docker.container_config import (
    EVENT_PATH_IN_CONTAINER,
    SPECIALISE_PATH,
    container_name,
    specialise_config,
)
from fcbackend.instances.docker.netns import ca_client_in
from fcbackend.instances.driver import Instance, InstanceCrashed, InstanceStats
from fcbackend.instances.health import HealthMonitor, poll_until, probe_once
from fcbackend.instances.network import NetworkAttachment
from fcbackend.models import FunctionSpec, InstanceRequest, InstanceResponse, InstanceStartError
from fcbackend.runtimes.fc_contract import common_headers

if TYPE_CHECKING:
    from fcbackend.instances.docker.driver import DockerDriver

_LOG_LIMIT_BYTES = 1024 * 1024


def protocol_headers(spec: FunctionSpec, req: InstanceRequest) -> dict[str, str]:
    """FC's ``x-fc-*`` headers (docs/reference/fc-runtime.md#requests-to-an-instance), then the request's own:
    requests from the scheduler already carry them; a request sent to the driver directly gets the same
    set."""
    headers = common_headers(spec, req.headers.get("x-fc-request-id", ""), req.control_path, retry_count=1)
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
        self.netns_fd: int | None = None  # internetAccess=false: the container's network namespace
        # The gateway's listeners inside the container's namespace (fcbackend.instances.network).
        self.network_attachment: NetworkAttachment | None = None
        self._exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._logs = bytearray()
        self._tasks: list[asyncio.Task[Any]] = []
        self._cgroup = ContainerCgroup(container_id)
        self._stopped = False

    # -- lifecycle -------------------------------------------------------------------------
    def connect(self, client: CaClient) -> None:
        """Use ``client`` to reach the CA; the driver knows the address only once started."""
        self._client = client

    def connect_in_netns(self, netns_fd: int) -> None:
        """Reach the CA at 127.0.0.1:CAPort inside the container's own network namespace (a
        container without network); the instance owns ``netns_fd`` from now on."""
        self.netns_fd = netns_fd
        self.connect(ca_client_in(netns_fd, self.spec.ca_port))

    def _new_client(self) -> CaClient:
        """A fresh client to the CA (health probes use one per probe)."""
        if self.netns_fd is not None:
            return ca_client_in(self.netns_fd, self.spec.ca_port)
        return CaClient.tcp(*self.address)

    def ca_client(self) -> CaClient | None:
        return self._client

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
            if self._driver.address_mode == "published" and self.netns_fd is None:
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
        racing: set[asyncio.Future[Any]] = {waiting, self._exited}
        done, _ = await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
        if self._exited in done and not (waiting in done and waiting.result()):
            waiting.cancel()
            raise await self._exit_error()
        if not waiting.result():
            what = (
                f"health check GET {self.spec.health_check.http_get_url} did not pass"
                if self.spec.health_check
                else f"nothing listened on 0.0.0.0:{self.spec.ca_port} (CAPort)"
            )
            raise InstanceStartError(
                f"The CA's http server cannot be started: {what} within the start-up deadline "
                f"for {self.spec.service}/{self.spec.function}"
            )
        if self.health is not None:
            self.health.start()

    async def _exit_error(self) -> InstanceStartError:
        tail = (await self._final_output())[-2000:].decode(errors="replace").strip()
        return InstanceStartError(
            f"container of {self.spec.service}/{self.spec.function} exited with code "
            f"{self._exited.result()} before its server listened on port {self.spec.ca_port}"
            + (f"; last output:\n{tail}" if tail else "")
        )

    async def _final_output(self) -> bytes:
        """The whole output of an exited container, read back from Docker (which keeps it until
        the container is removed). Why not what the follower collected: the follower may not have
        read the last lines yet when the exit is noticed, and those lines are the explanation."""
        collected = bytearray()
        try:
            async with asyncio.timeout(5):
                async for _, data in self._driver.engine.logs(self.container_id, follow=False):
                    collected += data
        except (DockerError, httpx.HTTPError, TimeoutError):
            return bytes(self._logs)
        return bytes(collected) or bytes(self._logs)

    async def exit_error_if_exited(self, timeout: float) -> InstanceStartError | None:
        """The start-up error of a container that has already exited (it then has no address),
        waiting up to ``timeout`` for Docker to report the exit; None if it is still running."""
        try:
            await asyncio.wait_for(asyncio.shield(self._exited), timeout)
        except TimeoutError:
            return None
        return await self._exit_error()

    async def exit_report(self, wait_s: float) -> InstanceCrashed | None:
        """Why the container stopped serving (its exit code, an OOM kill, as Docker reports
        them), once Docker says it exited, waiting up to ``wait_s`` for that; None while it still
        runs. For whoever saw a connection break without sending the request itself (a cluster
        node's agent, whose relay carried it)."""
        try:
            await asyncio.wait_for(asyncio.shield(self._exited), wait_s)
        except TimeoutError:
            return None
        return await self._crash_reason()

    async def specialise(self, deadline: float) -> None:
        """Turn a built-in runtime's generic bootstrap into this function's instance."""
        assert self._client is not None
        body = json.dumps(specialise_config(self.spec, self.id)).encode()
        timeout = max(1.0, deadline - time.monotonic())
        try:
            response = await self._client.request(
                InstanceRequest("POST", SPECIALISE_PATH, body=body, control_path=SPECIALISE_PATH), timeout
            )
        except (ConnectionLost, TimeoutError) as exc:
            raise InstanceStartError(
                f"the runtime bootstrap of {self.spec.function} did not answer: {exc}"
            ) from exc
        if response.status != 200:
            raise InstanceStartError(
                f"the runtime bootstrap refused {self.spec.function}: "
                f"{response.body.decode(errors='replace')[:500]}",
                response.headers.get("x-fc-error-type", "FunctionNotStarted"),
            )

    async def _probe(self, path: str, timeout: float) -> bool:
        return await probe_once(self._new_client(), path, timeout)

    async def _on_unhealthy(self) -> None:
        """Replacement is the scheduler's job (it sees ``healthy`` False); we only note it in the
        instance's log so users see why their instance went away."""
        self._logs += (
            f"rosengine: instance {self.id} failed its health check; it gets no new requests\n".encode()
        )

    @property
    def healthy(self) -> bool:
        return self.alive() and (self.health is None or self.health.healthy)

    def alive(self) -> bool:
        return not self._stopped and not self._exited.done()

    async def request(self, req: InstanceRequest, timeout: float) -> InstanceResponse:
        if self._client is None or not self.alive():
            raise await self._crash_reason()
        if req.static_head:  # from the scheduler: the x-fc-* set is complete already
            outgoing = req
        else:
            outgoing = InstanceRequest(
                method=req.method,
                path=req.path,
                headers=protocol_headers(self.spec, req),
                body=req.body,
                control_path=req.control_path,
                query=req.query,
            )
        call = asyncio.ensure_future(self._client.request(outgoing))
        racing: set[asyncio.Future[Any]] = {call, self._exited}
        done, _ = await asyncio.wait(racing, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
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
        if self.netns_fd is not None:  # last: the health monitor and the client are gone by now
            os.close(self.netns_fd)
            self.netns_fd = None
        if self.network_attachment is not None:
            self.network_attachment.close()
            self.network_attachment = None
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
            config["Env"] = [
                *config.get("Env", []),
                f"FC_REQUEST_ID={request_id}",
                f"FC_EVENT_PATH={EVENT_PATH_IN_CONTAINER}",
            ]
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
            raise InstanceCrashed(
                f"the container ran out of memory (limit {self.spec.memory_mb} MB)", oom=True, exit_code=code
            )
        if code == 0:
            return InstanceResponse(status=200, headers={"x-fc-status": "200"}, body=bytes(stdout))
        body = bytes(stderr or stdout) or f"the container exited with code {code}".encode()
        return InstanceResponse(
            status=404, headers={"x-fc-status": "404", "x-fc-exit-code": str(code)}, body=body
        )

    async def stop(self, graceful: bool = True) -> None:
        self._stopped = True
        for container_id in list(self._running):
            await self._driver.engine.remove_container(container_id)
        self._driver.forget(self)

    def take_logs(self) -> bytes:
        data = bytes(self._logs)
        self._logs.clear()
        return data
