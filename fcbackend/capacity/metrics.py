"""Per-function metrics for ``ros fc metrics``: invocations, errors, throttles, cold starts,
p50/p99 durations, and instances by state.

Why a scheduler listener: every invocation — sync, async, http, timer — ends in the scheduler,
which calls its listeners with ``(spec, result)``; counting there sees everything once. Durations
keep the last ``window`` samples per function (a bounded ring), so memory stays flat however long
the backend runs.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fcbackend.models import FunctionSpec, InvocationResult

THROTTLE_CODES = frozenset({"ResourceExhausted", "ResourceThrottled"})


@dataclass
class FunctionMetrics:
    invocations: int = 0
    errors: int = 0
    throttles: int = 0
    cold_starts: int = 0
    durations: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))
    versions: Counter[str] = field(default_factory=Counter)


class MetricsCollector:
    def __init__(self, window: int = 10_000) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._by_function: dict[tuple[str, str], FunctionMetrics] = {}

    def __call__(self, spec: FunctionSpec, result: InvocationResult) -> None:
        self.record(spec, result)

    def record(self, spec: FunctionSpec, result: InvocationResult) -> None:
        key = (spec.service, spec.function)
        with self._lock:
            metrics = self._by_function.get(key)
            if metrics is None:
                metrics = self._by_function[key] = FunctionMetrics(durations=deque(maxlen=self._window))
            metrics.invocations += 1
            metrics.versions[result.version_id or spec.version_id] += 1
            if result.status == 429 or result.error_code in THROTTLE_CODES:
                metrics.throttles += 1
            elif not result.ok:
                metrics.errors += 1
            if result.cold:
                metrics.cold_starts += 1
            if result.duration_ms:
                metrics.durations.append(result.duration_ms)

    def snapshot(self, instances: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
        """One row per function, sorted by service then function."""
        by_state: dict[tuple[str, str], Counter[str]] = {}
        for inst in instances:
            key = (str(inst.get("service", "")), str(inst.get("function", "")))
            by_state.setdefault(key, Counter())[str(inst.get("state", "unknown"))] += 1
        with self._lock:
            keys = sorted(set(self._by_function) | set(by_state))
            rows = []
            for key in keys:
                m = self._by_function.get(key, FunctionMetrics())
                ordered = sorted(m.durations)
                rows.append(
                    {
                        "service": key[0],
                        "function": key[1],
                        "invocations": m.invocations,
                        "errors": m.errors,
                        "throttles": m.throttles,
                        "coldStarts": m.cold_starts,
                        "p50Ms": _percentile(ordered, 50),
                        "p99Ms": _percentile(ordered, 99),
                        "versions": dict(m.versions),
                        "instances": dict(by_state.get(key, Counter())),
                    }
                )
        return rows


def _percentile(ordered: list[float], pct: float) -> float | None:
    if not ordered:
        return None
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[index], 3)
