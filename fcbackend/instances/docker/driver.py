"""The ``docker`` instance driver: custom containers, GPU functions, built-in runtimes in images.

The driver starts instances and cleans up after them; the other jobs live in their own modules:

* :mod:`fcbackend.docker_engine` — the Engine API client over the Unix socket;
* :mod:`fcbackend.instances.docker.container_config` — what a function's container looks like (names,
  labels, environment, limits, mounts, GPU devices);
* :mod:`fcbackend.instances.docker.instances` — the web-server and run-to-completion instances;
* :mod:`fcbackend.instances.docker.cgroup_stats` — memory/CPU figures from the container's cgroup.

Every name this module had before that split is still importable from here.

How an instance starts (docs/reference/fc-runtime.md#custom-runtimes-and-containers): the function's image is
created and started with its limits, environment and labels; a GPU function first reserves GPU memory on a
device (:mod:`fcbackend.gpu`) and carries ``keep_warm = True``. The instance is reached at the container's IP
on the bridge network (no ``docker-proxy`` process per container, which costs start time, and a refused
connection really means "not listening"). Where the bridge is not routable from the backend (Docker Desktop),
``address_mode="published"`` publishes CAPort on 127.0.0.1 with a random host port instead. A backend on
the Docker host whose own network namespace has no route to the bridge (a cluster node's agent in a
namespace of its own) reaches the port inside the container's namespace, as below. Built-in runtimes
run their bootstrap program, which listens on a Unix socket in a host directory bound at ``/var/fc/sock`` (no
port, no network needed) and is then specialised with the function's handler and environment, as in a sandbox.
A start that fails leaves nothing behind; :meth:`DockerDriver.reap_orphans` removes what a crashed backend
left.

``internetAccess: false`` (the service's setting): every container of such a function — web
server, run-to-completion job or built-in runtime, GPU or not — gets ``NetworkMode: none``: only
loopback, so it can reach neither the internet nor the host nor other containers. Built-in
runtimes and jobs need no network anyway (Unix socket, stdout). A web-server container is reached
at 127.0.0.1:CAPort *inside* its namespace (:mod:`fcbackend.instances.docker.netns`), in either
address mode; that needs a root backend on the Docker host, else the start fails with a clear
error. Choice (UNCONFIRMED, FC documents no more than "no internet"): the host is cut off too,
exactly as the sandbox driver does (a namespace with loopback only); an internal Docker network was
rejected because on dockerd 20.10 its containers still reach every host address (see netns.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path
from typing import Any

from fcbackend.docker_engine import (
    API_VERSION,
    DEFAULT_SOCKET,
    DockerEngine,
    DockerError,
    docker_socket_path,
)
from fcbackend.instances.ca_client import CaClient
from fcbackend.instances.docker.container_config import (
    CUSTOM_CONTAINER_RUNTIME,
    EVENT_PATH_IN_CONTAINER,
    LABEL_BACKEND,
    LABEL_FUNCTION,
    LABEL_INSTANCE,
    SOCKET_DIR_IN_CONTAINER,
    SPECIALISE_PATH,
    GpuPassthrough,
    RuntimeImageResolver,
    backend_label,
    container_config,
    container_name,
    fc_environment,
    gpu_request,
    image_command_binds,
    safe_name,
    specialise_config,
)
from fcbackend.instances.docker.instances import DockerInstance, RunToCompletionInstance, protocol_headers
from fcbackend.instances.docker.netns import open_container_netns, routable, tcp_socket_in
from fcbackend.instances.driver import Instance, InstanceDriver
from fcbackend.instances.health import STARTUP_DEADLINE_S
from fcbackend.instances.network import CONTAINER_CA_BUNDLE, InstanceNetwork, with_network_environment
from fcbackend.models import FunctionSpec, InstanceStartError

__all__ = [
    "API_VERSION",
    "CUSTOM_CONTAINER_RUNTIME",
    "DEFAULT_SOCKET",
    "EVENT_PATH_IN_CONTAINER",
    "LABEL_BACKEND",
    "LABEL_FUNCTION",
    "LABEL_INSTANCE",
    "SOCKET_DIR_IN_CONTAINER",
    "SPECIALISE_PATH",
    "DockerDriver",
    "DockerEngine",
    "DockerError",
    "DockerInstance",
    "RunToCompletionInstance",
    "RuntimeImageResolver",
    "backend_label",
    "container_name",
    "docker_socket_path",
    "fc_environment",
    "protocol_headers",
    "specialise_config",
]


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
    def _gateway_for(self, spec: FunctionSpec) -> InstanceNetwork | None:
        """The gateway plumbing a container of ``spec`` gets: servers and built-in runtimes, when
        the backend can place listeners in containers (root). A run-to-completion job is left as
        it is: nothing would listen on its ``HTTP_PROXY``."""
        network = self.network
        if network is None or not network.can_attach:
            return None
        if spec.runtime == CUSTOM_CONTAINER_RUNTIME and not spec.web_server_mode:
            return None
        return network

    async def start(self, spec: FunctionSpec, instance_id: str) -> Instance:
        network = self._gateway_for(spec)
        if network is not None:
            spec = with_network_environment(spec, network.environment(CONTAINER_CA_BUNDLE))
        image, command, binds = image_command_binds(spec, self.state_dir, self._runtime_images)
        if network is not None:
            binds += network.container_binds()
        socket_dir: Path | None = None
        if spec.runtime != CUSTOM_CONTAINER_RUNTIME:
            socket_dir = self.state_dir / "docker-sockets" / safe_name(instance_id)
            socket_dir.mkdir(parents=True, exist_ok=True)
            binds.append(f"{socket_dir}:{SOCKET_DIR_IN_CONTAINER}")
            command = [*command, f"{SOCKET_DIR_IN_CONTAINER}/ca.sock"]
        # FC 3.0 NAS/OSS mount points: host directories (FunctionSpec.mounts)
        binds += [
            f"{source}:{target}{':ro' if read_only else ''}" for source, target, read_only in spec.mounts
        ]
        gpu = gpu_request(spec)
        assignment = None
        if gpu is not None:
            assignment = self._allocator().allocate(
                instance_id, gpu, function=f"{spec.service}/{spec.function}"
            )
        try:
            gpu_settings = None if assignment is None else (await self._gpu_passthrough_mode(), assignment)
            config = container_config(
                spec,
                instance_id,
                image,
                command,
                binds,
                backend=self.backend,
                address_mode=self.address_mode,
                gpu=gpu_settings,
            )
            if network is not None:
                config["HostConfig"]["ExtraHosts"] = network.extra_hosts()
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

    async def _start_server(
        self,
        spec: FunctionSpec,
        instance_id: str,
        image: str,
        config: dict[str, Any],
        assignment: Any,
        socket_dir: Path | None,
    ) -> DockerInstance:
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
                raise InstanceStartError(
                    f"Docker could not start the container of {spec.service}/{spec.function}: {exc.message}"
                ) from exc
            instance.watch()
            network = self._gateway_for(spec)
            if network is not None:
                pid = int(
                    ((await self.engine.inspect_container(container_id)).get("State") or {}).get("Pid") or 0
                )
                instance.network_attachment = (
                    await network.attach(pid, frozenset({spec.ca_port})) if pid else None
                )
                if instance.network_attachment is not None:
                    instance.network_attachment.set_policy(
                        spec.internet_access, f"function {spec.service}/{spec.function}"
                    )
            if socket_dir is not None:
                instance.connect(CaClient.unix(str(socket_dir / "ca.sock")))
            elif not spec.internet_access:
                instance.connect_in_netns(await self._container_netns(instance))
            else:
                try:
                    instance.address = await self._address(container_id, spec.ca_port)
                except InstanceStartError:
                    # A container that exits at once has no address: report its exit instead.
                    exited = await instance.exit_error_if_exited(timeout=5.0)
                    if exited is not None:
                        raise exited from None
                    raise
                if self.address_mode != "published" and not routable(instance.address[0]):
                    # this process's network has no route to the bridge (a cluster node's agent in
                    # a network namespace of its own): reach the port inside the container's
                    instance.connect_in_netns(await self._container_netns(instance, bridge=True))
                else:
                    instance.connect(CaClient.tcp(*instance.address))
            await instance.wait_ready(deadline)
            if socket_dir is not None:
                await instance.specialise(deadline)
        except BaseException:
            await instance.stop(graceful=False)
            raise
        return instance

    async def _container_netns(self, instance: DockerInstance, *, bridge: bool = False) -> int:
        """The network namespace of a started container without network (``bridge``: on Docker's
        bridge, which this process has no route to), checked usable now (a socket is created in
        it) so a backend that may not enter it fails the start clearly instead of timing out on
        every connection."""
        spec = instance.spec
        pid = int(
            ((await self.engine.inspect_container(instance.container_id)).get("State") or {}).get("Pid") or 0
        )
        netns_fd: int | None = None
        try:
            netns_fd = open_container_netns(pid)
            tcp_socket_in(netns_fd).close()
            return netns_fd
        except OSError as exc:
            if netns_fd is not None:
                os.close(netns_fd)
            if isinstance(exc, (ProcessLookupError, FileNotFoundError)):  # no process: it exited
                exited = await instance.exit_error_if_exited(timeout=5.0)
                if exited is not None:
                    raise exited from None
            if bridge:
                raise InstanceStartError(
                    f"the container of {spec.service}/{spec.function} is on Docker's bridge, which this "
                    f"process's network has no route to, so it must enter the container's network "
                    f"namespace to reach port {spec.ca_port}; that failed ({exc}). Run it as root on the "
                    "machine where dockerd runs, or in a network that routes to Docker's bridge."
                ) from exc
            raise InstanceStartError(
                f"{spec.service}/{spec.function} has internetAccess=false, so its container has no network "
                f"and the backend must enter the container's network namespace to reach port {spec.ca_port}; "
                f"that failed ({exc}). Run the backend as root on the machine where dockerd runs, or "
                "set internetAccess to true."
            ) from exc

    async def _create(self, name: str, image: str, config: dict[str, Any]) -> str:
        try:
            return await self.engine.create_container(name, config)
        except DockerError as exc:
            if exc.status == 409:  # a leftover with our name (crash between create and record)
                await self.engine.remove_container(name)
                return await self.engine.create_container(name, config)
            if exc.status != 404:
                raise InstanceStartError(
                    f"Docker could not create a container from {image}: {exc.message}"
                ) from exc
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
                f"image {image!r} is not present locally and pulling it failed ({exc.message}); {hint}"
            ) from exc

    async def _address(self, container_id: str, port: int) -> tuple[str, int]:
        details = await self.engine.inspect_container(container_id)
        network = details.get("NetworkSettings") or {}
        if self.address_mode != "published":
            ip = network.get("IPAddress") or next(
                (n.get("IPAddress") for n in (network.get("Networks") or {}).values() if n.get("IPAddress")),
                "",
            )
            if ip:
                return ip, port
        bindings = (network.get("Ports") or {}).get(f"{port}/tcp") or []
        for binding in bindings:
            if binding.get("HostPort"):
                return binding.get("HostIp") or "127.0.0.1", int(binding["HostPort"])
        raise InstanceStartError(f"container {container_id[:12]} has no reachable address for port {port}")

    # -- GPU ----------------------------------------------------------------------------------
    def _allocator(self) -> Any:
        if self._gpu_allocator is None:
            from fcbackend.gpu.placement import GpuAllocator

            self._gpu_allocator = GpuAllocator()
        return self._gpu_allocator

    async def _gpu_passthrough_mode(self) -> GpuPassthrough:
        """``toolkit`` when dockerd has the NVIDIA runtime (or its hook is installed), else
        ``mounts``; asked once per driver."""
        if self._gpu_passthrough is None:
            runtimes = (await self.engine.info()).get("Runtimes") or {}
            toolkit = "nvidia" in runtimes or shutil.which("nvidia-container-runtime-hook") is not None
            self._gpu_passthrough = "toolkit" if toolkit else "mounts"
        return self._gpu_passthrough

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
