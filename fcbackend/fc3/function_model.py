"""The FC 3.0 function: which fields a create/update body may carry, their rules, the defaults,
and the document the API returns.

Facts from the 2023-03-30 API reference (CreateFunctionInput, Function;
https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-createfunction):
name 1-64 of ``[A-Za-z0-9_-]`` not starting with a digit or ``-``; ``memorySize`` a multiple of 64
MB from 128; ``cpu`` a multiple of 0.05 from 0.05 to 16 with vCPU : memory GB between 1:1 and 1:4;
``diskSize`` 512 or 10240; ``timeout`` 1-86400 s (default 3); ``internetAccess`` default true;
health checks (initial delay 0-120 s, period 1-120 s, timeout 1-3 s, thresholds 1-120).

Choices where the reference is silent (UNCONFIRMED):

* defaults: ``memorySize`` 512 (what Serverless Devs sends when unset), ``diskSize`` 512,
  ``instanceConcurrency`` 1, and ``cpu`` derived from the memory (memory GB / 1.5 rounded to
  0.05, kept inside the 1:1-1:4 ratio: 512 MB -> 0.35 vCPU, as Terraform's tests show);
* ``memorySize`` up to 65536 MB (the ROS validator's bound; the API text says 32 GB);
* at most 5 layers (FC's documented quota) and 5 NAS / OSS mount points;
* ``instanceLifecycleConfig`` hook timeouts: initializer 1-300 s, preStop 1-90 s (FC's quotas);
  a hook ``command`` (run inside the instance instead of calling a handler) is refused: the
  local runtimes only call hook handlers;
* ``sessionAffinityConfig`` is a JSON string; HEADER_FIELD needs ``affinityHeaderFieldName``.
"""

from __future__ import annotations

import json
from typing import Any

from fcbackend.api.errors import invalid
from fcbackend.fc3.spec import check_mount_dir
from fcbackend.fc3.validation import (
    Checker,
    anything,
    array,
    boolean,
    check_fields,
    integer,
    number,
    obj,
    string,
    string_map,
)

NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_-]{0,63}"
RUNTIMES = (
    "nodejs12",
    "nodejs14",
    "nodejs16",
    "nodejs18",
    "nodejs20",
    "go1",
    "python3",
    "python3.9",
    "python3.10",
    "python3.12",
    "java8",
    "java11",
    "php7.2",
    "dotnetcore3.1",
    "custom",
    "custom.debian10",
    "custom.debian11",
    "custom.debian12",
    "custom-container",
)
SESSION_AFFINITIES = ("NONE", "HEADER_FIELD", "GENERATED_COOKIE", "MCP_SSE")
MAX_LAYERS = 5
MAX_MOUNT_POINTS = 5
MAX_ENV_BYTES = 4096
DEFAULT_MEMORY_MB = 512

_HEALTH_CHECK = obj(
    {
        "httpGetUrl": string(max_len=2048),
        "initialDelaySeconds": integer(0, 120),
        "periodSeconds": integer(1, 120),
        "timeoutSeconds": integer(1, 3),
        "failureThreshold": integer(1, 120),
        "successThreshold": integer(1, 120),
    }
)
_STRINGS = array(string(max_len=4096), max_items=100)
_PORT = integer(1, 65535)


def _hook(timeout_high: int) -> Checker:
    inner = obj({"handler": string(max_len=128), "timeout": integer(1, timeout_high), "command": _STRINGS})

    def check(value: Any, path: str) -> dict[str, Any]:
        hook = inner(value, path)
        if hook.get("command"):
            raise invalid(
                f"{path}.command is not supported by the local backend (it calls hook handlers); "
                "use handler instead"
            )
        hook.pop("command", None)
        return hook

    return check


def _disk_size(value: Any, path: str) -> int:
    size = integer(512, 10240)(value, path)
    if size not in (512, 10240):
        raise invalid(f"{path} must be 512 or 10240 (MB), got {size}")
    return size


def _session_affinity_config(value: Any, path: str) -> str:
    """A JSON string (the API's type); an object is accepted and serialised (ROS passes a map)."""
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if not isinstance(value, str):
        raise invalid(f"{path} must be a JSON string, got {type(value).__name__}")
    if value.strip():
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise invalid(f"{path} must be a JSON object in a string: {exc}") from exc
        if not isinstance(parsed, dict):
            raise invalid(f"{path} must be a JSON object in a string")
    return value


