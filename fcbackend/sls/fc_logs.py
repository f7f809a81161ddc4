"""FC's ``logConfig``: every function's log lines shipped to the SLS twin, with FC's fields.

Why a scheduler listener with a buffer: the listener runs after every invocation on the event
loop, so it only appends the finished call's output to memory; a background thread writes the
buffer to the SLS store every ``flush_interval_s`` (and readers flush first, so a GetLogs right
after an invocation sees its lines). The function log files that ``ros fc logs`` reads are written
by the invocation recorder as before; this is a second copy, in SLS.

Each line of output becomes one log (what FC's ``logBeginRule: None`` does), with the fields FC
documents (https://www.alibabacloud.com/help/en/functioncompute/fc/logging-2, FC 2.0:
https://www.alibabacloud.com/help/doc-detail/171396.htm): ``message``, ``serviceName``,
``functionName``, ``qualifier``, ``versionId``, and these INFERRED ones: ``instanceID`` (the
instance), ``requestId`` (the invocation; empty for lifecycle-hook output), ``__source__`` (the
instance id). ``__topic__`` is the service name for FC 2.0 (the FC 2.0 documentation); for an FC
3.0 function (stored as service ``fc3~<function>``) it is ``FCLogs:<function>``, which the current
documentation tells users to search for (INFERRED: the two documents describe the two versions).

A project or logstore that no longer exists (deleted after the service was configured) drops the
lines with one warning in the backend log; the function log file still has them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fcbackend.models import FunctionSpec, InvocationResult
from fcbackend.sls.errors import SlsError
from fcbackend.sls.service import SlsService
from fcbackend.sls.store import LogEntry

FC3_STORAGE_PREFIX = "fc3~"  # how the backend stores an FC 3.0 function: service "fc3~<function>"
MAX_BUFFERED_BYTES = 64 * 1024 * 1024
_log = logging.getLogger("fcbackend.sls")


@dataclass(frozen=True)
class _Output:
    spec: FunctionSpec
    request_id: str
    instance_id: str
    version_id: str
    data: bytes
    time: float


def log_entries(output: _Output) -> list[LogEntry]:
    """One log per line of ``output``, with FC's fields (see the module docstring)."""
    spec = output.spec
    fc3 = spec.service.startswith(FC3_STORAGE_PREFIX)
    topic = f"FCLogs:{spec.function}" if fc3 else spec.service
    seconds = int(output.time)
    nanos = int((output.time - seconds) * 1e9)
    common: tuple[tuple[str, str], ...] = (
        ("functionName", spec.function),
        ("qualifier", spec.qualifier or "LATEST"),
        ("versionId", output.version_id or spec.version_id),
        ("instanceID", output.instance_id),
        ("requestId", output.request_id),
    )
    if not fc3:
        common = (("serviceName", spec.service), *common)
    text = output.data.decode("utf-8", "replace")
    return [
        LogEntry(
            time=seconds,
            time_ns=nanos,
            topic=topic,
            source=output.instance_id,
            fields=(*common, ("message", line)),
        )
        for line in text.splitlines()
        if line.strip()
    ]


class FcLogShipper:
    """Collects function output (:meth:`record`, :meth:`record_hook_output`) and writes it to the
    logstore of the function's ``logConfig`` off the event loop."""

    def __init__(
        self, service: SlsService, flush_interval_s: float = 0.2, now: Callable[[], float] = time.time
    ):
        self.service = service
        self.now = now
        self._interval = flush_interval_s
        self._pending: list[_Output] = []
        self._pending_bytes = 0
        self._dropped = 0
        self._warned: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sls-fc-logs", daemon=True)
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
            except Exception:  # a full disk must not end the shipping thread
                _log.exception("shipping function logs to SLS failed")

    def _add(self, output: _Output) -> None:
        if not output.spec.log_project or not output.spec.log_store or not output.data:
            return
        with self._lock:
            if self._pending_bytes + len(output.data) > MAX_BUFFERED_BYTES:
                self._dropped += 1
                return
            self._pending.append(output)
            self._pending_bytes += len(output.data)

    def record(self, spec: FunctionSpec, result: InvocationResult) -> None:
        """Scheduler listener: the output of one finished invocation (cheap, never blocks)."""
        self._add(
            _Output(
                spec, result.request_id, result.instance_id or "", result.version_id, result.log, self.now()
            )
        )

    def record_hook_output(self, spec: FunctionSpec, data: bytes) -> None:
        """Output of lifecycle hooks (initializer, preStop ...), outside any invocation."""
        self._add(_Output(spec, "", "", spec.version_id, data, self.now()))

    def flush(self) -> None:
        with self._flush_lock:
            with self._lock:
                pending, self._pending, self._pending_bytes = self._pending, [], 0
                dropped, self._dropped = self._dropped, 0
            if dropped:
                _log.warning(
                    "dropped the output of %d invocations: the SLS shipping buffer was full", dropped
                )
            batches: dict[tuple[str, str], list[LogEntry]] = {}
            for output in pending:
                key = (output.spec.log_project, output.spec.log_store)
                batches.setdefault(key, []).extend(log_entries(output))
            for (project, logstore), entries in batches.items():
                try:
                    self.service.put_logs(project, logstore, entries)
                except SlsError as exc:
                    if (project, logstore) not in self._warned:
                        self._warned.add((project, logstore))
                        _log.warning(
                            "function logs for %s/%s are dropped: %s", project, logstore, exc.message
                        )
