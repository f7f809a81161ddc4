"""Shared helpers of the instance, scheduler and limits tests: real drivers, real processes.

Each test builds a small scheduler over a temporary state directory (pool of one worker, no
prewarm, so only what a test needs is started) and runs its coroutine with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import shutil
import textwrap
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from fcbackend.instances.cgroups import CgroupManager
from fcbackend.instances.process import ProcessDriver
from fcbackend.instances.sandbox import SandboxDriver, bubblewrap_works
from fcbackend.models import FunctionSpec, HttpRequestInfo, InvocationRequest, InvocationResult
from fcbackend.scheduler import Scheduler, SchedulerConfig

T = TypeVar("T")

BWRAP_OK, BWRAP_WHY = bubblewrap_works()
requires_bwrap = pytest.mark.skipif(not BWRAP_OK, reason=f"bubblewrap unusable: {BWRAP_WHY}")
requires_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
_CGROUPS = CgroupManager("probe-only")
CGROUPS_OK = _CGROUPS.available
requires_cgroups = pytest.mark.skipif(not CGROUPS_OK, reason="cgroups are not writable here (need root)")
DRIVERS = [pytest.param("sandbox", marks=[requires_bwrap, pytest.mark.bwrap]), "process"]


def write_code(root: Path, files: dict[str, str], name: str = "code") -> Path:
    code = root / name
    code.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = code / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        if rel == "bootstrap":
            path.chmod(0o755)
    return code


def make_spec(
    code_dir: Path | None,
    runtime: str = "python3",
    handler: str = "index.handler",
    function: str | None = None,
    **overrides: Any,
) -> FunctionSpec:
    fields: dict[str, Any] = dict(
        service="svc",
        function=function or f"fn-{uuid.uuid4().hex[:6]}",
        version_id="LATEST",
        qualifier="LATEST",
        runtime=runtime,
        handler=handler,
        code_dir=code_dir,
        code_checksum=uuid.uuid4().hex[:8],
        credentials=("AKID", "SECRET", "TOKEN"),
    )
    fields.update(overrides)
    return FunctionSpec(**fields)


def request(payload: bytes = b"", *, http: HttpRequestInfo | None = None) -> InvocationRequest:
    return InvocationRequest(request_id=str(uuid.uuid4()), payload=payload, http=http)


def make_driver(kind: str, state_dir: Path, **kwargs: Any):
    cls = SandboxDriver if kind == "sandbox" else ProcessDriver
    kwargs.setdefault("pool_size", 1)
    return cls(state_dir, **kwargs)


@asynccontextmanager
async def scheduler(
    state_dir: Path, driver: str = "sandbox", *, pids_max: int = 1024, **config: Any
) -> AsyncIterator[Scheduler]:
    config.setdefault("prewarm_runtimes", ())
    config.setdefault("pool_size", 1)
    cfg = SchedulerConfig(pids_max=pids_max, **config)
    drv = make_driver(driver, state_dir, pool_size=cfg.pool_size, pids_max=pids_max)
    sched = Scheduler({driver: drv}, default_driver=driver, config=cfg, state_dir=state_dir)
    await sched.start()
    try:
        yield sched
    finally:
        await sched.close()


def run(coro_fn: Callable[[], Awaitable[T]], timeout: float = 60) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro_fn(), timeout)

    return asyncio.run(bounded())


async def wait_until(predicate: Callable[[], bool], timeout: float = 10, interval: float = 0.01) -> bool:
    """Poll a condition with a deadline (never a bare sleep as synchronisation)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return predicate()


def error_doc(result: InvocationResult) -> dict:
    import json

    return json.loads(result.body)
