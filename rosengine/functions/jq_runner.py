"""Runs the jq programs of ``Fn::Jq`` in a helper process, with a time and memory limit.

Why a process: a jq program is a full language — ``def f: f; f`` never ends and
``[range(0; 1e10)]`` eats all memory — and the ``jq`` binding runs it inside C code that a thread
cannot interrupt. Evaluated in our own process, one such template hung ``ros validate`` in CI and
``ros stack create`` past its ``--timeout-mins``. Here each program runs in one long-lived worker
(``python -m rosengine.functions.jq_runner``, started on the first Fn::Jq, ~50 ms once; each call
then costs a pipe round trip of well under a millisecond, compiled programs cached there). A call
that takes longer than :data:`TIMEOUT_S` (``ROS_JQ_TIMEOUT_S``) kills the worker and fails with a
clear error; the next call starts a fresh worker. The worker's address space is capped at
:data:`MEMORY_LIMIT_BYTES`, so a memory-hungry program fails inside it instead of swapping the
machine.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
from functools import lru_cache
from typing import Any

TIMEOUT_S = float(os.environ.get("ROS_JQ_TIMEOUT_S", "10"))
MEMORY_LIMIT_BYTES = 2 * 1024**3


class JqFailure(Exception):
    """The program did not compile (``kind == "compile"``), failed while running ("run"), ran out
    of time ("timeout") or out of memory ("memory")."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class JqRunner:
    """The client side: one worker process, one request at a time (a lock; jq calls are rare)."""

    def __init__(self, timeout_s: float = TIMEOUT_S):
        self.timeout_s = timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def run(self, script: str, document: Any) -> list[Any]:
        """All outputs of ``script`` over ``document`` (a decoded JSON value)."""
        request = json.dumps({"script": script, "input": document}).encode() + b"\n"
        with self._lock:
            process = self._worker()
            assert process.stdin is not None and process.stdout is not None
            try:
                process.stdin.write(request)
                process.stdin.flush()
            except BrokenPipeError:
                self._stop()
                raise JqFailure("run", "the jq worker exited unexpectedly") from None
            ready, _, _ = select.select([process.stdout], [], [], self.timeout_s)
            if not ready:
                self._stop()
                raise JqFailure(
                    "timeout", f"the jq program did not finish within {self.timeout_s:g} s (ROS_JQ_TIMEOUT_S)"
                )
            line = process.stdout.readline()
            if not line:
                self._stop()
                raise JqFailure("memory", "the jq program was stopped (out of memory or crashed)")
        answer = json.loads(line)
        if "error" in answer:
            raise JqFailure(answer["kind"], answer["error"])
        return answer["outputs"]

    def _worker(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "rosengine.functions.jq_runner"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        return self._process

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()

    def close(self) -> None:
        with self._lock:
            self._stop()


_runner: JqRunner | None = None
_runner_lock = threading.Lock()


def run_jq(script: str, document: Any) -> list[Any]:
    """Run through the process-wide :class:`JqRunner` (started on first use)."""
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = JqRunner()
        runner = _runner
    return runner.run(script, document)


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
            "error": f"the jq program ran out of memory (limit {MEMORY_LIMIT_BYTES // 1024**2} MB)",
            "kind": "memory",
        }
    except ValueError as exc:
        return {"error": str(exc), "kind": "run"}


def serve() -> None:
    """The worker loop: one JSON request per line on stdin, one JSON answer per line on stdout."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    except (ImportError, ValueError, OSError):
        pass  # no limit where the platform has none
    for line in sys.stdin.buffer:
        answer = _answer(json.loads(line))
        try:
            data = json.dumps(answer)
        except (TypeError, ValueError) as exc:
            data = json.dumps({"error": f"the jq output cannot be returned: {exc}", "kind": "run"})
        sys.stdout.write(data + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
