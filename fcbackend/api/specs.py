"""Turn stored service + function documents into the scheduler's :class:`FunctionSpec`.

Why here: the API stores FC's JSON; the scheduler wants plain typed fields. This is the single place
that knows both. Which credentials a function gets is decided in :func:`function_credentials`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fcbackend.api.nas_mounts import nas_mounts
from fcbackend.models import FunctionSpec, GpuRequest, HealthCheck, RoleCredentials

if TYPE_CHECKING:
    from fcbackend.api.state import BackendState


def _command_list(value: Any) -> list[str]:
    """Commands come as lists (customRuntimeConfig) or JSON-array text (customContainerConfig)."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value.split()
        return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]
    return [str(value)]


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


def _gpu(fn: dict[str, Any]) -> GpuRequest | None:
    instance_type = str(fn.get("instanceType") or "")
    memory = fn.get("gpuMemorySize")
    if not memory and not (instance_type.startswith("fc.gpu") or instance_type == "g1"):
        return None
    return GpuRequest(memory_mb=int(memory or 0), instance_type=instance_type)


def layer_dirs(state: BackendState, arns: list[str]) -> tuple[Path, ...]:
    """Unpacked layer contents for a function's existing references; a deleted layer version still
    resolves (functions that use it keep running, as on FC)."""
    from fcbackend.api.layers import referenced_layer_version

    dirs = []
    for arn in arns or []:
        doc = referenced_layer_version(state, arn)
        dirs.append(state.code.unpacked(doc["_code"]["sha256"]))
    return tuple(dirs)


def function_credentials(state: BackendState, svc: dict[str, Any], function: str) -> RoleCredentials:
    """What a function sees in ``context.credentials`` and ``ALIBABA_CLOUD_*``
    (docs/reference/fc-runtime.md#the-context-object, #environment-variables).

    As on FC: nothing when the service has no role (a function never sees the backend's own
    key), and otherwise temporary STS credentials of that role, minted by the local STS for
    ``fc.aliyuncs.com`` (the role must exist in the local RAM and trust that service; when it
    cannot be used the function gets nothing and its log says why). They carry their refresh
    time: :meth:`BackendState.spec_for` builds the spec again with fresh ones after it.
    """
    role = str(svc.get("role") or "").strip()
    if not role:
        return RoleCredentials()
    return state.role_credentials.function_credentials(role, function)


def build_spec(state: BackendState, svc: dict[str, Any], fn: dict[str, Any], version_id: str) -> FunctionSpec:
    """Build the spec (unpacks code and layers on first use: call off the event loop)."""
    if svc.get("_fc3"):  # an FC 3.0 function (fcbackend.api.fc3_names): its own document shape
        from fcbackend.api.fc3_spec import build_fc3_spec

        return build_fc3_spec(state, str(svc["serviceName"]), fn, version_id)
    code = fn.get("_code") or {}
    code_dir = state.code.unpacked(code["sha256"]) if code.get("sha256") else None
    container = fn.get("customContainerConfig") or {}
    runtime_cfg = fn.get("customRuntimeConfig") or {}
    runtime = str(fn.get("runtime") or "")
    if runtime == "custom-container":
        command = _command_list(container.get("command")) + _command_list(container.get("args"))
    else:
        command = _command_list(runtime_cfg.get("command")) + _command_list(runtime_cfg.get("args"))
    lifecycle = fn.get("instanceLifecycleConfig") or {}
    pre_stop = lifecycle.get("preStop") or {}
    pre_freeze = lifecycle.get("preFreeze") or {}
    log = svc.get("logConfig") or {}
    layers = layer_dirs(state, fn.get("layers") or [])
    cfg = state.config
    credentials = function_credentials(state, svc, str(fn["functionName"]))
    return FunctionSpec(
        service=str(svc["serviceName"]),
        function=str(fn["functionName"]),
        version_id=version_id,
        qualifier=version_id,
        runtime=runtime,
        handler=str(fn.get("handler") or ""),
        code_dir=code_dir,
        code_checksum=str(fn.get("codeChecksum") or ""),
        layer_dirs=layers,
        environment=tuple(
            sorted((str(k), str(v)) for k, v in (fn.get("environmentVariables") or {}).items())
        ),
        memory_mb=int(fn.get("memorySize") or 128),
        cpu=float(fn["cpu"]) if fn.get("cpu") else None,
        disk_mb=int(fn.get("diskSize") or 512),
        timeout_s=float(fn.get("timeout") or 3),
        initializer=fn.get("initializer") or None,
        initialization_timeout_s=float(fn.get("initializationTimeout") or 3),
        pre_stop_handler=pre_stop.get("handler") or None,
        pre_stop_timeout_s=float(pre_stop.get("timeout") or 3),
        pre_freeze_handler=pre_freeze.get("handler") or None,
        instance_concurrency=int(fn.get("instanceConcurrency") or 1),
        internet_access=bool(svc.get("internetAccess", True)),
        ca_port=int(fn.get("caPort") or 9000),
        custom_command=tuple(command),
        image=container.get("image") or None,
        web_server_mode=bool(container.get("webServerMode", True)),
        health_check=_health_check(fn.get("customHealthCheckConfig")),
        gpu=_gpu(fn),
        instance_type=str(fn.get("instanceType") or "e1"),
        region=cfg.region,
        account_id=cfg.account_id,
        role=str(svc.get("role") or ""),
        log_project=str(log.get("project") or ""),
        log_store=str(log.get("logstore") or ""),
        credentials=(credentials.access_key_id, credentials.access_key_secret, credentials.security_token),
        credentials_refresh_at=credentials.refresh_at,
        credentials_note=credentials.note,
        mounts=tuple(nas_mounts(cfg.content_dir, svc.get("nasConfig"))),
    )
