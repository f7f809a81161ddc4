"""The durable async queue: retries, back-off, expiry, destinations, tasks, restart recovery."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from fcbackend.asyncq import (
    AsyncDispatcher,
    AsyncInvokeConfig,
    AsyncSubmission,
    IntakeError,
    SqliteAsyncQueueStore,
    TargetGone,
    TaskStatus,
    build_submission,
    validate_async_config,
)
from fcbackend.clock import ManualClock, settle
from fcbackend.models import InvocationRequest, InvocationResult
from sqlstore import SqliteDatabase


def run(coro: Awaitable[object]) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


class FakeFunctions:
    """Plays the scheduler: answers per function with a scripted list of results."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, InvocationRequest]] = []
        self.scripts: dict[str, list[InvocationResult]] = {}
        self.blockers: dict[str, asyncio.Event] = {}
        self.started: dict[str, asyncio.Event] = {}

    async def invoke(
        self, service: str, function: str, qualifier: str, req: InvocationRequest
    ) -> InvocationResult:
        self.calls.append((service, function, qualifier, req))
        if function == "gone":
            raise TargetGone("function gone was deleted")
        if function in self.blockers:
            self.started.setdefault(function, asyncio.Event()).set()
            await self.blockers[function].wait()
        script = self.scripts.get(function)
        if script:
            return script.pop(0)
        return InvocationResult(request_id=req.request_id, status=200, body=b"ok:" + req.payload)

    def calls_to(self, function: str) -> list[InvocationRequest]:
        return [c[3] for c in self.calls if c[1] == function]


def ok() -> InvocationResult:
    return InvocationResult(request_id="r", status=200, body=b"fine")


def function_error() -> InvocationResult:
    return InvocationResult(
        request_id="r", status=200, body=b'{"errorMessage": "boom"}', error_type="UnhandledInvocationError"
    )


def throttled() -> InvocationResult:
    return InvocationResult(request_id="r", status=429, body=b"busy", error_code="ResourceExhausted")


def submission(i: str, function: str = "fn", **kw: object) -> AsyncSubmission:
    return AsyncSubmission(
        invocation_id=i, request_id=i, service="svc", function=function, payload=b"p-" + i.encode(), **kw
    )  # type: ignore[arg-type]


def with_dispatcher(
    tmp_path: Path,
    body: Callable[[AsyncDispatcher, FakeFunctions, ManualClock], Awaitable[None]],
    **kw: object,
) -> None:
    async def main() -> None:
        clock = ManualClock()
        fake = FakeFunctions()
        dispatcher = AsyncDispatcher(
            SqliteAsyncQueueStore(SqliteDatabase(tmp_path / "async.db")), fake.invoke, clock=clock, **kw
        )  # type: ignore[arg-type]
        await dispatcher.start()
        try:
            await body(dispatcher, fake, clock)
        finally:
            await dispatcher.close()
            dispatcher.store.close()

    run(main())


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.002)


def test_accepted_event_runs_once_and_succeeds(tmp_path: Path) -> None:
    async def body(d: AsyncDispatcher, fake: FakeFunctions, clock: ManualClock) -> None:
        assert await d.submit(submission("a")) is True
        assert await d.submit(submission("a")) is False  # same id: not queued twice
        [event] = await d.wait_for(["a"], timeout=5)
        assert event.status is TaskStatus.SUCCEEDED
        assert event.return_payload == b"ok:p-a"
        assert len(fake.calls_to("fn")) == 1
        assert fake.calls_to("fn")[0].invocation_type == "Async"

    with_dispatcher(tmp_path, body)


