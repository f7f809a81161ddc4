"""Plain data passed between the FC backend's layers (API -> scheduler -> driver -> instance).

Why here: the REST layer (``fcbackend/api``), the scheduler (``fcbackend/scheduler``), the drivers
(``fcbackend/instances``) and the async queue (``fcbackend/asyncq``) are built separately; these
dataclasses are the whole of what they agree on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class GpuRequest:
    memory_mb: int  # gpuMemorySize
    instance_type: str = ""  # fc.gpu.tesla.1 / fc.gpu.ampere.1 / fc.gpu.ada.1 / g1


@dataclass(frozen=True)
class HealthCheck:
    http_get_url: str
    initial_delay_s: float = 0
    period_s: float = 3
    timeout_s: float = 1
    failure_threshold: int = 3
    success_threshold: int = 1


@dataclass(frozen=True)
class FunctionSpec:
    """Everything needed to start and drive an instance of one function version.

    Built by the API layer from the store, for a resolved qualifier (LATEST or a version id).
    ``code_dir`` is the unpacked, content-addressed code (read-only); ``layer_dirs`` are unpacked
    layers in the function's order (first wins when merged at /opt).
    """

    service: str
    function: str
    version_id: str  # "LATEST" or a published version id
    qualifier: str  # what the caller asked for (alias, version, LATEST)
    runtime: str
    handler: str
    code_dir: Path | None
    code_checksum: str = ""
    layer_dirs: tuple[Path, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    memory_mb: int = 128
    cpu: float | None = None
    disk_mb: int = 512
    timeout_s: float = 3
    initializer: str | None = None
    initialization_timeout_s: float = 3
    pre_stop_handler: str | None = None
    pre_stop_timeout_s: float = 3
    pre_freeze_handler: str | None = None
    instance_concurrency: int = 1
    internet_access: bool = True
    ca_port: int = 9000
    custom_command: tuple[str, ...] = ()  # custom runtime/container command + args
    image: str | None = None  # custom-container image
    web_server_mode: bool = True
    health_check: HealthCheck | None = None
    gpu: GpuRequest | None = None
    instance_type: str = "e1"
    region: str = "cn-hangzhou"
    account_id: str = "1234567890123456"
    role: str = ""
    log_project: str = ""
    log_store: str = ""
    credentials: tuple[str, str, str] = ("", "", "")  # access key id, secret, security token
    # Host directories bound into the instance (FC 3.0 nasConfig / ossMountConfig):
    # (source on the host, directory inside the instance, read-only).
    mounts: tuple[tuple[str, str, bool], ...] = ()
    # FC 3.0 session affinity: "NONE", "HEADER_FIELD" or "GENERATED_COOKIE"; requests of one
    # session (InvocationRequest.session_id) go to one instance (fcbackend.scheduler.affinity).
    session_affinity: str = "NONE"
    affinity_header: str = ""  # HEADER_FIELD: the request header carrying the session id
    sessions_per_instance: int = 20
    session_ttl_s: float = 21600.0
    session_idle_s: float = 1800.0

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Instances are pooled per (service, function, version, code checksum)."""
        return (self.service, self.function, self.version_id, self.code_checksum)


@dataclass
class InstanceRequest:
    """One custom-runtime protocol request to an instance
    (docs/reference/fc-runtime.md#requests-to-an-instance)."""

    method: str  # "POST" for /invoke and /initialize, "GET" for /pre-stop, any for http-invoke
    path: str  # "/invoke", "/initialize", "/pre-stop", or the HTTP path for http-invoke
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    control_path: str = "/invoke"  # x-fc-control-path: /invoke, /http-invoke, /initialize, /pre-stop
    query: str = ""
    # Header lines already encoded (``name: value\r\n`` each) that go before ``headers`` on the
    # wire: the x-fc-* set that is the same for every request an instance gets, encoded once per
    # instance (see fcbackend.scheduler.protocol). ``headers`` then holds only the per-request ones.
    static_head: bytes = b""


@dataclass
class InstanceResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpRequestInfo:
    """An HTTP-trigger / custom-domain request forwarded to a function."""

    method: str
    path: str  # after the /proxy/<svc>/<fn> prefix
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    client_ip: str = "127.0.0.1"
    host: str = ""
    request_uri: str = ""


@dataclass
class InvocationRequest:
    request_id: str
    payload: bytes = b""
    invocation_type: str = "Sync"  # Sync | Async
    log_tail: bool = False
    http: HttpRequestInfo | None = None
    retry_count: int = 0
    task_id: str | None = None
    session_id: str | None = None  # session affinity: same id, same instance


@dataclass
class InvocationResult:
    """What the scheduler returns for one invocation; the API maps it to FC's HTTP response."""

    request_id: str
    status: int  # HTTP status for the caller (200 even for function errors, as FC does)
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    error_type: str | None = None  # UnhandledInvocationError, HandledInvocationError, ...
    error_code: str | None = None  # FC error code for platform errors (ResourceExhausted ...)
    instance_id: str | None = None
    version_id: str = "LATEST"
    cold: bool = False
    init_ms: float = 0.0
    duration_ms: float = 0.0
    memory_peak_mb: float = 0.0
    log: bytes = b""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_type is None and self.error_code is None and self.status < 400
