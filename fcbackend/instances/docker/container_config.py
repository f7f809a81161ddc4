"""What a function's container looks like: names, labels, environment, limits, mounts, GPU devices.

Everything here is a pure function of the :class:`FunctionSpec` (plus the few driver settings
passed in), so the container a driver creates can be checked without Docker. The driver
(:mod:`fcbackend.instances.docker.driver`) does the talking to dockerd.

* Memory ``Memory`` = ``MemorySwap`` (no swap), CPU ``NanoCpus``, at most 1024 processes.
* Labels ``rosengine.backend=<hash of the state dir>`` and ``rosengine.instance=<id>`` let
  :meth:`DockerDriver.reap_orphans` remove whatever a crashed backend left behind.
* The function's variables plus FC's (docs/reference/fc-runtime.md#environment-variables), FC's winning on
  reserved ``FC_`` names.
* Built-in runtimes: code bound read-only at ``/code``, merged layers at ``/opt``; the bootstrap's
  Unix socket directory at ``/var/fc/sock`` (bound by the driver).
* ``internetAccess: false``: ``NetworkMode: none`` (loopback only: no internet, no host, no other
  container) for every kind of instance; see :mod:`fcbackend.instances.docker.netns` for how the
  backend still reaches a web-server container and why not an internal Docker network.
* GPU: with the NVIDIA container toolkit the device goes through ``DeviceRequests``; without it
  :func:`fcbackend.gpu.mount_plan` gives device nodes and driver libraries to bind.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fcbackend.instances.driver import InstanceStartError
from fcbackend.instances.fc_contract import platform_environment
from fcbackend.models import FunctionSpec, GpuRequest

LABEL_BACKEND = "rosengine.backend"
LABEL_INSTANCE = "rosengine.instance"
LABEL_FUNCTION = "rosengine.function"
EVENT_PATH_IN_CONTAINER = "/var/fc/event"
SOCKET_DIR_IN_CONTAINER = "/var/fc/sock"
SPECIALISE_PATH = "/__rosengine/specialise"
CUSTOM_CONTAINER_RUNTIME = "custom-container"
ISOLATED_NETWORK_MODE = "none"
"""``NetworkMode`` of functions whose service sets ``internetAccess: false``."""

RuntimeImageResolver = Callable[[str], tuple[str, list[str], list[str]] | None]
"""Maps a built-in runtime to (image, command, binds), or None when it has no image."""

GpuPassthrough = str
"""How a GPU reaches a container: ``"toolkit"`` (NVIDIA container toolkit) or ``"mounts"``."""


def safe_name(text: str) -> str:
    """``text`` with every character Docker (and a file name) would refuse replaced by ``-``."""
    return re.sub(r"[^a-zA-Z0-9_.-]", "-", text)


def backend_label(state_dir: Path) -> str:
    """The value of ``rosengine.backend``: a short hash of the resolved state directory, so two
    backends on one machine (two ROS_HOMEs) never reap each other's containers."""
    return hashlib.sha256(str(Path(state_dir).expanduser().resolve()).encode()).hexdigest()[:16]


def container_name(backend: str, instance_id: str) -> str:
    return "rosengine-" + safe_name(f"{backend[:8]}-{instance_id}")[:120]


def fc_environment(spec: FunctionSpec, instance_id: str) -> dict[str, str]:
    """The variables FC sets in an instance (docs/reference/fc-runtime.md#environment-variables), then the
    function's own (which cannot override reserved ``FC_`` names: those win)."""
    platform = {**platform_environment(spec, instance_id, "/code/"), "PYTHONUNBUFFERED": "1"}
    env = {k: v for k, v in spec.environment if not k.startswith("FC_")}
    env.update(platform)
    return env


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
        "function": {
            "name": spec.function,
            "handler": spec.handler,
            "memory": spec.memory_mb,
            "timeout": spec.timeout_s,
            "initializer": spec.initializer or "",
            "initialization_timeout": spec.initialization_timeout_s,
        },
        "service": {
            "name": spec.service,
            "log_project": spec.log_project,
            "log_store": spec.log_store,
            "qualifier": spec.qualifier or "LATEST",
            "version_id": spec.version_id,
        },
    }


