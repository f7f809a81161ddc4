"""Runs accepted async invocations: claims due events, invokes, retries, stops, expires.

Why this shape: the REST layer only has to make an event durable (:meth:`AsyncDispatcher.submit`
returns once the row is fsync'd, so the 202 is honest) and can forget it. The dispatcher is the
single consumer; it finds due work in the store, so everything it needs survives a restart —
events that were running when the backend died are re-queued by :meth:`AsyncQueueStore.recover`
(at-least-once delivery) and ids are unique, so a resubmitted id is never queued twice.

An attempt's outcome is committed only after the invocation's record is (``persist_records``, the
recorder's flush): a kill -9 right after the queue shows an invocation finished cannot lose the
record ``ros fc invocations`` lists. A kill in between re-runs the invocation (it was still
Running), which at-least-once allows, and the log shows the request once (newest record wins;
docs/design/storage.md#what-a-crash-can-lose).

All waiting goes through the injected :class:`~fcbackend.clock.Clock`, so tests drive retries and
back-off by advancing a manual clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar, cast

from fcbackend.asyncq.async_invoke_config import AsyncInvokeConfig
from fcbackend.asyncq.destinations import destination_record, parse_function_arn
from fcbackend.asyncq.records import FINISHED, AsyncEvent, AsyncSubmission, TaskStatus
from fcbackend.asyncq.retry import (
    FUNCTION_ERROR_BASE_S,
    THROTTLE_BASE_S,
    Outcome,
    classify,
    function_error_decision,
    throttle_decision,
)
from fcbackend.asyncq.store import AsyncQueueStore
from fcbackend.clock import DEFAULT_CLOCK, Clock, wait_event
from fcbackend.models import InvocationRequest, InvocationResult

log = logging.getLogger(__name__)
_T = TypeVar("_T")

InvokeTarget = Callable[[str, str, str, InvocationRequest], Awaitable[InvocationResult]]
"""(service, function, qualifier, request) -> result. Raise :class:`TargetGone` when the
service/function/qualifier no longer exists."""

ConfigLookup = Callable[[str, str, str], AsyncInvokeConfig]
Interrupt = Callable[[str], Awaitable[bool | None]]
"""Called with the request id of a running invocation that a user stopped: kill its instance.
Returns True when killed, False when no instance serves it yet (still starting: asked again
shortly), None when the scheduler cannot kill by request (the invocation is cancelled instead)."""


class TargetGone(Exception):
    """The function an event was accepted for was deleted before it ran (task status Invalid)."""


class AsyncDispatcher:
    def __init__(
        self,
        store: AsyncQueueStore,
        invoke: InvokeTarget,
        *,
        persist_records: Callable[[], None] | None = None,
        clock: Clock = DEFAULT_CLOCK,
        concurrency: int = 32,
        config_for: ConfigLookup | None = None,
        interrupt: Interrupt | None = None,
        region: str = "cn-hangzhou",
        account_id: str = "1234567890123456",
        function_error_base_s: float = FUNCTION_ERROR_BASE_S,
        throttle_base_s: float = THROTTLE_BASE_S,
    ) -> None:
        self.store = store
        self._invoke = invoke
        self._persist_records = persist_records
        self.clock = clock
        self.concurrency = concurrency
        self._config_for = config_for or (lambda s, f, q: AsyncInvokeConfig())
        self._interrupt = interrupt
        self._region = region
        self._account_id = account_id
        self._function_error_base_s = function_error_base_s
        self._throttle_base_s = throttle_base_s
        self._wake = asyncio.Event()
        self._changed = asyncio.Condition()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._stopping: set[str] = set()
        self._pending: list[tuple[AsyncSubmission, asyncio.Future[bool]]] = []
        self._flushing = False
        self._outcomes: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._committer: asyncio.Task[None] | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._closing = False
        self.recovered = 0

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self.recovered = await asyncio.to_thread(self.store.recover, self.clock.time())
        if self.recovered:
            log.info("re-queued %d async invocations that were running at the last shutdown", self.recovered)
        self._loop_task = asyncio.create_task(self._run(), name="asyncq-dispatcher")

    async def close(self) -> None:
        """Stop dispatching. Invocations still running stay ``Running`` in the store and are
        re-queued at the next start (at-least-once)."""
        self._closing = True
        self._wake.set()
        tasks = [t for t in (self._loop_task, *self._running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._committer is not None:  # outcomes already handed over are written, not dropped
            await asyncio.gather(self._committer, return_exceptions=True)

    # -- intake -------------------------------------------------------------------------------

    async def submit(self, submission: AsyncSubmission) -> bool:
        """Make the submission durable; True if new, False if its id was already accepted."""
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((submission, fut))
        if not self._flushing:
            self._flushing = True
            asyncio.create_task(self._flush())
        return await fut

    async def _flush(self) -> None:
        """Group commit: everyone who submitted while the previous fsync ran shares the next."""
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    created = await asyncio.to_thread(
                        self.store.insert_many, [s for s, _ in batch], self.clock.time()
                    )
                except Exception as exc:  # a full disk must fail the callers, not vanish
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(exc)
                    continue
                for (_, fut), fresh in zip(batch, created, strict=True):
                    if not fut.done():
                        fut.set_result(fresh)
                self._wake.set()
        finally:
            self._flushing = False

    # -- tasks API ----------------------------------------------------------------------------

    def get(self, invocation_id: str) -> AsyncEvent | None:
        return self.store.get(invocation_id)

    async def stop(self, invocation_id: str) -> TaskStatus | None:
        """Stop a task. Returns its status before the call (None: unknown id). A finished task
        is left alone (the API answers 412 StatefulAsyncInvocationAlreadyCompleted)."""
        before = await asyncio.to_thread(self.store.request_stop, invocation_id, self.clock.time())
        if before == TaskStatus.RUNNING:
            task = self._running.get(invocation_id)
            event = self.store.get(invocation_id)
            self._stopping.add(invocation_id)
            if task is not None and event is not None:
                if not await self._kill_until_done(event.request_id, task):
                    task.cancel()
            else:  # not ours (e.g. claimed by a process that died): settle it now
                if event is not None:
                    await asyncio.to_thread(
                        self.store.finish,
                        event,
                        TaskStatus.STOPPED,
                        self.clock.time(),
                        error_message="stopped by user",
                    )
        await self._notify()
        return before

    async def _kill_until_done(self, request_id: str, task: asyncio.Task[None]) -> bool:
        """Ask the scheduler to kill the instance serving ``request_id``. An instance still
        cold-starting serves nothing yet, so keep asking (in the background) until the kill lands
        or the attempt ends: cancelling a cold start half-way would strand the instance.
        False: the scheduler cannot kill by request (the caller cancels the attempt instead)."""
        if self._interrupt is None:
            return False
        try:
            killed = await self._interrupt(request_id)
        except Exception:
            log.exception("stopping request %s: the scheduler could not kill its instance", request_id)
            return False
        if killed is None:
            return False
        if not killed and not task.done():
            asyncio.create_task(self._kill_until_done_later(request_id, task))
        return True

    async def _kill_until_done_later(self, request_id: str, task: asyncio.Task[None]) -> None:
        while not task.done():
            await asyncio.wait({task}, timeout=0.05)
            if task.done():
                return
            with contextlib.suppress(Exception):
                if await self._interrupt(request_id):  # type: ignore[misc]
                    return

    async def wait_for(self, invocation_ids: Iterable[str], timeout: float = 30.0) -> list[AsyncEvent]:
        """Wait (real time) until all these events have finished; for tests and benchmarks."""
        ids = list(invocation_ids)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            events = [self.store.get(i) for i in ids]
            if all(e is not None and e.status in FINISHED for e in events):
                return [e for e in events if e is not None]
            remaining = deadline - loop.time()
            if remaining <= 0:
                pending = [
                    i for i, e in zip(ids, events, strict=True) if e is None or e.status not in FINISHED
                ]
                raise TimeoutError(f"{len(pending)} async invocations still unfinished, e.g. {pending[:3]}")
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))

    # -- the loop -----------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._closing:
            self._wake.clear()
            free = self.concurrency - len(self._running)
            if free > 0:
                try:
                    to_run, expired = await asyncio.to_thread(self.store.claim_due, self.clock.time(), free)
                except Exception:
                    log.exception("async queue: cannot claim events")
                    to_run, expired = [], []
                for event in expired:
                    asyncio.create_task(self._after_final(event, "EventAgeExceeded", None))
                for event in to_run:
                    self._running[event.invocation_id] = asyncio.create_task(self._attempt(event))
                if to_run and len(to_run) == free:
                    continue
                next_due = await asyncio.to_thread(self.store.next_due)
                timeout = None if next_due is None else max(0.0, next_due - self.clock.time())
            else:
                timeout = None
            await wait_event(self.clock, self._wake, timeout)

    async def _attempt(self, event: AsyncEvent) -> None:
        request = InvocationRequest(
            request_id=event.request_id,
            payload=event.payload,
            invocation_type="Async",
            http=event.http,
            retry_count=event.attempts - 1,
            task_id=event.invocation_id if event.stateful else None,
        )
        try:
            try:
                result = await self._invoke(event.service, event.function, event.qualifier, request)
            except asyncio.CancelledError:
                if event.invocation_id in self._stopping:
                    await asyncio.to_thread(
                        self.store.finish,
                        event,
                        TaskStatus.STOPPED,
                        self.clock.time(),
                        error_message="stopped by user",
                    )
                    return
                raise
            except TargetGone as exc:
                await self._final(
                    event, TaskStatus.INVALID, None, str(exc) or "function not found", condition=None
                )
                return
            except Exception as exc:  # a broken invoke path must not kill the dispatcher
                log.exception("async invocation %s failed in the backend", event.invocation_id)
                await self._final(
                    event, TaskStatus.FAILED, None, f"internal error: {exc}", condition="PlatformError"
                )
                return
            if event.invocation_id in self._stopping:  # stopped while it ran: the kill won the race
                await self._commit_outcome(
                    self.store.finish,
                    event,
                    TaskStatus.STOPPED,
                    self.clock.time(),
                    error_message="stopped by user",
                    instance_id=result.instance_id,
                )
                return
            await self._settle(event, result)
        finally:
            self._running.pop(event.invocation_id, None)
            self._stopping.discard(event.invocation_id)
            self._wake.set()
            await self._notify()

    async def _settle(self, event: AsyncEvent, result: InvocationResult) -> None:
        now = self.clock.time()
        outcome = classify(result)
        message = _error_message(result)
        common = {
            "instance_id": result.instance_id,
            "duration_ms": result.duration_ms,
            "version_id": result.version_id,
        }
        if outcome is Outcome.SUCCEEDED:
            await self._final(event, TaskStatus.SUCCEEDED, result, None, condition="Success", **common)
            return
        if outcome is Outcome.FUNCTION_ERROR:
            decision = function_error_decision(
                event.attempts, event.max_retry_attempts, self._function_error_base_s
            )
            if decision.retry and now + decision.delay_s < event.created + event.max_event_age_s:
                await self._commit_outcome(
                    self.store.retry_later,
                    event,
                    now + decision.delay_s,
                    now,
                    error_message=message,
                    **common,
                )
                return
            await self._final(
                event, TaskStatus.FAILED, result, message, condition="RetriesExhausted", **common
            )
            return
        if outcome is Outcome.THROTTLED:
            event.throttles += 1
            decision = throttle_decision(
                event.throttles, now - event.created, event.max_event_age_s, self._throttle_base_s
            )
            if decision.retry:
                # a throttled try does not count as an attempt of the function
                await self._commit_outcome(
                    self.store.retry_later,
                    event,
                    now + decision.delay_s,
                    now,
                    error_message=message,
                    throttles=event.throttles,
                    attempts=event.attempts - 1,
                )
                return
            await self._final(event, TaskStatus.FAILED, result, message, condition="Throttled", **common)
            return
        if outcome is Outcome.INVALID:
            await self._final(event, TaskStatus.INVALID, result, message, condition=None, **common)
            return
        await self._final(event, TaskStatus.FAILED, result, message, condition="PlatformError", **common)

    async def _final(
        self,
        event: AsyncEvent,
        status: TaskStatus,
        result: InvocationResult | None,
        message: str | None,
        *,
        condition: str | None,
        **fields: object,
    ) -> None:
        now = self.clock.time()
        body = result.body if result is not None else b""
        done = await self._commit_outcome(
            self.store.finish, event, status, now, error_message=message, return_payload=body, **fields
        )
        if done and condition is not None:
            event.status = status
            await self._after_final(event, condition, result)

    async def _commit_outcome(self, write: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Run a store write that settles an attempt once the invocation records taken so far,
        this attempt's included, are committed (module doc). Outcomes that arrive while others
        are being written share the next commit: one records flush and one queue transaction for
        the group, as the intake shares an fsync."""
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._outcomes.append((functools.partial(write, *args, **kwargs), fut))
        if self._committer is None:
            self._committer = asyncio.create_task(self._commit_outcomes(), name="asyncq-outcomes")
        return cast(_T, await fut)

    async def _commit_outcomes(self) -> None:
        try:
            while self._outcomes:
                batch, self._outcomes = self._outcomes, []
                try:
                    results = await asyncio.to_thread(self._write_outcomes, [write for write, _ in batch])
                except Exception as exc:
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(exc)
                    continue
                for (_, fut), result in zip(batch, results, strict=True):
                    if not fut.done():
                        fut.set_result(result)
        finally:
            self._committer = None

    def _write_outcomes(self, writes: list[Callable[[], Any]]) -> list[Any]:
        if self._persist_records is not None:
            try:
                self._persist_records()
            except Exception:
                log.exception("cannot write invocation records: outcomes stay uncommitted (re-run later)")
                raise
        with self.store.transaction():
            return [write() for write in writes]

    async def _after_final(self, event: AsyncEvent, condition: str, result: InvocationResult | None) -> None:
        success = condition == "Success"
        arn = event.on_success if success else event.on_failure
        if not arn:
            return
        now = self.clock.time()
        record = destination_record(
            event,
            condition=condition,
            now=now,
            status_code=result.status if result is not None else 0,
            function_error=(result.error_type or result.error_code) if result is not None else None,
            response=result.body if result is not None else b"",
            region=self._region,
            account_id=self._account_id,
        )
        try:
            target = parse_function_arn(arn)
            if target is not None:
                config = self._config_for(target.service, target.function, target.qualifier)
                delivery_id = str(uuid.uuid4())
                await self.submit(
                    AsyncSubmission(
                        invocation_id=delivery_id,
                        request_id=delivery_id,
                        service=target.service,
                        function=target.function,
                        qualifier=target.qualifier,
                        payload=json.dumps(record).encode(),
                        max_retry_attempts=config.max_retry_attempts,
                        max_event_age_s=config.max_event_age_s,
                        on_success=config.on_success,
                        on_failure=config.on_failure,
                    )
                )
            await asyncio.to_thread(
                self.store.record_delivery, event.invocation_id, condition, arn, record, now
            )
            await asyncio.to_thread(self.store.set_destination_status, event.invocation_id, "Succeeded")
        except Exception:
            log.exception("async destination %s for %s failed", arn, event.invocation_id)
            await asyncio.to_thread(self.store.set_destination_status, event.invocation_id, "Failed")

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def _error_message(result: InvocationResult) -> str:
    if result.error_code:
        return f"{result.error_code}: {_short(result.body)}"
    if result.error_type:
        try:
            parsed = json.loads(result.body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and parsed.get("errorMessage"):
            return f"{result.error_type}: {parsed['errorMessage']}"
        return f"{result.error_type}: {_short(result.body)}"
    return f"HTTP {result.status}: {_short(result.body)}"


def _short(body: bytes, limit: int = 512) -> str:
    return body[:limit].decode("utf-8", errors="replace")
