"""Runs the jq programs of ``Fn::Jq`` in a helper process, within the template's time budget.

Why a process: a jq program is a full language — ``def f: f; f`` never ends and
``[range(0; 1e10)]`` eats all memory — and the ``jq`` binding runs it inside C code that holds the
GIL, so no thread can interrupt it. Here each program runs in one long-lived worker (``python -m
rosengine.functions.jq_runner``, started on the first Fn::Jq, ~50 ms once; each call then costs a
pipe round trip of well under a millisecond, compiled programs cached there).

Limits: the caller gives each call the time its template has left (one budget for all Fn::Jq
calls of a template, :func:`rosengine.limits.jq_seconds`); a call that runs past it kills the
worker and the next call starts a fresh one. The worker is a guarded helper
(:mod:`rosengine.helper_process`): it dies with its parent, its address space is capped at
:data:`~rosengine.limits.HELPER_MEMORY_BYTES`, and each request sets its processor-time limit, so a
runaway program ends even if nobody waits for it. Answers longer than
:data:`~rosengine.limits.JQ_OUTPUT_BYTES` are refused by the worker and never read whole here.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import threading
from functools import lru_cache
from typing import Any

from rosengine.helper_process import guard_helper, limit_cpu, start_helper
from rosengine.limits import HELPER_MEMORY_BYTES, JQ_OUTPUT_BYTES, jq_seconds


class JqFailure(Exception):
    """The program did not compile (``kind == "compile"``), failed while running ("run"), ran out
    of time ("timeout"), out of memory or processor time ("memory"), or answered too much
    ("output")."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class JqRunner:
    """The client side: one worker process, one request at a time (a lock; jq calls are rare)."""

    def __init__(self, timeout_s: float | None = None) -> None:
        """``timeout_s``: each call's limit when the caller gives none (default ROS_JQ_TIMEOUT_S)."""
        self.timeout_s = jq_seconds() if timeout_s is None else timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._owner = os.getpid()  # a forked child must not share its parent's worker
        self._lock = threading.Lock()

    def run(self, script: str, document: Any, timeout: float | None = None) -> list[Any]:
        """All outputs of ``script`` over ``document`` (a decoded JSON value), within ``timeout``
        seconds (raises JqFailure "timeout" past it)."""
        timeout = self.timeout_s if timeout is None else timeout
        request = json.dumps({"script": script, "input": document, "seconds": timeout}).encode() + b"\n"
        with self._lock:
            process = self._worker()
            assert process.stdin is not None and process.stdout is not None
            try:
                process.stdin.write(request)
                process.stdin.flush()
            except BrokenPipeError:
                self._stop()
                raise JqFailure("run", "the jq worker exited unexpectedly") from None
            ready, _, _ = select.select([process.stdout], [], [], timeout)
            if not ready:
                self._stop()
                raise JqFailure("timeout", f"the jq program did not finish within {timeout:g} s")
            line = process.stdout.readline(JQ_OUTPUT_BYTES + 1024)
            if not line.endswith(b"\n"):
                code = self._stop()
                if line:
                    raise JqFailure("output", f"the jq output is larger than {JQ_OUTPUT_BYTES:,} bytes")
                reason = "processor time" if code == -signal.SIGXCPU else "memory, or it crashed"
                raise JqFailure("memory", f"the jq program was stopped (out of {reason})")
        answer = json.loads(line)
        if "error" in answer:
            raise JqFailure(answer["kind"], answer["error"])
        outputs: list[Any] = answer["outputs"]
        return outputs

    def _worker(self) -> subprocess.Popen[bytes]:
        if self._owner != os.getpid():  # inherited through fork: leave the parent's worker alone
            self._process, self._owner = None, os.getpid()
        if self._process is None or self._process.poll() is not None:
            self._process = start_helper(
                [sys.executable, "-m", "rosengine.functions.jq_runner"], memory_bytes=HELPER_MEMORY_BYTES
            )
        return self._process

    def _stop(self) -> int | None:
        process, self._process = self._process, None
        if process is None:
            return None
        process.kill()
        code = process.wait()
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()
        return code

    def close(self) -> None:
        with self._lock:
            self._stop()

    @property
    def pid(self) -> int | None:
        """The worker's process id, while one runs (tests watch it)."""
        return self._process.pid if self._process is not None else None


_runner: JqRunner | None = None
_runner_lock = threading.Lock()


def runner() -> JqRunner:
    """The process-wide :class:`JqRunner` (its worker starts on first use, and is stopped when the
    process exits normally; otherwise the helper's guards end it)."""
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = JqRunner()
            atexit.register(_runner.close)
        return _runner


def run_jq(script: str, document: Any, timeout: float) -> list[Any]:
    """Run through the process-wide :class:`JqRunner`."""
    return runner().run(script, document, timeout)


# -- the worker ---------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _compiled(script: str) -> Any:
    import jq

    return jq.compile(script)


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    try:
        program = _compiled(request["script"])
    except ValueError as exc:
        return {"error": str(exc), "kind": "compile"}
    try:
        return {"outputs": program.input_value(request["input"]).all()}
    except MemoryError:
        return {
            "error": f"the jq program ran out of memory (limit {HELPER_MEMORY_BYTES // 1024**2} MB)",
            "kind": "memory",
        }
    except ValueError as exc:
        return {"error": str(exc), "kind": "run"}


def _encode(answer: dict[str, Any]) -> str:
    try:
        data = json.dumps(answer)
    except (TypeError, ValueError) as exc:
        return json.dumps({"error": f"the jq output cannot be returned: {exc}", "kind": "run"})
    except MemoryError:
        data = ""
    if not data or len(data) > JQ_OUTPUT_BYTES:
        return json.dumps(
            {"error": f"the jq output is larger than {JQ_OUTPUT_BYTES:,} bytes", "kind": "output"}
        )
    return data


def serve() -> None:
    """The worker loop: one JSON request per line on stdin, one JSON answer per line on stdout."""
    guard_helper()
    for line in sys.stdin.buffer:
        request = json.loads(line)
        limit_cpu(float(request.get("seconds", 10)))
        sys.stdout.write(_encode(_answer(request)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