def container_config(
    spec: FunctionSpec,
    instance_id: str,
    image: str,
    command: list[str],
    binds: list[str],
    *,
    backend: str,
    address_mode: str,
    gpu: tuple[GpuPassthrough, Any] | None = None,
) -> dict[str, Any]:
    """The Engine API ``containers/create`` body of one instance. ``gpu`` is (passthrough, the
    allocator's assignment) for a GPU function; ``address_mode="published"`` publishes CAPort on
    127.0.0.1 with a random host port, unless the function has no internet access: then the
    container has no network at all (``NetworkMode: none``), so there is nothing to publish."""
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
    if not spec.internet_access:
        host_config["NetworkMode"] = ISOLATED_NETWORK_MODE
    elif address_mode == "published":
        host_config["PortBindings"] = {port_key: [{"HostIp": "127.0.0.1", "HostPort": ""}]}
    if gpu is not None:
        env.update(gpu_host_config(*gpu, host_config))
    config: dict[str, Any] = {
        "Image": image,
        "Env": [f"{k}={v}" for k, v in env.items()],
        "Labels": {
            LABEL_BACKEND: backend,
            LABEL_INSTANCE: instance_id,
            LABEL_FUNCTION: f"{spec.service}/{spec.function}",
        },
        "ExposedPorts": {port_key: {}},
        "HostConfig": host_config,
    }
    if command:
        config["Entrypoint"] = list(command)
        config["Cmd"] = []
    return config


# --------------------------------------------------------------------------- GPU


def gpu_request(spec: FunctionSpec) -> GpuRequest | None:
    """The GPU a function needs: its explicit request, or a whole device for a GPU instance type."""
    from fcbackend.gpu.placement import is_gpu_instance_type

    if spec.gpu is not None:
        return spec.gpu
    if is_gpu_instance_type(spec.instance_type):
        return GpuRequest(memory_mb=0, instance_type=spec.instance_type)
    return None


def gpu_host_config(
    passthrough: GpuPassthrough, assignment: Any, host_config: dict[str, Any]
) -> dict[str, str]:
    """Give the container the assigned device (edits ``host_config``); returns extra environment."""
    uuid = assignment.device.uuid
    if passthrough == "toolkit":
        host_config["DeviceRequests"] = [{"Driver": "nvidia", "DeviceIDs": [uuid], "Capabilities": [["gpu"]]}]
        return {
            "NVIDIA_VISIBLE_DEVICES": uuid,
            "CUDA_VISIBLE_DEVICES": uuid,
            "NVIDIA_DRIVER_CAPABILITIES": "compute,utility",
            "FC_GPU_MEMORY_SIZE": str(assignment.memory_mb),
        }
    from fcbackend.gpu.mounts import mount_plan

    plan = mount_plan(assignment)
    host_config["Devices"] = [
        {"PathOnHost": d, "PathInContainer": d, "CgroupPermissions": "rwm"} for d in plan.devices
    ]
    host_config["Binds"] += [f"{src}:{dst}:ro" for src, dst, ro in plan.binds if src not in plan.devices]
    env = dict(plan.env)
    env["LD_LIBRARY_PATH"] = f"{env['LD_LIBRARY_PATH']}:/usr/local/lib:/usr/lib"
    env["PATH"] = f"{env['PATH']}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    return env


# --------------------------------------------------------------------------- image and mounts


def image_command_binds(
    spec: FunctionSpec, state_dir: Path, resolver: RuntimeImageResolver | None
) -> tuple[str, list[str], list[str]]:
    """(image, command, binds) of a function: its CustomContainerConfig, or for a built-in runtime
    the image ``resolver`` names (default: the images ``ros fc images build`` makes) with the code
    and the merged layers bound read-only."""
    if spec.runtime == CUSTOM_CONTAINER_RUNTIME:
        if not spec.image:
            raise InstanceStartError(
                f"{spec.service}/{spec.function} uses runtime custom-container but has no "
                "CustomContainerConfig.Image"
            )
        return spec.image, list(spec.custom_command), []
    if resolver is None:
        from fcbackend.images import runtime_image_command

        resolver = runtime_image_command
    found = resolver(spec.runtime)
    if found is None:
        raise InstanceStartError(
            f"runtime {spec.runtime!r} has no Docker image; `ros fc images build` builds python3 and "
            "nodejs images",
            "FunctionNotStarted",
        )
    image, command, binds = found
    binds = list(binds)
    if spec.code_dir is not None:
        binds.append(f"{Path(spec.code_dir).resolve()}:/code:ro")
    if spec.layer_dirs:
        binds.append(f"{merged_layers(state_dir, spec.layer_dirs)}:/opt:ro")
    return image, command, binds


def merged_layers(state_dir: Path, layer_dirs: tuple[Path, ...]) -> Path:
    """One directory with the layers merged, the first listed winning
    (docs/reference/fc-runtime.md#layers-and-the-file-system); cached under ``state_dir`` by the layers'
    paths, which are content-addressed."""
    key = hashlib.sha256("\0".join(str(p) for p in layer_dirs).encode()).hexdigest()[:16]
    merged = state_dir / "docker-layers" / key
    if merged.is_dir():
        return merged
    merged.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=merged.parent))
    for layer in reversed(layer_dirs):  # later layers first, so earlier ones overwrite them
        shutil.copytree(layer, staging, dirs_exist_ok=True, symlinks=True)
    with contextlib.suppress(OSError):
        staging.rename(merged)
    return merged if merged.is_dir() else staging
