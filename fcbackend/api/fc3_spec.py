"""An FC 3.0 function document as the scheduler's :class:`~fcbackend.models.FunctionSpec`.

Why a builder of its own: FC 2.0 splits the settings between service and function and names
them differently (``caPort``, ``customHealthCheckConfig``, a top-level ``initializer``); FC 3.0
keeps everything on the function (``customRuntimeConfig.port``, ``…healthCheckConfig``,
``instanceLifecycleConfig.initializer``, ``gpuConfig``, ``role``, ``logConfig``). Both end up as
the same FunctionSpec, so scheduler, drivers and runtimes run either unchanged.

Mounts: ``nasConfig`` mount points are the NAS twin's directories (:mod:`fcbackend.nas`) and
``ossMountConfig`` ones the bucket's directory of the local object store
(``<state dir>/oss/<bucket>/<bucketPath>``), so what a function writes there is an object other
functions and the OSS API see.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from fcbackend.api.errors import invalid
from fcbackend.api.nas_mounts import nas_mounts
from fcbackend.api.specs import function_credentials, layer_dirs
from fcbackend.models import FunctionSpec, GpuRequest, HealthCheck, RoleCredentials

if TYPE_CHECKING:
    from fcbackend.api.state import BackendState

DEFAULT_CUSTOM_PORT = 9000
# Where a mount may go (UNCONFIRMED: FC documents mount directories under these roots).
MOUNT_ROOTS = ("/mnt/", "/home/", "/data/", "/share/", "/tmp/")
COOKIE_NAME = "x-fc-cookie-session-id"


def _health_check(cfg: dict[str, Any] | None) -> HealthCheck | None:
    if not cfg or not cfg.get("httpGetUrl"):
        return None
    return HealthCheck(
        http_get_url=str(cfg["httpGetUrl"]),
        initial_delay_s=float(cfg.get("initialDelaySeconds") or 0),
        period_s=float(cfg.get("periodSeconds") or 3),
        timeout_s=float(cfg.get("timeoutSeconds") or 1),
        failure_threshold=int(cfg.get("failureThreshold") or 3),
        success_threshold=int(cfg.get("successThreshold") or 1),
    )


def check_mount_dir(path: str, where: str) -> str:
    """400 unless ``path`` is a clean absolute directory under one of :data:`MOUNT_ROOTS`."""
    pure = PurePosixPath(path)
    if (
        not path.startswith("/")
        or ".." in pure.parts
        or not (path.rstrip("/") + "/").startswith(MOUNT_ROOTS)
        or (path.rstrip("/") + "/" in MOUNT_ROOTS)
    ):
        raise invalid(
            f"{where} '{path}' must be a directory below {', '.join(r.rstrip('/') for r in MOUNT_ROOTS)}"
        )
    return str(pure)


def _host_subdir(root: Path, *parts: str) -> Path:
    path = root.joinpath(*[p.strip("/") for p in parts if p.strip("/")]).resolve()
    if not str(path).startswith(str(root.resolve())):
        raise invalid(f"mount source {'/'.join(parts)!r} leaves {root}")
    return path


def mounts(content_dir: Path, fn: dict[str, Any]) -> tuple[tuple[str, str, bool], ...]:
    """Host directories for the function's NAS and OSS mount points (created on first use), under
    the backend's content directory (the shared one when the service has one)."""
    out: list[tuple[str, str, bool]] = []
    out.extend(nas_mounts(content_dir, fn.get("nasConfig")))
    for point in (fn.get("ossMountConfig") or {}).get("mountPoints") or []:
        source = _host_subdir(
            content_dir / "oss", str(point["bucketName"]), str(point.get("bucketPath") or "/")
        )
        out.append((str(source), str(point["mountDir"]), bool(point.get("readOnly", False))))
    for directory, _, _ in out:
        Path(directory).mkdir(parents=True, exist_ok=True)
    return tuple(out)


