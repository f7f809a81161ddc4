"""Validation of a function's configuration fields (docs/reference/fc-resource-types.md#function,
docs/reference/fc-runtime.md#limits, docs/reference/fc-api.md#lists-and-object-shapes).

Why separate from the routes: create and update share every rule, and the rules are long. Each
check names the field and the allowed range, so a bad template value is easy to fix.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fcbackend.api.errors import invalid
from fcbackend.api.http import typed

_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RUNTIME_PREFIXES = ("python", "nodejs", "java", "php", "dotnetcore", "go", "custom")
MAX_ENV_BYTES = 4096
MAX_LAYERS = 5

_MAP_FIELDS = (
    "customContainerConfig",
    "customRuntimeConfig",
    "customHealthCheckConfig",
    "customDNS",
    "instanceLifecycleConfig",
)


def _int_in(body: dict[str, Any], key: str, low: int, high: int, multiple: int | None = None) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise invalid(f"{key} must be an integer between {low} and {high}, got {json.dumps(value)[:60]}")
    value = int(value)
    if not low <= value <= high:
        raise invalid(f"{key} must be between {low} and {high}, got {value}")
    if multiple and value % multiple:
        raise invalid(f"{key} must be a multiple of {multiple}, got {value}")
    return value


def _environment(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise invalid("environmentVariables must be an object of string values")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not _ENV_KEY.match(str(key)):
            raise invalid(
                f"environmentVariables key '{key}' is invalid: use letters, digits and '_', "
                "starting with a letter or '_'"
            )
        if isinstance(item, (dict, list)) or item is None:
            raise invalid(f"environmentVariables.{key} must be a string")
        out[str(key)] = item if isinstance(item, str) else json.dumps(item)
    if len(json.dumps(out)) > MAX_ENV_BYTES:
        raise invalid(f"environmentVariables exceed {MAX_ENV_BYTES} bytes in total")
    return out


def check_runtime(runtime: Any) -> str:
    if not isinstance(runtime, str) or not runtime:
        raise invalid("runtime is required, e.g. python3.10, nodejs18, custom.debian10 or custom-container")
    if not runtime.startswith(_RUNTIME_PREFIXES):
        raise invalid(
            f"runtime '{runtime}' is not supported; use python*, nodejs*, java*, php*, "
            "dotnetcore*, go1, custom, custom.debian10 or custom-container"
        )
    return runtime


def function_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The configuration fields present in ``body`` (validated); ``code`` is handled elsewhere."""
    out: dict[str, Any] = {}
    if "runtime" in body and body["runtime"] is not None:
        out["runtime"] = check_runtime(body["runtime"])
    for key in ("description", "handler", "initializer", "instanceType"):
        value = typed(body, key, str, "a string")
        if value is not None:
            out[key] = value
    if len(out.get("description", "")) > 256:
        raise invalid("description must be at most 256 characters")
    ranges = {
        "memorySize": (128, 65536, 64),
        "timeout": (1, 86400, None),
        "initializationTimeout": (1, 300, None),
        "instanceConcurrency": (1, 200, None),
        "instanceSoftConcurrency": (1, 200, None),
        "caPort": (1, 65535, None),
        "gpuMemorySize": (1024, 81920, 1024),
    }
    for key, (low, high, multiple) in ranges.items():
        value = _int_in(body, key, low, high, multiple)
        if value is not None:
            out[key] = value
    disk = _int_in(body, "diskSize", 512, 10240)
    if disk is not None:
        if disk not in (512, 10240):
            raise invalid(f"diskSize must be 512 or 10240, got {disk}")
        out["diskSize"] = disk
    cpu = typed(body, "cpu", (int, float), "a number of vCPUs")
    if cpu is not None:
        if not 0.05 <= float(cpu) <= 16 or abs(round(float(cpu) / 0.05) * 0.05 - float(cpu)) > 1e-9:
            raise invalid(f"cpu must be between 0.05 and 16 in steps of 0.05, got {cpu}")
        out["cpu"] = cpu
    if body.get("environmentVariables") is not None:
        out["environmentVariables"] = _environment(body["environmentVariables"])
    for key in _MAP_FIELDS:
        value = typed(body, key, dict, "an object")
        if value is not None:
            out[key] = value
    layers = typed(body, "layers", list, "a list of layer version ARNs")
    if layers is not None:
        if len(layers) > MAX_LAYERS:
            raise invalid(f"a function can use at most {MAX_LAYERS} layers, got {len(layers)}")
        if not all(isinstance(a, str) for a in layers):
            raise invalid("layers must be a list of layer version ARNs (strings)")
        out["layers"] = layers
    if (
        out.get("instanceSoftConcurrency")
        and out.get("instanceConcurrency")
        and out["instanceSoftConcurrency"] > out["instanceConcurrency"]
    ):
        raise invalid("instanceSoftConcurrency must not exceed instanceConcurrency")
    return out


FUNCTION_DEFAULTS: dict[str, Any] = {
    "description": "",
    "handler": "",
    "initializer": "",
    "initializationTimeout": 3,
    "timeout": 3,
    "memorySize": 128,
    "cpu": None,
    "diskSize": 512,
    "gpuMemorySize": None,
    "instanceType": "e1",
    "instanceConcurrency": 1,
    "instanceSoftConcurrency": None,
    "environmentVariables": {},
    "caPort": 9000,
    "customContainerConfig": None,
    "customRuntimeConfig": None,
    "customHealthCheckConfig": None,
    "customDNS": None,
    "instanceLifecycleConfig": None,
    "layers": None,
    "layersArnV2": None,
}
