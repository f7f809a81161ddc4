"""What FC hands every instance: the ``x-fc-*`` headers of each request
(docs/reference/fc-runtime.md#requests-to-an-instance) and the platform environment variables
(docs/reference/fc-runtime.md#environment-variables).

Why a module of its own in the instance layer: the scheduler builds the headers for every request
and the local runtimes and the Docker driver build the environment — one definition keeps them
from drifting apart (they had: timeout formatting, retry count, initializer variables).
"""

from __future__ import annotations

from fcbackend.models import FunctionSpec


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def platform_environment(spec: FunctionSpec, instance_id: str, code_dir: str) -> dict[str, str]:
    """The FC_* / ALIBABA_CLOUD_* variables of docs/reference/fc-runtime.md#environment-variables for an
    instance whose code is at ``code_dir``; callers lay them over the function's own variables, so these
    win."""
    access_key_id, access_key_secret, security_token = spec.credentials
    return {
        "FC_FUNC_CODE_PATH": code_dir.rstrip("/") + "/",
        "FC_ACCOUNT_ID": spec.account_id,
        "FC_REGION": spec.region,
        "FC_FUNCTION_NAME": spec.function,
        "FC_FUNCTION_HANDLER": spec.handler,
        "FC_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "FC_SERVICE_NAME": spec.service,
        "FC_QUALIFIER": spec.qualifier or "LATEST",
        "FC_VER_ID": spec.version_id,
        "FC_FUNCTION_VERSION": spec.version_id,
        "FC_INSTANCE_ID": instance_id,
        "FC_CUSTOM_LISTEN_PORT": str(spec.ca_port),
        "FC_SERVER_PORT": str(spec.ca_port),
        "FC_RUNTIME": spec.runtime,
        "FC_HANDLER": spec.handler,
        "FC_TIMEOUT": _num(spec.timeout_s),
        "FC_MEMORY_SIZE": str(spec.memory_mb),
        "FC_INITIALIZER": spec.initializer or "",
        "FC_INITIALIZATION_TIMEOUT": _num(spec.initialization_timeout_s),
        "FC_SERVICE_LOG_PROJECT": spec.log_project,
        "FC_SERVICE_LOG_STORE": spec.log_store,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": access_key_secret,
        "ALIBABA_CLOUD_SECURITY_TOKEN": security_token,
        "accessKeyID": access_key_id,
        "accessKeySecret": access_key_secret,
        "securityToken": security_token,
    }


PER_REQUEST = ("x-fc-request-id", "x-fc-retry-count")


def static_head(spec: FunctionSpec, control_path: str, instance_id: str) -> bytes:
    """The :func:`common_headers` that do not change from one request to the next (all but
    :data:`PER_REQUEST`), encoded as header lines. Why: an invoke sends two dozen x-fc-* headers;
    building and encoding them per request was ~5 % of the backend's CPU on the warm path, and an
    instance serves one function version for its whole life, so they are encoded once."""
    headers = common_headers(spec, "", control_path, 0, instance_id)
    for name in PER_REQUEST:
        del headers[name]
    return "".join(f"{name}: {_one_line(value)}\r\n" for name, value in headers.items()).encode(
        "latin-1", "replace"
    )


def _one_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


def common_headers(
    spec: FunctionSpec, request_id: str, control_path: str, retry_count: int = 0, instance_id: str = ""
) -> dict[str, str]:
    access_key_id, access_key_secret, security_token = spec.credentials
    return {
        "x-fc-request-id": request_id,
        "x-fc-access-key-id": access_key_id,
        "x-fc-access-key-secret": access_key_secret,
        "x-fc-security-token": security_token,
        "x-fc-function-handler": spec.handler,
        "x-fc-function-memory": str(spec.memory_mb),
        "x-fc-function-timeout": _num(spec.timeout_s),
        "x-fc-function-initializer": spec.initializer or "",
        "x-fc-initialization-timeout": _num(spec.initialization_timeout_s),
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
        "x-fc-control-path": control_path,
        "x-fc-retry-count": str(retry_count),
        "x-fc-instance-id": instance_id,
    }