def test_an_outcome_is_committed_only_after_the_invocation_records(tmp_path: Path) -> None:
    """The records are made durable (the recorder's flush) while the event is still Running in
    the store, for a success as for a retry: a kill between the two re-runs the invocation
    rather than showing it finished without its record."""
    seen: list[tuple[str, str]] = []
    dispatcher: list[AsyncDispatcher] = []

    def persist_records() -> None:
        for invocation_id in ("ok", "retried"):
            event = dispatcher[0].store.get(invocation_id)
            if event is not None and event.status is TaskStatus.RUNNING:
                seen.append((invocation_id, str(event.status)))

    async def body(d: AsyncDispatcher, fake: FakeFunctions, clock: ManualClock) -> None:
        dispatcher.append(d)
        fake.scripts["flaky"] = [function_error()]
        await d.submit(submission("ok"))
        await d.wait_for(["ok"], timeout=5)
        await d.submit(submission("retried", function="flaky"))
        await until(lambda: d.get("retried").status is TaskStatus.RETRYING)  # type: ignore[union-attr]
        assert seen == [("ok", "Running"), ("retried", "Running")]

    with_dispatcher(tmp_path, body, persist_records=persist_records)


def test_function_errors_retry_max_attempts_then_fail_with_backoff(tmp_path: Path) -> None:
    async def body(d: AsyncDispatcher, fake: FakeFunctions, clock: ManualClock) -> None:
        fake.scripts["fn"] = [function_error() for _ in range(10)]
        await d.submit(submission("e", max_retry_attempts=2))
        await until(lambda: len(fake.calls_to("fn")) == 1)
        await until(lambda: d.get("e").status is TaskStatus.RETRYING)  # type: ignore[union-attr]
        clock.advance(0.9)
        await settle()
        assert len(fake.calls_to("fn")) == 1  # first retry waits 1 s
        clock.advance(0.2)
        await until(lambda: len(fake.calls_to("fn")) == 2)
        await until(lambda: d.get("e").status is TaskStatus.RETRYING)  # type: ignore[union-attr]
        clock.advance(2.0)  # second retry after 2 s
        [event] = await d.wait_for(["e"], timeout=5)
        assert event.status is TaskStatus.FAILED
        assert [r.retry_count for r in fake.calls_to("fn")] == [0, 1, 2]
        assert event.already_retried == 2
        assert "boom" in (event.error_message or "")

    with_dispatcher(tmp_path, body)


def test_throttling_backs_off_exponentially_from_half_a_second(tmp_path: Path) -> None:
    async def body(d: AsyncDispatcher, fake: FakeFunctions, clock: ManualClock) -> None:
        fake.scripts["fn"] = [throttled(), throttled(), ok()]
        await d.submit(submission("t", max_retry_attempts=0))
        await until(lambda: d.get("t").status is TaskStatus.RETRYING)  # type: ignore[union-attr]
        assert d.get("t").next_at == pytest.approx(clock.time() + 0.5)  # type: ignore[union-attr]
        clock.advance(0.5)
        await until(lambda: len(fake.calls_to("fn")) == 2)
        await until(lambda: d.get("t").status is TaskStatus.RETRYING)  # type: ignore[union-attr]
        assert d.get("t").next_at == pytest.approx(clock.time() + 1.0)  # type: ignore[union-attr]
        clock.advance(1.0)
        [event] = await d.wait_for(["t"], timeout=5)
        # throttles are not function errors: max_retry_attempts=0 does not stop them
        assert event.status is TaskStatus.SUCCEEDED

    with_dispatcher(tmp_path, body)


def test_platform_errors_are_not_retried(tmp_path: Path) -> None:
    async def body(d: AsyncDispatcher, fake: FakeFunctions, clock: ManualClock) -> None:
        fake.scripts["fn"] = [
            InvocationResult(request_id="r", status=503, body=b"x", error_code="ResourceThrottled")
        ]
        await d.submit(submission("p"))
        [event] = await d.wait_for(["p"], timeout=5)
        assert event.status is TaskStatus.FAILED
        assert len(fake.calls_to("fn")) == 1

    with_dispatcher(tmp_path, body)


def test_events_older_than_max_age_expire(tmp_path: Path) -> None:
    async def body(d: AsyncDispatcher, fake: FakeFunctions, clock: ManualClock) -> None:
        await d.submit(submission("old", max_event_age_s=10, delay_s=60))
        clock.advance(61)
        [event] = await d.wait_for(["old"], timeout=5)
        assert event.status is TaskStatus.EXPIRED
        assert fake.calls_to("fn") == []

    with_dispatcher(tmp_path, body)


