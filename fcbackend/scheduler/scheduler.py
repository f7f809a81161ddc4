"""The scheduler: finds or starts an instance for each invocation and keeps instances warm.

Why: FC's contract is per function version — instances are reused while warm, each takes up to
``instanceConcurrency`` requests at once, new ones start on demand up to the function's and the
account's limits, callers beyond that wait (bounded) or are throttled (429 ``ResourceExhausted``),
idle instances are stopped after a keep-alive (preStop first), the initializer runs exactly once
per instance, and a function that times out, runs out of memory or crashes costs that instance,
never the backend. This module is that policy; *how* an instance runs is the driver's business.

One :class:`asyncio.Condition` guards all bookkeeping (pools are tiny; a single lock keeps the
account-wide limit exact). Starting, initialising, invoking and stopping happen outside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import time
from pathlib import Path
from typing import Any

from fcbackend.instances.driver import (
    Instance,
    InstanceBadResponse,
    InstanceCrashed,
    InstanceDriver,
    InstanceLost,
)
from fcbackend.models import FunctionSpec, InstanceStartError, InvocationRequest, InvocationResult
from fcbackend.runtimes.fc_contract import static_head
from fcbackend.scheduler import protocol
from fcbackend.scheduler.port import Listener, LogListener
from fcbackend.scheduler.scheduler_config import SchedulerConfig
from fcbackend.scheduler.warm_instances import ManagedInstance, WarmInstancePool

log = logging.getLogger(__name__)


class Throttled(Exception):
    """No capacity and the wait queue is full, or the wait took too long."""


class Scheduler:
    def __init__(
        self,
        drivers: dict[str, InstanceDriver],
        *,
        default_driver: str,
        config: SchedulerConfig,
        state_dir: Path,
    ):
        if default_driver not in drivers:
            raise ValueError(f"default driver {default_driver!r} is not among {sorted(drivers)}")
        self.drivers = drivers
        self.default_driver = default_driver
        self.config = config
        self.state_dir = Path(state_dir)
        self._pools: dict[tuple[str, str, str, str], WarmInstancePool] = {}
        self._max_instances: dict[tuple[str, str], int | None] = {}
        self._listeners: list[Listener] = []
        self._log_listeners: list[LogListener] = []
        self._cond: asyncio.Condition | None = None
        self._tasks: set[asyncio.Task] = set()
        self._reaper: asyncio.Task | None = None
        self._closed = False
        self._counter = itertools.count(1)
        self._serving: dict[str, ManagedInstance] = {}  # request id -> instance (kill_request)
        for driver in drivers.values():
            driver.bind_retire(self.retire_instance)

    # ------------------------------------------------------------------ lifecycle

    @property
    def cond(self) -> asyncio.Condition:
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    async def start(self) -> None:
        for name, driver in self.drivers.items():
            try:
                reaped = await driver.reap_orphans()
                if reaped:
                    log.info("driver %s: cleaned up %d instances left by a previous backend", name, reaped)
            except Exception as exc:
                log.warning("driver %s: orphan cleanup failed: %s", name, exc)
        default = self.drivers[self.default_driver]
        for runtime in self.config.prewarm_runtimes:
            with contextlib.suppress(Exception):
                await default.prewarm(runtime)
        if self._reaper is None:
            self._reaper = asyncio.get_running_loop().create_task(self._reap_loop())

    async def close(self) -> None:
        """Stop every instance (preStop first) and close the drivers."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(BaseException):
                await self._reaper
        async with self.cond:
            victims = [inst for pool in self._pools.values() for inst in pool.instances]
            for inst in victims:
                inst.draining = True
            self.cond.notify_all()
        await asyncio.gather(*(self._stop(inst, graceful=True) for inst in victims), return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        for driver in self.drivers.values():
            with contextlib.suppress(Exception):
                await driver.close()

    def add_listener(self, fn: Listener) -> None:
        self._listeners.append(fn)

    def add_log_listener(self, fn: LogListener) -> None:
        """Called with a function's hook output (docs/reference/fc-runtime.md#lifecycle-hooks: hook logs go to
        the function log but are not invocations, so they cannot travel through :meth:`add_listener`)."""
        self._log_listeners.append(fn)

    def _emit_hook_log(self, spec: FunctionSpec, data: bytes) -> None:
        if not data:
            return
        for listener in list(self._log_listeners):
            try:
                listener(spec, data)
            except Exception as exc:
                log.warning("hook log listener failed: %s", exc)

    def set_max_instances(self, service: str, function: str, maximum: int | None) -> None:
        """FC's on-demand config (maximumInstanceCount) for a function; None = the default."""
        self._max_instances[(service, function)] = maximum

    # ------------------------------------------------------------------ invoke

    async def invoke(self, spec: FunctionSpec, req: InvocationRequest) -> InvocationResult:
        started = time.perf_counter()
        result = await self._invoke(spec, req)
        result.version_id = spec.version_id
        result.extra.setdefault("total_ms", (time.perf_counter() - started) * 1000)
        for listener in list(self._listeners):
            try:
                listener(spec, result)
            except Exception as exc:
                log.warning("invocation listener failed: %s", exc)
        return result

    async def _invoke(self, spec: FunctionSpec, req: InvocationRequest) -> InvocationResult:
        if self._closed:
            return protocol.error_result(
                req,
                spec,
                error_code="ServiceUnavailable",
                status=503,
                message="the FC backend is shutting down",
            )
        driver_name = self.driver_for(spec)
        if driver_name not in self.drivers:
            return protocol.error_result(
                req,
                spec,
                error_code="FunctionNotStarted" if spec.runtime == "custom-container" else "InvalidArgument",
                status=400 if spec.runtime != "custom-container" else 503,
                message=(
                    f"the {driver_name!r} driver needed for runtime {spec.runtime!r} is not available here"
                ),
            )
        try:
            inst, creator = await self._acquire(spec, driver_name, req.session_id)
        except Throttled as exc:
            return protocol.error_result(
                req, spec, error_code="ResourceExhausted", status=429, message=str(exc)
            )
        cold = inst.state == "starting"
        try:
            if creator:
                await self._start_instance(inst, req.request_id)
            else:
                await inst.ready.wait()
            if inst.start_error is not None:
                failure = inst.start_error
                return InvocationResult(
                    request_id=req.request_id,
                    status=failure.status,
                    body=failure.body,
                    headers=dict(failure.headers),
                    error_type=failure.error_type,
                    error_code=failure.error_code,
                    instance_id=inst.id,
                    version_id=spec.version_id,
                    cold=True,
                    log=failure.log,
                    init_ms=inst.init_ms,
                )
            result = await self._run(inst, spec, req)
            if spec.credentials_note:  # e.g. why its role gave the function no credentials
                result.log = f"[rosengine] {spec.credentials_note}\n".encode() + result.log
            result.cold = cold
            if cold:
                result.init_ms = inst.init_ms
            return result
        finally:
            await self._release(inst)

    def driver_for(self, spec: FunctionSpec) -> str:
        """Custom containers always run on Docker; built-in runtimes (GPU ones included: the
        sandbox binds the assigned device) on the default driver, which ``--driver docker`` makes
        Docker. A GPU function goes to Docker only when the default driver cannot host it."""
        if spec.runtime == "custom-container" or spec.image:
            return "docker"
        if spec.gpu is not None and not getattr(self.drivers.get(self.default_driver), "supports_gpu", False):
            return "docker"
        return self.default_driver

    async def _acquire(
        self, spec: FunctionSpec, driver_name: str, session_id: str | None = None
    ) -> tuple[ManagedInstance, bool]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.queue_timeout_s
        affine = session_id is not None and spec.session_affinity != "NONE"
        async with self.cond:
            pool = self._pools.setdefault(spec.key, WarmInstancePool(spec.key))
            pool.latest_spec = spec
            while True:
                self._retire_failed(pool)
                may_start = True
                if affine:
                    assert session_id is not None
                    inst, may_start = pool.pick_for_session(session_id, spec, self.config.clock())
                else:
                    inst = pool.pick()
                if inst is not None:
                    inst.in_flight += 1
                    if affine:
                        pool.sessions.bind(str(session_id), inst, self.config.clock())
                    return inst, False
                if may_start and self._may_start(pool, spec):
                    if self._account_count() >= self.config.account_instance_limit:
                        self._evict_idle_elsewhere(pool)
                    if self._account_count() < self.config.account_instance_limit:
                        inst = self._new_instance(spec, driver_name)
                        inst.in_flight = 1
                        pool.instances.append(inst)
                        if affine:
                            pool.sessions.bind(str(session_id), inst, self.config.clock())
                        return inst, True
                if pool.waiters >= self.config.queue_size:
                    raise Throttled(
                        f"function {spec.service}/{spec.function} is at its instance limit "
                        f"({self._limit_text(pool, spec)}) and {pool.waiters} requests are already waiting; "
                        "try again later"
                    )
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise Throttled(
                        f"no instance of {spec.service}/{spec.function} became free within "
                        f"{self.config.queue_timeout_s:g}s ({self._limit_text(pool, spec)})"
                    )
                pool.waiters += 1
                try:
                    await asyncio.wait_for(self.cond.wait(), remaining)
                except TimeoutError:
                    pass
                finally:
                    pool.waiters -= 1

    def _retire_failed(self, pool: WarmInstancePool) -> None:
        """Take instances that failed their health check (or died) out of service now, under the
        lock, so this call starts a replacement instead of waiting for the idle reaper. Busy ones
        finish their requests first (draining); idle ones are stopped at once, with preStop
        only when they are still alive."""
        for inst in pool.instances:
            if inst.state != "ready" or inst.instance is None:
                continue
            alive = inst.instance.alive()
            if alive and getattr(inst.instance, "healthy", True):
                continue
            if inst.in_flight == 0:
                self._retire(inst, graceful=alive)
            else:
                inst.draining = True

    def _limit_text(self, pool: WarmInstancePool, spec: FunctionSpec) -> str:
        maximum = self._function_limit(spec)
        own = f"{len(self._live(pool))}/{maximum}" if maximum is not None else f"{len(self._live(pool))}"
        return (
            f"instances of this function: {own}, of the account: "
            f"{self._account_count()}/{self.config.account_instance_limit}"
        )

    def _function_limit(self, spec: FunctionSpec) -> int | None:
        return self._max_instances.get((spec.service, spec.function), self.config.default_max_instances)

    @staticmethod
    def _live(pool: WarmInstancePool) -> list[ManagedInstance]:
        return [i for i in pool.instances if i.state in ("starting", "ready")]

    def _may_start(self, pool: WarmInstancePool, spec: FunctionSpec) -> bool:
        maximum = self._function_limit(spec)
        return maximum is None or len(self._live(pool)) < maximum

    def _account_count(self) -> int:
        return sum(1 for pool in self._pools.values() for i in pool.instances if i.state != "gone")

    def _evict_idle_elsewhere(self, pool: WarmInstancePool) -> None:
        """At the account limit, make room by stopping the longest-idle instance of another function."""
        candidates = [
            i
            for p in self._pools.values()
            if p is not pool
            for i in p.instances
            if i.state == "ready" and i.in_flight == 0 and not i.provisioned
        ]
        if not candidates:
            return
        # Cheap instances go first: a GPU instance (keep_warm) costs a CUDA start-up to replace.
        victim = min(candidates, key=lambda i: (getattr(i.instance, "keep_warm", False), i.last_used))
        self._retire(victim)

    def _new_instance(self, spec: FunctionSpec, driver_name: str) -> ManagedInstance:
        now = self.config.clock()
        instance_id = f"c-{secrets.token_hex(4)}-{next(self._counter):04d}"
        return ManagedInstance(instance_id, spec, driver_name, created=now, last_used=now)

    async def _start_instance(self, inst: ManagedInstance, request_id: str) -> None:
        """Start (driver) and initialise (once) an instance; failures land in ``start_error``."""
        spec = inst.spec
        driver = self.drivers[inst.driver_name]
        t0 = time.perf_counter()
        try:
            inst.instance = await driver.start(spec, inst.id)
            self._attach_hook_log(inst)
        except InstanceStartError as exc:
            inst.start_error = _start_failure(request_id, spec, exc.error_type, exc.message)
        except Exception as exc:
            log.exception("starting an instance of %s/%s failed", spec.service, spec.function)
            inst.start_error = _start_failure(
                request_id, spec, "FunctionNotStarted", f"the instance could not start: {exc}"
            )
        if inst.instance is not None and inst.start_error is None and spec.initializer:
            await self._initialize(inst, request_id)
        inst.init_ms = (time.perf_counter() - t0) * 1000
        async with self.cond:
            if inst.start_error is None:
                inst.state = "ready"
            else:
                self._retire(inst, graceful=False)
            inst.ready.set()
            self.cond.notify_all()

    def _attach_hook_log(self, inst: ManagedInstance) -> None:
        """Hooks the scheduler does not run itself (preFreeze, run by the idle-mode wrapper of
        fcbackend.capacity.idle) hand their output to ``on_hook_log`` when the instance has one."""
        if inst.instance is not None and hasattr(inst.instance, "on_hook_log"):
            spec = inst.spec
            inst.instance.on_hook_log = lambda data: self._emit_hook_log(spec, data)

    async def _initialize(self, inst: ManagedInstance, request_id: str) -> None:
        spec = inst.spec
        assert inst.instance is not None
        request = protocol.hook_request(spec, request_id, "/initialize", inst.id)
        timeout = spec.initialization_timeout_s
        try:
            response = await inst.instance.request(request, timeout)
        except TimeoutError:
            inst.start_error = _init_failure(
                request_id,
                spec,
                f"the initializer timed out after {_num(timeout)} seconds",
                inst.instance.take_logs(),
            )
            return
        except InstanceCrashed as exc:
            inst.start_error = _init_failure(
                request_id,
                spec,
                f"the instance died while running the initializer: {exc.reason}",
                inst.instance.take_logs(),
            )
            return
        except InstanceBadResponse as exc:
            inst.start_error = _init_failure(request_id, spec, str(exc), inst.instance.take_logs())
            return
        if protocol.failed(response):
            inst.start_error = InvocationResult(
                request_id,
                200,
                response.body,
                headers={"Content-Type": "application/json"},
                error_type=protocol.INITIALIZATION_ERROR,
                log=protocol.response_log(response) + inst.instance.take_logs(),
            )
            return
        # A successful initializer's "FC Initialize Start/End" lines and prints belong in the
        # function log too (the failure above carries them in the failed call's own log).
        self._emit_hook_log(spec, protocol.response_log(response) + inst.instance.take_logs())

    async def _run(
        self, inst: ManagedInstance, spec: FunctionSpec, req: InvocationRequest
    ) -> InvocationResult:
        instance = inst.instance
        assert instance is not None
        if inst.invoke_head is None or inst.head_credentials != spec.credentials:
            inst.invoke_head = static_head(spec, "/invoke", inst.id)
            inst.head_credentials = spec.credentials
        request = protocol.invocation_request(spec, req, inst.id, inst.invoke_head)
        if inst.in_flight == 1:
            instance.reset_peak()
        t0 = time.perf_counter()
        self._serving[req.request_id] = inst
        try:
            response = await instance.request(request, spec.timeout_s)
        except TimeoutError:
            duration = (time.perf_counter() - t0) * 1000
            stray = instance.take_logs()
            await self._kill(inst)
            result = protocol.error_result(
                req,
                spec,
                error_type=protocol.UNHANDLED,
                message=f"Function timed out after {_num(spec.timeout_s)} seconds",
            )
            result.log = (
                stray
                + (
                    f"FC Invoke Start RequestId: {req.request_id}\n"
                    f"Function timed out after {_num(spec.timeout_s)} seconds\n"
                    f"FC Invoke End RequestId: {req.request_id}\n"
                ).encode()
            )
            return self._finish(result, inst, duration, timed_out=True)
        except InstanceLost as exc:
            # The node went away with the instance: not the function's failure. A platform
            # error naming the node, which the async queue retries (on another node).
            duration = (time.perf_counter() - t0) * 1000
            await self._kill(inst)
            result = protocol.error_result(
                req, spec, error_code=protocol.INSTANCE_LOST, status=503, message=exc.reason
            )
            result.log = f"{exc.reason}\n".encode()
            return self._finish(result, inst, duration, lost_node=exc.node)
        except InstanceCrashed as exc:
            duration = (time.perf_counter() - t0) * 1000
            stray = instance.take_logs()
            await self._kill(inst)
            message = f"Process exited unexpectedly before completing request: {exc.reason}"
            result = protocol.error_result(req, spec, error_type=protocol.UNHANDLED, message=message)
            result.log = stray + f"{message}\n".encode()
            result.extra["oom"] = exc.oom
            if exc.oom:
                result.extra["memory_limit_mb"] = spec.memory_mb
            return self._finish(result, inst, duration, crashed=True)
        except InstanceBadResponse as exc:
            # The function answered more than FC passes on: refused, the instance keeps serving.
            duration = (time.perf_counter() - t0) * 1000
            result = protocol.error_result(req, spec, error_code="BadResponse", status=502, message=str(exc))
            result.log = instance.take_logs() + f"{exc}\n".encode()
            return self._finish(result, inst, duration)
        finally:
            self._serving.pop(req.request_id, None)
        duration = (time.perf_counter() - t0) * 1000
        result = protocol.to_result(spec, req, response)
        log_bytes = protocol.response_log(response)
        if inst.concurrency == 1 or not log_bytes:
            log_bytes += instance.take_logs()
        result.log = log_bytes
        return self._finish(result, inst, duration)

    def _finish(
        self, result: InvocationResult, inst: ManagedInstance, duration_ms: float, **extra: Any
    ) -> InvocationResult:
        result.instance_id = inst.id
        result.duration_ms = duration_ms
        if inst.instance is not None:
            with contextlib.suppress(Exception):
                result.memory_peak_mb = round(inst.instance.memory_peak_bytes() / (1024 * 1024), 2)
        result.extra.update(extra)
        result.extra["driver"] = inst.driver_name
        return result

    async def kill_request(self, request_id: str) -> bool:
        """Kill the instance serving ``request_id`` (a stopped async task); False if none is.
        (Added for the async queue's task stop.)"""
        inst = self._serving.get(request_id)
        if inst is None:
            return False
        await self._kill(inst)
        return True

    async def _kill(self, inst: ManagedInstance) -> None:
        async with self.cond:
            self._retire(inst, graceful=False)
            self.cond.notify_all()

    async def _release(self, inst: ManagedInstance) -> None:
        async with self.cond:
            inst.in_flight -= 1
            inst.last_used = self.config.clock()
            if inst.draining and inst.in_flight == 0 and inst.state in ("ready", "starting"):
                self._retire(inst)
            self.cond.notify_all()

    # ------------------------------------------------------------------ stopping

    def _retire(self, inst: ManagedInstance, graceful: bool = True) -> None:
        """Take an instance out of service now (under the lock) and stop it in the background."""
        if inst.state in ("stopping", "gone"):
            return
        inst.state = "stopping"
        task = asyncio.get_running_loop().create_task(self._stop(inst, graceful))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _stop(self, inst: ManagedInstance, graceful: bool) -> None:
        inst.state = "stopping"
        instance = inst.instance
        try:
            if instance is not None:
                if graceful and inst.spec.pre_stop_handler and instance.alive():
                    await self._pre_stop(inst, instance)
                try:
                    await instance.stop(graceful=graceful)
                except Exception as exc:
                    log.warning("stopping instance %s failed: %s", inst.id, exc)
        finally:
            async with self.cond:
                inst.state = "gone"
                pool = self._pools.get(inst.spec.key)
                if pool is not None and inst in pool.instances:
                    pool.instances.remove(inst)
                    pool.sessions.drop_instance(inst)
                    if not pool.instances and not pool.waiters and not pool.provisioned_target:
                        self._pools.pop(inst.spec.key, None)
                self.cond.notify_all()

    async def retire_instance(self, instance_id: str) -> bool:
        """Stop the idle instance ``instance_id`` now, preStop first, as the keep-alive does (a
        driver that needs its room asks); False when it is busy, or not running."""
        async with self.cond:
            managed = next(
                (m for pool in self._pools.values() for m in pool.instances if m.id == instance_id), None
            )
            if managed is None or managed.state != "ready" or managed.in_flight:
                return False
            managed.state = "stopping"
        await self._stop(managed, graceful=True)
        return True

    async def _pre_stop(self, inst: ManagedInstance, instance: Instance) -> None:
        """Run the preStop hook (limit 90 s, docs/reference/fc-runtime.md#lifecycle-hooks) and put what it
        printed, between the runtime's "FC PreStop Start/End" lines, in the function log. A hook that fails or
        times out still leaves its output and a line saying why; the instance is stopped either way."""
        request_id = f"prestop-{inst.id}"
        timeout = min(90.0, inst.spec.pre_stop_timeout_s)
        request = protocol.hook_request(inst.spec, request_id, "/pre-stop", inst.id)
        note = b""
        hook_log = b""
        try:
            response = await instance.request(request, timeout)
            hook_log = protocol.response_log(response)
            if protocol.failed(response):
                note = f"preStop handler of instance {inst.id} failed\n".encode()
        except TimeoutError:
            note = f"preStop handler of instance {inst.id} timed out after {_num(timeout)} seconds\n".encode()
        except Exception as exc:
            note = f"preStop handler of instance {inst.id} did not complete: {exc}\n".encode()
        with contextlib.suppress(Exception):
            hook_log += instance.take_logs()
        self._emit_hook_log(inst.spec, hook_log + note)

    async def evict(self, service: str, function: str | None = None) -> None:
        """Stop (preStop first) the instances of a service or function; busy ones when they finish."""
        async with self.cond:
            stopping: list[ManagedInstance] = []
            for key, pool in list(self._pools.items()):
                if key[0] != service or (function is not None and key[1] != function):
                    continue
                pool.provisioned_target = 0
                for inst in pool.instances:
                    inst.draining = True
                    if inst.in_flight == 0 and inst.state == "ready":
                        self._retire(inst)
                        stopping.append(inst)
            self.cond.notify_all()
        # wait for the idle ones so that a caller (update/delete) sees them gone
        pending = [t for t in self._tasks]
        if stopping and pending:
            await asyncio.gather(*pending, return_exceptions=True)

    # ------------------------------------------------------------------ keep-alive

    async def _reap_loop(self) -> None:
        while not self._closed:
            await asyncio.sleep(self.config.reap_interval())
            try:
                await self.reap_idle()
            except Exception as exc:
                log.warning("idle reaper failed: %s", exc)

    async def reap_idle(self, now: float | None = None) -> int:
        """Stop instances idle longer than the keep-alive; returns how many were retired."""
        current = self.config.clock() if now is None else now
        retired = 0
        async with self.cond:
            for pool in self._pools.values():
                for inst in list(pool.instances):
                    if inst.state != "ready" or inst.in_flight or inst.provisioned:
                        continue
                    healthy = inst.instance is None or getattr(inst.instance, "healthy", True)
                    alive = inst.instance is not None and inst.instance.alive()
                    keep = self.config.keep_alive_s
                    if inst.instance is not None and getattr(inst.instance, "keep_warm", False):
                        keep = self.config.keep_warm_keep_alive_s
                    if current - inst.last_used >= keep or not healthy or not alive:
                        self._retire(inst, graceful=alive)
                        retired += 1
            if retired:
                self.cond.notify_all()
        return retired

    # ------------------------------------------------------------------ provisioned

    async def set_provisioned(self, spec: FunctionSpec, target: int) -> None:
        """Keep ``target`` instances of ``spec`` warm (exempt from keep-alive, used first)."""
        target = max(0, int(target))
        driver_name = self.driver_for(spec)
        to_start: list[ManagedInstance] = []
        async with self.cond:
            pool = self._pools.setdefault(spec.key, WarmInstancePool(spec.key))
            pool.latest_spec = spec
            pool.provisioned_target = target
            # Expensive-to-start instances (GPU: keep_warm) are the first to become provisioned.
            live = sorted(self._live(pool), key=lambda i: not getattr(i.instance, "keep_warm", False))
            for index, inst in enumerate(live):
                inst.provisioned = index < target
            missing = target - len(live)
            while (
                missing > 0
                and self._account_count() < self.config.account_instance_limit
                and driver_name in self.drivers
            ):
                inst = self._new_instance(spec, driver_name)
                inst.provisioned = True
                pool.instances.append(inst)
                to_start.append(inst)
                missing -= 1
        for inst in to_start:
            task = asyncio.get_running_loop().create_task(self._start_instance(inst, f"provision-{inst.id}"))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if to_start:
            await asyncio.gather(*(inst.ready.wait() for inst in to_start))

    # ------------------------------------------------------------------ introspection

    def running_instance(self, instance_id: str) -> ManagedInstance | None:
        for pool in self._pools.values():
            for managed in pool.instances:
                if managed.id == instance_id:
                    alive = managed.instance is not None and managed.instance.alive()
                    return managed if managed.state == "ready" and alive else None
        return None

    def now(self) -> float:
        return self.config.clock()

    def instances(self) -> list[dict[str, Any]]:
        rows = []
        for pool in self._pools.values():
            for inst in pool.instances:
                memory = 0
                if inst.instance is not None:
                    with contextlib.suppress(Exception):
                        memory = inst.instance.stats().memory_current_bytes
                rows.append(
                    {
                        "id": inst.id,
                        "service": inst.spec.service,
                        "function": inst.spec.function,
                        "version": inst.spec.version_id,
                        "qualifier": inst.spec.qualifier,
                        "driver": inst.driver_name,
                        "node": inst.instance.node if inst.instance is not None else "",
                        "state": _shown_state(inst),
                        "healthy": inst.instance is None or bool(getattr(inst.instance, "healthy", True)),
                        "started": inst.started_wall,
                        "last_used": inst.last_used,
                        "in_flight": inst.in_flight,
                        "provisioned": inst.provisioned,
                        "memory": memory,
                    }
                )
        return rows


def _shown_state(inst: ManagedInstance) -> str:
    """The state ``ros fc instances`` shows: a "ready" instance that failed its health check (or
    died) is "unhealthy", one that finishes its requests before it stops is "draining" — neither
    gets new requests, so showing them as "ready" would mislead."""
    if inst.state != "ready":
        return inst.state
    if inst.instance is not None and not (inst.instance.alive() and getattr(inst.instance, "healthy", True)):
        return "unhealthy"
    return "draining" if inst.draining else inst.state


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


_PLATFORM_CODES = {
    "InvalidArgument": 400,
    "ResourceExhausted": 429,
    "ServiceUnavailable": 503,
    "InternalServerError": 500,
}


def _start_failure(request_id: str, spec: FunctionSpec, error_type: str, message: str) -> InvocationResult:
    """A start failure: platform codes (bad runtime, no GPU room) vs the function not starting."""
    req = InvocationRequest(request_id)
    if error_type in _PLATFORM_CODES:
        return protocol.error_result(
            req, spec, error_code=error_type, status=_PLATFORM_CODES[error_type], message=message
        )
    return protocol.error_result(req, spec, error_type=error_type or "FunctionNotStarted", message=message)


def _init_failure(request_id: str, spec: FunctionSpec, message: str, log_bytes: bytes) -> InvocationResult:
    result = protocol.error_result(
        InvocationRequest(request_id), spec, error_type=protocol.INITIALIZATION_ERROR, message=message
    )
    result.log = log_bytes
    return result