def _affinity(fn: dict[str, Any]) -> dict[str, Any]:
    mode = str(fn.get("sessionAffinity") or "NONE")
    if mode not in ("HEADER_FIELD", "GENERATED_COOKIE"):
        return {"session_affinity": "NONE"}
    config = json.loads(fn.get("sessionAffinityConfig") or "{}")
    return {
        "session_affinity": mode,
        "affinity_header": str(config.get("affinityHeaderFieldName") or "").lower(),
        "sessions_per_instance": int(config.get("sessionConcurrencyPerInstance") or 20),
        "session_ttl_s": float(config.get("sessionTTLInSeconds") or 21600),
        "session_idle_s": float(config.get("sessionIdleTimeoutInSeconds") or 1800),
    }


def build_fc3_spec(state: BackendState, service: str, fn: dict[str, Any], version_id: str) -> FunctionSpec:
    """Build the spec (unpacks code and layers on first use: call off the event loop)."""
    code = fn.get("_code") or {}
    runtime = str(fn.get("runtime") or "")
    container = fn.get("customContainerConfig") or {}
    custom = fn.get("customRuntimeConfig") or {}
    if runtime == "custom-container":
        command = [str(c) for c in (container.get("entrypoint") or []) + (container.get("command") or [])]
        port = int(container.get("port") or DEFAULT_CUSTOM_PORT)
        health = _health_check(container.get("healthCheckConfig"))
    else:
        command = [str(c) for c in (custom.get("command") or []) + (custom.get("args") or [])]
        port = int(custom.get("port") or DEFAULT_CUSTOM_PORT)
        health = _health_check(custom.get("healthCheckConfig"))
    lifecycle = fn.get("instanceLifecycleConfig") or {}
    initializer = lifecycle.get("initializer") or {}
    pre_stop = lifecycle.get("preStop") or {}
    gpu_cfg = fn.get("gpuConfig") or {}
    log = fn.get("logConfig") or {}
    cfg = state.config
    # The role's STS credentials (as FC 2.0 gives a service's role), unless the function turned
    # their injection off; refreshed like FC 2.0's (BackendState.spec_for).
    credentials = (
        RoleCredentials()
        if fn.get("disableInjectCredentials") == "All"
        else function_credentials(state, {"role": fn.get("role") or ""}, str(fn["functionName"]))
    )
    return FunctionSpec(
        service=service,
        function=str(fn["functionName"]),
        version_id=version_id,
        qualifier=version_id,
        runtime=runtime,
        handler=str(fn.get("handler") or ""),
        code_dir=state.code.unpacked(code["sha256"]) if code.get("sha256") else None,
        code_checksum=str(fn.get("codeChecksum") or ""),
        layer_dirs=layer_dirs(state, fn.get("_layerArns") or []),
        environment=tuple(
            sorted((str(k), str(v)) for k, v in (fn.get("environmentVariables") or {}).items())
        ),
        memory_mb=int(fn.get("memorySize") or 512),
        cpu=float(fn["cpu"]) if fn.get("cpu") else None,
        disk_mb=int(fn.get("diskSize") or 512),
        timeout_s=float(fn.get("timeout") or 3),
        initializer=initializer.get("handler") or None,
        initialization_timeout_s=float(initializer.get("timeout") or 3),
        pre_stop_handler=pre_stop.get("handler") or None,
        pre_stop_timeout_s=float(pre_stop.get("timeout") or 3),
        instance_concurrency=int(fn.get("instanceConcurrency") or 1),
        internet_access=bool(fn.get("internetAccess", True)),
        ca_port=port,
        custom_command=tuple(command),
        image=container.get("image") or None,
        health_check=health,
        gpu=GpuRequest(int(gpu_cfg.get("gpuMemorySize") or 0), str(gpu_cfg["gpuType"])) if gpu_cfg else None,
        instance_type=str(gpu_cfg.get("gpuType") or "e1"),
        region=cfg.region,
        account_id=cfg.account_id,
        role=str(fn.get("role") or ""),
        log_project=str(log.get("project") or ""),
        log_store=str(log.get("logstore") or ""),
        credentials=(credentials.access_key_id, credentials.access_key_secret, credentials.security_token),
        credentials_refresh_at=credentials.refresh_at,
        credentials_note=credentials.note,
        mounts=mounts(cfg.content_dir, fn),
        **_affinity(fn),
    )