FIELDS: dict[str, Checker] = {
    "functionName": string(min_len=1, max_len=64, pattern=NAME_PATTERN),
    "runtime": string(enum=RUNTIMES),
    "handler": string(min_len=1, max_len=128),
    "code": obj(
        {
            "zipFile": string(),
            "ossBucketName": string(min_len=3, max_len=63),
            "ossObjectName": string(min_len=1, max_len=1024),
            "checksum": string(max_len=64),
        }
    ),
    "cpu": number(0.05, 16, step=0.05),
    "memorySize": integer(128, 65536, multiple=64),
    "diskSize": _disk_size,
    "timeout": integer(1, 86400),
    "instanceConcurrency": integer(1, 200),
    "environmentVariables": string_map(key_pattern=r"[A-Za-z_][A-Za-z0-9_]*", max_bytes=MAX_ENV_BYTES),
    "description": string(max_len=256),
    "layers": array(string(min_len=1, max_len=512), max_items=MAX_LAYERS),
    "internetAccess": boolean(),
    "role": string(max_len=300),
    "logConfig": obj(
        {
            "project": string(max_len=63),
            "logstore": string(max_len=63),
            "logBeginRule": string(enum=("None", "DefaultRegex")),
            "enableRequestMetrics": boolean(),
            "enableInstanceMetrics": boolean(),
            "enableLlmMetrics": boolean(),
        }
    ),
    "vpcConfig": obj(
        {
            "vpcId": string(max_len=50),
            "vSwitchIds": array(string(max_len=50), max_items=100),
            "securityGroupId": string(max_len=50),
            "role": string(max_len=300),
        }
    ),
    "nasConfig": obj(
        {
            "userId": integer(-1, 65535),
            "groupId": integer(-1, 65535),
            "mountPoints": array(
                obj(
                    {
                        "serverAddr": string(min_len=1, max_len=512),
                        "mountDir": string(min_len=1, max_len=256),
                        "enableTLS": boolean(),
                    },
                    required=("serverAddr", "mountDir"),
                ),
                max_items=MAX_MOUNT_POINTS,
            ),
        }
    ),
    "ossMountConfig": obj(
        {
            "mountPoints": array(
                obj(
                    {
                        "bucketName": string(min_len=3, max_len=63),
                        "bucketPath": string(max_len=1024),
                        "endpoint": string(max_len=512),
                        "mountDir": string(min_len=1, max_len=256),
                        "readOnly": boolean(),
                    },
                    required=("bucketName", "mountDir"),
                ),
                max_items=MAX_MOUNT_POINTS,
            )
        }
    ),
    "tracingConfig": obj({"type": string(enum=("Jaeger",)), "params": string_map()}),
    "customContainerConfig": obj(
        {
            "image": string(min_len=1, max_len=1024),
            "entrypoint": _STRINGS,
            "command": _STRINGS,
            "port": _PORT,
            "healthCheckConfig": _HEALTH_CHECK,
            "registryConfig": anything(),
            "accelerationType": string(enum=("Default", "None")),
            "acrInstanceId": string(max_len=128),
        },
        ignored=("resolvedImageUri", "accelerationInfo"),
    ),
    "customRuntimeConfig": obj(
        {"command": _STRINGS, "args": _STRINGS, "port": _PORT, "healthCheckConfig": _HEALTH_CHECK}
    ),
    "customDNS": obj(
        {
            "nameServers": _STRINGS,
            "searches": _STRINGS,
            "dnsOptions": array(obj({"name": string(min_len=1), "value": string()}, required=("name",))),
        }
    ),
    "gpuConfig": obj(
        {
            "gpuType": string(pattern=r"fc\.gpu\.[A-Za-z0-9.]+|g1"),
            "gpuMemorySize": integer(1024, 98304, multiple=1024),
        }
    ),
    "instanceLifecycleConfig": obj({"initializer": _hook(300), "preStop": _hook(90)}),
    "tags": array(
        obj({"Key": string(min_len=1, max_len=128), "Value": string(max_len=128)}, required=("Key",)),
        max_items=20,
    ),
    "instanceIsolationMode": string(enum=("SHARE", "REQUEST_EXCLUSIVE", "SESSION_EXCLUSIVE")),
    "sessionAffinity": string(enum=SESSION_AFFINITIES),
    "sessionAffinityConfig": _session_affinity_config,
    "disableOndemand": boolean(),
    "enableLongLiving": boolean(),
    "idleTimeout": integer(0, 86400),
    "disableInjectCredentials": string(enum=("None", "Env", "Request", "All")),
    "resourceGroupId": string(max_len=128),
    "juiceFsConfig": anything(),
    "polarFsConfig": anything(),
    "microSandboxConfig": anything(),
}
# Fields only a create may set (UpdateFunctionInput has none of these).
CREATE_ONLY = ("functionName", "tags", "resourceGroupId")
# Output-only fields a client may echo back in an update (Terraform, a GetFunction round trip).
OUTPUT_FIELDS = (
    "functionArn",
    "functionId",
    "codeChecksum",
    "codeSize",
    "createdTime",
    "lastModifiedTime",
    "state",
    "stateReason",
    "stateReasonCode",
    "lastUpdateStatus",
    "lastUpdateStatusReason",
    "lastUpdateStatusReasonCode",
    "invocationRestriction",
    "lockInfo",
)
# Lists the SDK always sends (``[]`` when the caller set nothing): absent on create.
_SDK_EMPTY_LISTS = {
    "tags": (),
    "nasConfig": ("mountPoints",),
    "ossMountConfig": ("mountPoints",),
    "customDNS": ("dnsOptions",),
}

