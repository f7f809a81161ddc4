"""Invocation records and function logs, written in batches off the request path.

Why batched: the warm path must add well under a millisecond, and a database commit or a file
append per call costs more than that. :meth:`InvocationRecorder.record` (a scheduler listener) only
appends to in-memory buffers; a background thread writes them every ``flush_interval_s`` (and on
:meth:`InvocationRecorder.flush`, which readers call first so they see every finished call).

What a crash can lose (docs/design/storage.md#what-a-crash-can-lose): a record waits in the buffer at
most one flush interval (0.2 s by default) plus the time a flush takes, so a kill -9 of the backend
loses the records of sync invocations that finished within that window before it. Async
invocations lose none: the queue flushes before it commits an attempt's outcome, so an invocation
it shows as finished always has its record.
Logs go to ``<logs>/<service>/<function>.log``, one file per function, as the instance wrote them.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from fcbackend.models import FunctionSpec, InvocationResult
from fcbackend.store.invocation_log import InvocationLog, InvocationRecord, InvocationRow


def _safe_component(name: str) -> str:
    return name.replace("/", "_").replace("\x00", "_") or "_"


def log_path(logs_dir: Path, service: str, function: str) -> Path:
    return logs_dir / _safe_component(service) / f"{_safe_component(function)}.log"


class InvocationRecorder:
    def __init__(self, log: InvocationLog, logs_dir: Path, flush_interval_s: float = 0.2):
        self.log = log
        self._logs_dir = logs_dir
        self._interval = flush_interval_s
        self._rows: list[InvocationRow] = []
        self._logs: dict[tuple[str, str], list[bytes]] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="fc-recorder", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.flush()
            except Exception:  # never let a full disk kill the recorder thread
                time.sleep(self._interval)

    def record(self, spec: FunctionSpec, result: InvocationResult) -> None:
        """Scheduler listener: remember one finished invocation (cheap, never blocks on I/O)."""
        row: InvocationRow = (
            result.request_id,
            time.time(),
            spec.service,
            spec.function,
            spec.qualifier,
            result.version_id or spec.version_id,
            result.instance_id,
            result.cold,
            result.init_ms,
            result.duration_ms,
            result.memory_peak_mb,
            result.status,
            result.error_code or result.error_type,
        )
        with self._lock:
            self._rows.append(row)
            if result.log:
                self._logs.setdefault((spec.service, spec.function), []).append(result.log)

    def append_log(self, service: str, function: str, data: bytes) -> None:
        """Add lines that did not come from an invocation (hooks, platform messages)."""
        if data:
            with self._lock:
                self._logs.setdefault((service, function), []).append(data)

    def flush(self) -> None:
        """Write everything recorded so far; when this returns, those records are committed."""
        with self._flush_lock:
            with self._lock:
                rows, self._rows = self._rows, []
                logs, self._logs = self._logs, {}
            if rows:
                self.log.append(rows)
            for (service, function), chunks in logs.items():
                path = log_path(self._logs_dir, service, function)
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "ab") as fh:
                    for chunk in chunks:
                        fh.write(chunk if chunk.endswith(b"\n") else chunk + b"\n")

    def query(
        self, service: str | None = None, function: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Most recent invocations first, as camelCase dicts."""
        self.flush()
        return [_as_api(record) for record in self.log.recent(service, function, limit)]

    def read_log(
        self, service: str, function: str, offset: int = 0, limit: int = 1 << 20
    ) -> tuple[bytes, int]:
        """Bytes of the function's log from ``offset`` (at most ``limit``) and the next offset."""
        self.flush()
        path = log_path(self._logs_dir, service, function)
        try:
            with open(path, "rb") as fh:
                size = fh.seek(0, 2)
                if offset < 0:
                    offset = max(0, size + offset)
                offset = min(offset, size)
                fh.seek(offset)
                data = fh.read(limit)
        except FileNotFoundError:
            return b"", 0
        return data, offset + len(data)


def _as_api(record: InvocationRecord) -> dict[str, Any]:
    return {
        "requestId": record.request_id,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.time))
        + f".{int(record.time * 1000) % 1000:03d}Z",
        "serviceName": record.service,
        "functionName": record.function,
        "qualifier": record.qualifier,
        "versionId": record.version,
        "instanceId": record.instance_id,
        "coldStart": bool(record.cold),
        "initDurationMs": record.init_ms,
        "durationMs": record.duration_ms,
        "maxMemoryUsageMb": record.memory_mb,
        "status": record.status,
        "error": record.error,
    }
