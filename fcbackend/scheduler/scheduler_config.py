"""Settings of the scheduler (warm pool, limits, keep-alive).

Why a dataclass of its own: the backend's CLI, the tests and the benchmark all tune the same knobs;
defaults follow docs/reference/fc-runtime.md#limits,
docs/reference/fc-api.md#provisioned-and-on-demand-instances where FC has a number and say why where it does
not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class SchedulerConfig:
    # Instances per account across all functions (FC docs say 300, newer ones 100:
    # docs/reference/fc-runtime.md#limits).
    account_instance_limit: int = 300
    # Default per-function instance limit (FC's on-demand config; None = unlimited).
    default_max_instances: int | None = None
    # Callers waiting for capacity per function; beyond that: 429 ResourceExhausted at once.
    queue_size: int = 100
    # How long a queued caller waits for capacity before it gets ResourceExhausted.
    queue_timeout_s: float = 30.0
    # Idle instances are stopped (preStop first) after this long without a request.
    keep_alive_s: float = 300.0
    # Instances marked keep_warm by their driver (GPU containers) are kept this long.
    keep_warm_keep_alive_s: float = 1800.0
    # How often the idle reaper looks; None = a quarter of keep_alive_s, at most 5 s.
    reap_interval_s: float | None = None
    # Generic pre-started workers per (runtime, disk, network) kind for the local drivers.
    pool_size: int = 2
    # Process + thread limit per instance (docs/reference/fc-runtime.md#limits: 1,024).
    pids_max: int = 1024
    # Runtimes whose pools are filled when the scheduler starts.
    prewarm_runtimes: tuple[str, ...] = ("python3",)
    # Time source for keep-alive decisions (tests inject one).
    clock: Callable[[], float] = field(default=time.monotonic)

    def reap_interval(self) -> float:
        if self.reap_interval_s is not None:
            return self.reap_interval_s
        return max(0.01, min(self.keep_alive_s / 4, 5.0))