DEFAULTS: dict[str, Any] = {
    "description": "",
    "memorySize": DEFAULT_MEMORY_MB,
    "diskSize": 512,
    "timeout": 3,
    "instanceConcurrency": 1,
    "environmentVariables": {},
    "internetAccess": True,
    "role": "",
    "layers": [],
    "logConfig": {},
    "vpcConfig": {},
    "nasConfig": {},
    "ossMountConfig": {},
    "tracingConfig": {},
    "customDNS": {},
    "instanceLifecycleConfig": {},
    "instanceIsolationMode": "SHARE",
    "sessionAffinity": "NONE",
    "disableOndemand": False,
    "tags": [],
}


def _drop_sdk_empty_lists(body: dict[str, Any]) -> dict[str, Any]:
    out = dict(body)
    for key, members in _SDK_EMPTY_LISTS.items():
        value = out.get(key)
        if not members:
            if value == []:
                del out[key]
            continue
        if isinstance(value, dict):
            trimmed = {k: v for k, v in value.items() if not (k in members and v == [])}
            if trimmed:
                out[key] = trimmed
            else:
                del out[key]
    return out


def default_cpu(memory_mb: int) -> float:
    """vCPU for a memory size when none was given (module doc)."""
    gb = memory_mb / 1024
    cpu = round(gb / 1.5 / 0.05) * 0.05
    cpu = min(max(cpu, gb / 4, 0.05), gb, 16.0)
    return round(round(cpu / 0.05) * 0.05, 2)


def _check_ratio(cpu: float, memory_mb: int) -> None:
    gb = memory_mb / 1024
    if not cpu - 1e-9 <= gb <= cpu * 4 + 1e-9:
        raise invalid(
            f"cpu {cpu:g} and memorySize {memory_mb} do not fit: memory in GB must be between 1 and 4 "
            f"times the vCPU count ({cpu:g}-{cpu * 4:g} GB for {cpu:g} vCPU)"
        )


def _check_session_affinity(doc: dict[str, Any]) -> None:
    mode = doc.get("sessionAffinity") or "NONE"
    if mode == "HEADER_FIELD":
        config = json.loads(doc.get("sessionAffinityConfig") or "{}")
        if (
            not isinstance(config.get("affinityHeaderFieldName"), str)
            or not config["affinityHeaderFieldName"]
        ):
            raise invalid(
                "sessionAffinity HEADER_FIELD needs sessionAffinityConfig "
                '{"affinityHeaderFieldName": "<header name>"}'
            )


def create_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The checked fields of a CreateFunction body (``code`` still raw: stored separately)."""
    fields = check_fields(_drop_sdk_empty_lists(body), FIELDS, ignored=OUTPUT_FIELDS)
    for key in ("functionName", "runtime", "handler"):
        if key not in fields:
            examples = {
                "functionName": "e.g. my-function",
                "runtime": "e.g. python3.10, nodejs20, custom.debian12 or custom-container",
                "handler": "e.g. index.handler (required for every runtime)",
            }
            raise invalid(f"{key} is required ({examples[key]})")
    return fields


def update_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The checked fields of an UpdateFunction body (partial: absent fields keep their value)."""
    for key in CREATE_ONLY:
        if key in body and body[key] not in (None, [], ""):
            if key == "functionName":
                continue  # Terraform echoes the name; a different one is refused by the caller
            raise invalid(
                f"{key} cannot be changed by UpdateFunction"
                + (" (tag a function with TagResources)" if key == "tags" else "")
            )
    rest = {k: v for k, v in body.items() if k not in ("tags", "resourceGroupId")}
    return check_fields(rest, FIELDS, ignored=OUTPUT_FIELDS)


def finish(doc: dict[str, Any]) -> None:
    """Whole-document rules, after defaults or an update were applied (400 when broken)."""
    memory = int(doc.get("memorySize") or DEFAULT_MEMORY_MB)
    if not doc.get("_cpuGiven"):  # derived from the memory until a client sets it
        doc["cpu"] = default_cpu(memory)
    _check_ratio(float(doc["cpu"]), memory)
    runtime = doc.get("runtime")
    if runtime == "custom-container":
        if not (doc.get("customContainerConfig") or {}).get("image"):
            raise invalid("customContainerConfig.image is required for runtime custom-container")
    elif not doc.get("_code"):
        raise invalid(f"code is required for runtime {runtime} (zipFile or ossBucketName + ossObjectName)")
    if doc.get("customContainerConfig") and runtime != "custom-container":
        raise invalid("customContainerConfig is only for runtime custom-container")
    _check_session_affinity(doc)
    for key in ("nasConfig", "ossMountConfig"):
        for index, point in enumerate((doc.get(key) or {}).get("mountPoints") or []):
            check_mount_dir(point["mountDir"], f"{key}.mountPoints[{index}].mountDir")
    if doc.get("gpuConfig") and not doc["gpuConfig"].get("gpuType"):
        raise invalid("gpuConfig.gpuType is required, e.g. fc.gpu.tesla.1")


def list_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A ListFunctions item: the function without the state fields (GetFunction only)."""
    return {
        k: v
        for k, v in doc.items()
        if not k.startswith("_")
        and k
        not in (
            "state",
            "stateReason",
            "stateReasonCode",
            "lastUpdateStatus",
            "lastUpdateStatusReason",
            "lastUpdateStatusReasonCode",
        )
    }