def test_deleted_function_makes_task_invalid(tmp_path: Path) -> None:
    async def body(d: AsyncDispatcher, fake: FakeFunctions, clock: ManualClock) -> None:
        await d.submit(submission("g", function="gone", stateful=True))
        [event] = await d.wait_for(["g"], timeout=5)
        assert event.status is TaskStatus.INVALID

    with_dispatcher(tmp_path, body)


def test_destinations_invoke_a_function_with_the_invocation_record(tmp_path: Path) -> None:
    arn_ok = "acs:fc:cn-hangzhou:123:services/svc.LATEST/functions/on-ok"
    arn_fail = "acs:mns:cn-hangzhou:123:/queues/dead/messages"

    async def body(d: AsyncDispatcher, fake: FakeFunctions, clock: ManualClock) -> None:
        fake.scripts["bad"] = [function_error()]
        await d.submit(submission("s1", on_success=arn_ok, on_failure=arn_fail))
        await d.submit(
            submission("f1", function="bad", max_retry_attempts=0, on_success=arn_ok, on_failure=arn_fail)
        )
        await d.wait_for(["s1", "f1"], timeout=5)
        await until(lambda: len(fake.calls_to("on-ok")) == 1)
        record = json.loads(fake.calls_to("on-ok")[0].payload)
        assert record["requestContext"]["condition"] == "Success"
        assert record["requestContext"]["requestId"] == "s1"
        assert record["requestContext"]["approximateInvokeCount"] == 1
        assert record["requestContext"]["functionArn"].endswith("services/svc.LATEST/functions/fn")
        assert record["requestPayload"] == "p-s1"
        assert record["responsePayload"] == "ok:p-s1"
        failed = d.store.deliveries("f1")
        assert [x["destination"] for x in failed] == [arn_fail]
        assert failed[0]["payload"]["requestContext"]["condition"] == "RetriesExhausted"
        assert failed[0]["payload"]["responseContext"]["functionError"] == "UnhandledInvocationError"
        await until(lambda: d.get("f1").destination_status == "Succeeded")  # type: ignore[union-attr]

    with_dispatcher(tmp_path, body)


def test_task_events_and_stop_of_a_waiting_task(tmp_path: Path) -> None:
    async def body(d: AsyncDispatcher, fake: FakeFunctions, clock: ManualClock) -> None:
        await d.submit(submission("later", stateful=True, delay_s=100))
        assert await d.stop("later") is TaskStatus.ENQUEUED
        event = d.get("later")
        assert event is not None and event.status is TaskStatus.STOPPED
        assert [e["status"] for e in event.to_api()["events"]] == ["Enqueued", "Stopped"]
        assert await d.stop("later") is TaskStatus.STOPPED  # already finished: left alone
        assert await d.stop("nope") is None

    with_dispatcher(tmp_path, body)


def test_stop_interrupts_a_running_task(tmp_path: Path) -> None:
    interrupted: list[str] = []

    async def interrupt(request_id: str) -> None:
        interrupted.append(request_id)

    async def body(d: AsyncDispatcher, fake: FakeFunctions, clock: ManualClock) -> None:
        fake.blockers["slow"] = asyncio.Event()
        await d.submit(submission("run", function="slow", stateful=True))
        await until(lambda: "slow" in fake.started and fake.started["slow"].is_set())
        assert await d.stop("run") is TaskStatus.RUNNING
        [event] = await d.wait_for(["run"], timeout=5)
        assert event.status is TaskStatus.STOPPED
        assert interrupted == ["run"]
        statuses = [e["status"] for e in event.to_api()["events"]]
        assert statuses == ["Enqueued", "Running", "Stopping", "Stopped"]

    with_dispatcher(tmp_path, body, interrupt=interrupt)


def test_running_events_are_requeued_after_restart(tmp_path: Path) -> None:
    db = tmp_path / "async.db"
    store = SqliteAsyncQueueStore(SqliteDatabase(db))
    store.insert_many([submission("x", stateful=True), submission("y")], now=1_700_000_000.0)
    store.claim_due(1_700_000_000.0, 10)  # both Running when the "process died"
    store.close()

    async def body(d: AsyncDispatcher, fake: FakeFunctions, clock: ManualClock) -> None:
        assert d.recovered == 2
        events = await d.wait_for(["x", "y"], timeout=5)
        assert {e.status for e in events} == {TaskStatus.SUCCEEDED}
        assert "re-queued after restart" in [e["eventDetail"] for e in events[0].events]

    with_dispatcher(tmp_path, body)


