"""A wave of the walk is recorded in one commit, and that commit comes before any provider of the
wave runs: every provider finds its own row, and the rows of the resources started with it, in
progress in the store (as a recovering process would find them after a kill -9), and the events
of each resource are all stored, in order, and told to the listener after they were committed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from resource_types import registry
from resource_types.base import (
    ProviderContext,
    ProviderResult,
    ResourceProvider,
    ResourceType,
    ResourceTypeSchema,
)
from rosengine.engine import StackEngine
from rosengine.engine.deadline import Deadline
from rosengine.engine.executor import walk
from rosengine.engine.progress import CollectingListener
from rosengine.state import StateStore, open_store
from rosengine.state.statuses import Status
from tests.support.engine_templates import template

PROBE = "Test::WaveProbe"
WAVE = ("A", "B", "C")  # independent: started in one pass of the walk
LAST = "D"  # depends on the whole wave


class _Seen:
    """What each provider call found in the store: (verb, logical id) -> {logical id: status}."""

    def __init__(self) -> None:
        self.reader: StateStore | None = None
        self.calls: dict[tuple[str, str], dict[str, str]] = {}
        self.lock = threading.Lock()

    def look(self, verb: str, ctx: ProviderContext) -> None:
        assert self.reader is not None
        rows = {r.logical_id: str(r.status) for r in self.reader.get_resources(ctx.stack_id)}
        with self.lock:
            self.calls[(verb, ctx.logical_id)] = rows


SEEN = _Seen()


class WaveProbeProvider(ResourceProvider):
    """Reads the store, through a connection of its own, from inside its own call."""

    type_name = PROBE

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        SEEN.look("create", ctx)
        return ProviderResult(f"probe-{ctx.logical_id}", {})

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        SEEN.look("update", ctx)
        return ProviderResult(physical_id, {})

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        SEEN.look("delete", ctx)


@pytest.fixture
def probe() -> Iterator[_Seen]:
    schema = {"typeName": PROBE, "properties": {}, "additionalProperties": True, "attributes": {}}
    registry.register(ResourceType(ResourceTypeSchema.from_dict(schema), WaveProbeProvider))
    SEEN.calls.clear()
    yield SEEN
    registry.unregister(PROBE)
    if SEEN.reader is not None:
        SEEN.reader.close()
        SEEN.reader = None


def _template() -> str:
    resources: dict[str, Any] = {name: {"Type": PROBE} for name in WAVE}
    resources[LAST] = {"Type": PROBE, "DependsOn": list(WAVE)}
    return template(resources)


def _check_a_stack_life(location: Path | str, seen: _Seen) -> None:
    listener = CollectingListener()
    store = open_store(location)
    seen.reader = open_store(location)
    try:
        engine = StackEngine(store, listener=listener)
        created = engine.create_stack("waves", _template())
        assert created.status == Status.CREATE_COMPLETE, created.reason
        deleted = engine.delete_stack("waves")
        assert deleted.status == Status.DELETE_COMPLETE, deleted.reason
        stored = store.list_events(created.id)
    finally:
        store.close()

    # The whole wave was committed before the first of its providers ran: each provider finds its
    # own row in progress and every other row of the wave started (in progress, or already done
    # when that one's provider finished first), none still waiting to start.
    for name in WAVE:
        rows = seen.calls[("create", name)]
        assert rows[name] == "CREATE_IN_PROGRESS" and rows[LAST] == "INIT_COMPLETE"
        assert {rows[n] for n in WAVE} <= {"CREATE_IN_PROGRESS", "CREATE_COMPLETE"}
    assert seen.calls[("create", LAST)] == {
        **{n: "CREATE_COMPLETE" for n in WAVE},
        LAST: "CREATE_IN_PROGRESS",
    }
    assert seen.calls[("delete", LAST)] == {
        **{n: "CREATE_COMPLETE" for n in WAVE},
        LAST: "DELETE_IN_PROGRESS",
    }
    for name in WAVE:
        rows = seen.calls[("delete", name)]
        assert rows[name] == "DELETE_IN_PROGRESS" and LAST not in rows
        assert set(rows.values()) == {"DELETE_IN_PROGRESS"}  # the others in progress or gone

    life = ["CREATE_IN_PROGRESS", "CREATE_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"]
    for name in (*WAVE, LAST):
        assert [e.status for e in stored if e.logical_id == name] == life
    # The listener heard of every stored event, in the order of the store, after its commit.
    assert [(e.id, e.seq) for e in listener.events] == [(e.id, e.seq) for e in stored]
    assert [e.seq for e in stored] == sorted(e.seq for e in stored)
    assert all(e.seq > 0 for e in listener.events)


def test_a_wave_is_committed_before_its_providers_run_on_sqlite(tmp_path: Path, probe: _Seen) -> None:
    _check_a_stack_life(tmp_path / "state.db", probe)


@pytest.mark.multinode
def test_a_wave_is_committed_before_its_providers_run_on_postgresql(postgres_url: str, probe: _Seen) -> None:
    _check_a_stack_life(postgres_url, probe)


def test_a_pass_starts_in_one_group_and_its_works_run_after_the_group_closed() -> None:
    """The walker alone: every start of a pass inside one ``grouped()`` block, every work
    submitted after the block ended, every result settled inside a block."""
    log: list[str] = []
    lock = threading.Lock()
    open_groups = [0]

    @contextmanager
    def grouped() -> Iterator[None]:
        with lock:
            open_groups[0] += 1
            log.append("open")
        yield
        with lock:
            open_groups[0] -= 1
            log.append("close")

    def start(node: str) -> Any:
        assert open_groups[0] == 1
        log.append(f"start {node}")

        def work() -> None:
            with lock:
                log.append(f"run {node} (group open: {open_groups[0]})")

        return work

    def finish(node: str, outcome: Any) -> bool:
        assert open_groups[0] == 1
        log.append(f"finish {node}")
        return outcome.ok

    result = walk(
        [*WAVE, LAST],
        {LAST: set(WAVE)},
        start,
        finish,
        concurrency=8,
        deadline=Deadline(1),
        grouped=grouped,
    )
    assert result.ok and sorted(result.succeeded) == sorted([*WAVE, LAST])
    assert log[: log.index("close") + 1] == ["open", "start A", "start B", "start C", "close"]
    runs = [entry for entry in log if entry.startswith("run")]
    assert len(runs) == 4 and all(entry.endswith("(group open: 0)") for entry in runs)
    # D started in the group that settled the last of the wave (no group of its own).
    assert log[log.index("start D") - 1].startswith("finish ") and log[log.index("start D") + 1] == "close"


def test_a_wave_whose_commit_fails_runs_none_of_its_works() -> None:
    """The intents could not be recorded (the database went away at the commit): the walk ends
    with that error, and no provider of the wave was called (no row would tell recovery)."""
    ran: list[str] = []

    class CommitFailed(Exception):
        pass

    @contextmanager
    def grouped() -> Iterator[None]:
        yield
        raise CommitFailed("the database went away")

    def start(node: str) -> Any:
        return lambda: ran.append(node)

    with pytest.raises(CommitFailed):
        walk(
            list(WAVE),
            {},
            start,
            lambda node, outcome: True,
            concurrency=8,
            deadline=Deadline(1),
            grouped=grouped,
        )
    assert ran == []
