"""Invocation records and function logs, written in batches off the request path.

Why batched: the warm path must add well under a millisecond, and a SQLite commit or a file append
per call costs more than that. :meth:`InvocationRecorder.record` (a scheduler listener) only
appends to in-memory buffers; a background thread flushes them every ``flush_interval_s`` (and on
:meth:`flush`, which readers call first so they see every finished call).
Logs go to ``<logs>/<service>/<function>.log``, one file per function, as the instance wrote them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from fcbackend.models import FunctionSpec, InvocationResult
from fcbackend.store.db import MetadataStore

_COLUMNS = (
    "request_id",
    "time",
    "service",
    "function",
    "qualifier",
    "version",
    "instance_id",
    "cold",
    "init_ms",
    "duration_ms",
    "memory_mb",
    "status",
    "error",
)
_INSERT = f"INSERT INTO invocation_log ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
# The whole batch as one statement over a JSON array of rows. Why: executemany binds and steps
# row by row, releasing and re-taking the GIL around every step, so a flush of a few hundred rows
# made the request thread hand the GIL over hundreds of times (futex storms under load). One
# json.dumps (C) and one step (SQLite's json1, no GIL) make a flush a single hand-over.
_INSERT_BATCH = (
    f"INSERT INTO invocation_log ({', '.join(_COLUMNS)}) SELECT "
    + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(_COLUMNS)))
    + " FROM json_each(?)"
)


def _safe_component(name: str) -> str:
    return name.replace("/", "_").replace("\x00", "_") or "_"


def log_path(logs_dir: Path, service: str, function: str) -> Path:
    return logs_dir / _safe_component(service) / f"{_safe_component(function)}.log"


class InvocationRecorder:
    def __init__(self, meta: MetadataStore, logs_dir: Path, flush_interval_s: float = 0.2):
        self._meta = meta
        self._logs_dir = logs_dir
        self._interval = flush_interval_s
        self._rows: list[tuple[Any, ...]] = []
        self._logs: dict[tuple[str, str], list[bytes]] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._batch_json = True

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
        error = result.error_code or result.error_type
        row = (
            result.request_id,
            time.time(),
            spec.service,
            spec.function,
            spec.qualifier,
            result.version_id or spec.version_id,
            result.instance_id,
            int(result.cold),
            result.init_ms,
            result.duration_ms,
            result.memory_peak_mb,
            result.status,
            error,
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
        with self._flush_lock:
            with self._lock:
                rows, self._rows = self._rows, []
                logs, self._logs = self._logs, {}
            if rows:
                self._insert(rows)
            for (service, function), chunks in logs.items():
                path = log_path(self._logs_dir, service, function)
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "ab") as fh:
                    for chunk in chunks:
                        fh.write(chunk if chunk.endswith(b"\n") else chunk + b"\n")

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        if self._batch_json:
            try:
                self._meta.execute_in_transaction(_INSERT_BATCH, (json.dumps(rows),))
                return
            except sqlite3.OperationalError:  # an SQLite built without json1
                self._batch_json = False
        self._meta.executemany(_INSERT, rows)

    def query(
        self, service: str | None = None, function: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Most recent invocations first, as camelCase dicts."""
        self.flush()
        sql = f"SELECT {', '.join(_COLUMNS)} FROM invocation_log"
        where, params = [], []
        if service:
            where.append("service=?")
            params.append(service)
        if function:
            where.append("function=?")
            params.append(function)
        if where:
            sql += " WHERE " + " AND ".join(where)
        # rowid order is recording order; a request id recorded twice (a retried async call)
        # shows once, its newest record. Over-fetch a little so duplicates rarely cost a re-query.
        sql += " ORDER BY rowid DESC LIMIT ?"
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        fetch = limit + 16
        while True:
            rows = self._meta.execute(sql, (*params, fetch))
            out.clear()
            seen.clear()
            for row in rows:
                if row[0] in seen:
                    continue
                seen.add(row[0])
                out.append(self._as_api(row))
                if len(out) == limit:
                    return out
            if len(rows) < fetch:
                return out
            fetch *= 4

    @staticmethod
    def _as_api(row: tuple[Any, ...]) -> dict[str, Any]:
        rec = dict(zip(_COLUMNS, row, strict=True))
        return {
            "requestId": rec["request_id"],
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(rec["time"]))
            + f".{int(rec['time'] * 1000) % 1000:03d}Z",
            "serviceName": rec["service"],
            "functionName": rec["function"],
            "qualifier": rec["qualifier"],
            "versionId": rec["version"],
            "instanceId": rec["instance_id"],
            "coldStart": bool(rec["cold"]),
            "initDurationMs": rec["init_ms"],
            "durationMs": rec["duration_ms"],
            "maxMemoryUsageMb": rec["memory_mb"],
            "status": rec["status"],
            "error": rec["error"],
        }

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