def test_list_filters_by_status_and_prefix(tmp_path: Path) -> None:
    store = SqliteAsyncQueueStore(SqliteDatabase(tmp_path / "a.db"))
    store.insert_many(
        [
            submission("job-1", stateful=True),
            submission("job-2", stateful=True),
            submission("other", stateful=True),
        ],
        now=10.0,
    )
    store.request_stop("job-2", now=11.0)
    assert [e.invocation_id for e in store.list("svc", "fn", prefix="job-")] == ["job-1", "job-2"]
    assert [e.invocation_id for e in store.list("svc", "fn", status="Stopped")] == ["job-2"]
    assert [e.invocation_id for e in store.list("svc", "fn", descending=True, limit=1)] == ["other"]


def test_intake_rules() -> None:
    config = AsyncInvokeConfig.from_api(
        {
            "MaxAsyncRetryAttempts": 1,
            "DestinationConfig": {"OnSuccess": {"Destination": "acs:fc:r:1:services/s/functions/f"}},
        }
    )
    assert config.max_retry_attempts == 1 and config.on_success == "acs:fc:r:1:services/s/functions/f"
    sub = build_submission(
        service="s",
        function="f",
        qualifier="LATEST",
        request_id="rid",
        payload=b"x",
        headers={"X-Fc-Stateful-Async-Invocation-Id": "task_1"},
        config=config,
    )
    assert sub.stateful and sub.invocation_id == "task_1" and sub.max_retry_attempts == 1
    plain = build_submission(
        service="s",
        function="f",
        qualifier="LATEST",
        request_id="rid",
        payload=b"x",
        headers={},
        config=AsyncInvokeConfig(),
    )
    assert not plain.stateful and plain.invocation_id == "rid"
    with pytest.raises(IntakeError) as bad_id:
        build_submission(
            service="s",
            function="f",
            qualifier="LATEST",
            request_id="r",
            payload=b"",
            headers={"x-fc-stateful-async-invocation-id": "1bad"},
            config=config,
        )
    assert bad_id.value.status == 400
    with pytest.raises(IntakeError) as too_big:
        build_submission(
            service="s",
            function="f",
            qualifier="LATEST",
            request_id="r",
            payload=b"x" * (128 * 1024 + 1),
            headers={},
            config=config,
        )
    assert too_big.value.code == "EntityTooLarge"
    assert validate_async_config({"maxAsyncRetryAttempts": 9})
    assert validate_async_config({"maxAsyncEventAgeInSeconds": 0})
    assert validate_async_config({"destinationConfig": {"onSuccess": {"destination": "nope"}}})
    assert validate_async_config({"MaxAsyncRetryAttempts": 8, "MaxAsyncEventAgeInSeconds": 60}) == []


def test_stop_waits_for_a_cold_starting_instance_instead_of_cancelling_it(tmp_path: Path) -> None:
    answers = [False, False, True]
    fake_ref: list[FakeFunctions] = []

    async def interrupt(request_id: str) -> bool:
        answer = answers.pop(0) if answers else True
        if answer:
            fake_ref[0].blockers["slow"].set()  # the kill ends the invocation
        return answer

    async def body(d: AsyncDispatcher, fake: FakeFunctions, clock: ManualClock) -> None:
        fake_ref.append(fake)
        fake.blockers["slow"] = asyncio.Event()
        await d.submit(submission("cold", function="slow", stateful=True))
        await until(lambda: "slow" in fake.started and fake.started["slow"].is_set())
        assert await d.stop("cold") is TaskStatus.RUNNING
        [event] = await d.wait_for(["cold"], timeout=5)
        assert event.status is TaskStatus.STOPPED and answers == []  # asked until the kill landed
        assert event.return_payload in (None, b"")  # the late result was not recorded as success

    with_dispatcher(tmp_path, body, interrupt=interrupt)
