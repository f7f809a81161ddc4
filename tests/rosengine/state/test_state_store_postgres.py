"""Stack state on PostgreSQL: the same store contract as on SQLite, and stacks that several
``ros`` homes share (``ROS_DATABASE_URL`` / ``ros stack --database-url``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rosengine.cli import cli
from rosengine.engine import StackEngine
from rosengine.state import (
    ChangeSetRecord,
    EventRecord,
    OutputRecord,
    Owner,
    ResourceRecord,
    StackError,
    StackRecord,
    StateStore,
    open_store,
)
from rosengine.state.owner import HEARTBEAT_STALE_SECONDS
from rosengine.state.statuses import ChangeSetType, Status
from tests.support.engine_templates import recorder, template

pytestmark = pytest.mark.multinode


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    """The same assertions on both kinds of database: the contract is one."""
    if request.param == "sqlite":
        opened = open_store(tmp_path / "state.db")
    else:
        opened = open_store(request.getfixturevalue("postgres_url"))
    yield opened
    opened.close()


def _stack(name: str = "s", stack_id: str = "1") -> StackRecord:
    return StackRecord(
        id=stack_id, name=name, status=Status.CREATE_IN_PROGRESS, parameters={"P": "v"}, no_echo=["P"]
    )


def test_stacks_round_trip_and_names_are_unique_among_live_stacks(store: StateStore) -> None:
    store.insert_stack(_stack())
    with pytest.raises(StackError):
        store.insert_stack(_stack(stack_id="2"))
    found = store.find_stack("s")
    assert found is not None and found.parameters == {"P": "v"} and found.no_echo == ["P"]
    store.update_stack("1", status=Status.DELETE_COMPLETE, options={"x": 1})
    deleted = store.find_stack("1")
    assert deleted is not None and deleted.status == Status.DELETE_COMPLETE and deleted.options == {"x": 1}
    store.insert_stack(_stack(stack_id="2"))  # the name is free again
    assert [s.id for s in store.list_stacks(include_deleted=True)] == ["1", "2"]
    assert [s.id for s in store.list_stacks()] == ["2"]


def test_resources_list_in_the_order_they_were_last_written(store: StateStore) -> None:
    store.insert_stack(_stack())
    for logical_id in ("A", "B", "C"):
        store.put_resource(ResourceRecord("1", logical_id, "ALIYUN::X", placeholder=logical_id == "B"))
    store.put_resource(ResourceRecord("1", "A", "ALIYUN::X", properties={"rewritten": True}))
    resources = store.get_resources("1")
    assert [r.logical_id for r in resources] == ["B", "C", "A"]
    assert resources[0].placeholder is True and resources[2].properties == {"rewritten": True}
    store.delete_resource("1", "B", "current")
    assert [r.logical_id for r in store.get_resources("1", role="current")] == ["C", "A"]


def test_events_outputs_and_change_sets(store: StateStore) -> None:
    store.insert_stack(_stack())
    first = store.add_event(
        EventRecord("e1", "1", "s", "s", "", "ALIYUN::ROS::Stack", Status.CREATE_IN_PROGRESS, "", "t")
    )
    second = store.add_event(
        EventRecord("e2", "1", "s", "A", "", "ALIYUN::X", Status.CREATE_COMPLETE, "", "t")
    )
    assert 0 < first.seq < second.seq
    assert [e.id for e in store.list_events("1")] == ["e1", "e2"]
    store.set_outputs("1", [OutputRecord("K", {"a": [1]}, "d", True), OutputRecord("J", "v")])
    assert [(o.key, o.value, o.no_echo) for o in store.get_outputs("1")] == [
        ("K", {"a": [1]}, True),
        ("J", "v", False),
    ]
    store.insert_change_set(ChangeSetRecord("c1", "1", "s", "cs", ChangeSetType.UPDATE, changes=[{"a": 1}]))
    with pytest.raises(StackError, match="already exists"):
        store.insert_change_set(ChangeSetRecord("c2", "1", "s", "cs", ChangeSetType.UPDATE))
    store.update_change_set("c1", reason="why")
    found = store.find_change_set("cs", "1")
    assert found is not None and found.reason == "why" and found.changes == [{"a": 1}]
    assert [c.id for c in store.list_change_sets("1")] == ["c1"]
    store.remove_stack("1")  # cascades
    assert store.list_events("1") == [] and store.get_outputs("1") == []


def test_a_stack_is_locked_by_a_live_owner_wherever_it_runs(store: StateStore) -> None:
    store.insert_stack(_stack())
    me = Owner.current()
    store.acquire("1", me, allow_interrupted=True)
    with pytest.raises(StackError, match="in progress|InProgress|action"):
        store.acquire("1", Owner(me.pid, "another-host", ""), allow_interrupted=True)
    store.release("1", me)
    stranger = Owner(1, "another-host", "")
    store.acquire("1", stranger, allow_interrupted=True)
    store.update_stack("1", heartbeat=0.0 - HEARTBEAT_STALE_SECONDS)  # its heartbeat went stale
    store.acquire("1", me, allow_interrupted=True)


def test_two_homes_on_one_database_see_the_same_stacks(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    """``ros stack`` in two homes (two ROS_HOMEs, as two machines would have) with one
    ``--database-url``: a stack created from one is listed, described and deleted from the other."""
    body = template({"A": recorder({"Name": "a"})})
    path = tmp_path / "t.json"
    path.write_text(body)
    runner = CliRunner()
    monkeypatch.setenv("ROS_HOME", str(tmp_path / "home-one"))
    created = runner.invoke(
        cli, ["stack", "--database-url", postgres_url, "create", "-n", "shared", "-t", str(path)]
    )
    assert created.exit_code == 0, created.output
    monkeypatch.setenv("ROS_HOME", str(tmp_path / "home-two"))
    monkeypatch.setenv("ROS_DATABASE_URL", postgres_url)
    listed = runner.invoke(cli, ["stack", "list"])
    assert listed.exit_code == 0 and "shared" in listed.output, listed.output
    assert not (tmp_path / "home-two" / "state.db").exists()
    deleted = runner.invoke(cli, ["stack", "delete", "-n", "shared"])
    assert deleted.exit_code == 0, deleted.output
    store = open_store(postgres_url)
    assert store.find_stack("shared") is None
    store.close()


def test_the_engine_runs_on_postgresql(postgres_url: str, isolated_home: Path) -> None:
    store = open_store(postgres_url)
    engine = StackEngine(store)
    stack = engine.create_stack("pg", template({"A": recorder({"Name": "a"}), "B": recorder({"Name": "b"})}))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    assert {r.logical_id for r in engine.resources("pg")} == {"A", "B"}
    store.close()


def test_a_wrong_database_url_is_refused_by_ros_stack(isolated_home: Path) -> None:
    result = CliRunner().invoke(
        cli, ["stack", "--database-url", "postgresql://postgres:pw@127.0.0.1:9/ros", "list"]
    )
    assert result.exit_code != 0
    assert "cannot connect" in result.output and "pw@" not in result.output


def test_two_processes_racing_for_one_stack_cannot_both_take_it(postgres_url: str) -> None:
    """Many ``ros`` processes (here: stores with their own connections, each a different owner
    on another host) try to take one stack at once: exactly one gets it."""
    setup = open_store(postgres_url)
    setup.insert_stack(_stack())
    stores = [open_store(postgres_url) for _ in range(6)]
    winners: list[int] = []
    barrier = threading.Barrier(len(stores))

    def take(n: int) -> None:
        barrier.wait()
        try:
            stores[n].acquire("1", Owner(1000 + n, f"host-{n}", ""), allow_interrupted=True)
        except StackError:
            return
        winners.append(n)

    threads = [threading.Thread(target=take, args=(n,)) for n in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    found = setup.find_stack("1")
    assert found is not None and found.owner_host == f"host-{winners[0]}"
    for store in (setup, *stores):
        store.close()


def _event(
    logical_id: str, status: Status = Status.CREATE_COMPLETE, event_id: str | None = None
) -> EventRecord:
    return EventRecord(event_id or f"e-{logical_id}-{status}", "1", "s", logical_id, "", "T", status, "", "t")


def test_a_batch_writes_a_row_and_its_event_together(store: StateStore) -> None:
    store.insert_stack(_stack())
    with store.batch() as batch:
        batch.put_resource(ResourceRecord("1", "A", "T", status=Status.CREATE_IN_PROGRESS))
        event = batch.add_event(_event("A", Status.CREATE_IN_PROGRESS))
        assert store.get_resources("1") == []  # nothing is sent before the block ends
    assert event.seq is not None
    assert [r.logical_id for r in store.get_resources("1")] == ["A"]
    assert [e.seq for e in store.list_events("1")] == [event.seq]


def test_a_batch_that_raises_or_fails_writes_nothing(store: StateStore) -> None:
    store.insert_stack(_stack())
    store.add_event(_event("A", event_id="taken"))
    with pytest.raises(RuntimeError), store.batch() as batch:
        batch.put_resource(ResourceRecord("1", "A", "T"))
        raise RuntimeError("the step failed before its writes were sent")
    with pytest.raises(Exception), store.batch() as batch:  # noqa: B017 (either driver's error)
        batch.put_resource(ResourceRecord("1", "B", "T"))
        batch.add_event(_event("B", event_id="taken"))  # a duplicate id: the batch fails whole
    assert store.get_resources("1") == []
    assert [e.id for e in store.list_events("1")] == ["taken"]


def test_a_batch_inside_a_batch_joins_it_and_rewrites_keep_the_last_written_order(store: StateStore) -> None:
    store.insert_stack(_stack())
    with store.batch() as outer:
        outer.put_resource(ResourceRecord("1", "A", "T"))
        outer.put_resource(ResourceRecord("1", "B", "T"))
        with store.batch() as inner:
            assert inner is outer
            inner.put_resource(ResourceRecord("1", "A", "T", status=Status.CREATE_COMPLETE))
        assert store.get_resources("1") == []
    rows = store.get_resources("1")
    assert [(r.logical_id, r.status) for r in rows] == [("B", "INIT_COMPLETE"), ("A", "CREATE_COMPLETE")]


def test_a_wave_sized_batch_leaves_what_its_writes_in_order_would(store: StateStore) -> None:
    """Many rows and events in one batch (a wave of the engine; on PostgreSQL one statement per
    kind of write): a key's last write decides, rows list in the order of their last write,
    events are numbered in the order added, and every value comes back as it was written."""
    store.insert_stack(_stack())
    store.put_resource(ResourceRecord("1", "Old", "T"))
    store.put_resource(ResourceRecord("1", "Back", "T"))
    odd = {"quote": 'it\'s "quoted" ü 100% ? %s $1', "none": None, "list": [1, 2.5, True]}
    with store.batch() as batch:
        for name in ("A", "B", "C"):
            batch.put_resource(ResourceRecord("1", name, "T", status=Status.CREATE_IN_PROGRESS))
            batch.add_event(_event(name, Status.CREATE_IN_PROGRESS))
        batch.put_resource(
            ResourceRecord("1", "A", "T", status=Status.CREATE_COMPLETE, physical_id="a-1", properties=odd)
        )
        batch.delete_resource("1", "B", "current")  # written, then removed: not there
        batch.delete_resource("1", "Old", "current")  # stored before the batch: removed
        batch.delete_resource("1", "Back", "current")
        batch.put_resource(ResourceRecord("1", "Back", "T", status=Status.UPDATE_COMPLETE, placeholder=True))
        events = [batch.add_event(_event(name)) for name in ("A", "C", "Back")]
    rows = store.get_resources("1")
    assert [(r.logical_id, r.status) for r in rows] == [
        ("C", "CREATE_IN_PROGRESS"),
        ("A", "CREATE_COMPLETE"),
        ("Back", "UPDATE_COMPLETE"),
    ]
    a = rows[1]
    assert a.physical_id == "a-1" and a.properties == odd and a.metadata is None and a.previous is None
    assert rows[2].placeholder is True and rows[0].physical_id is None
    stored = store.list_events("1")
    assert [(e.logical_id, e.status) for e in stored] == [
        ("A", "CREATE_IN_PROGRESS"),
        ("B", "CREATE_IN_PROGRESS"),
        ("C", "CREATE_IN_PROGRESS"),
        ("A", "CREATE_COMPLETE"),
        ("C", "CREATE_COMPLETE"),
        ("Back", "CREATE_COMPLETE"),
    ]
    assert [e.seq for e in events] == [e.seq for e in stored[3:]]
    assert [e.seq for e in stored] == sorted({e.seq for e in stored})


def test_a_wave_sized_batch_that_fails_writes_nothing(store: StateStore) -> None:
    store.insert_stack(_stack())
    store.add_event(_event("A", event_id="taken"))
    with pytest.raises(Exception), store.batch() as batch:  # noqa: B017 (either driver's error)
        for name in ("A", "B", "C"):
            batch.put_resource(ResourceRecord("1", name, "T"))
            batch.add_event(_event(name, event_id="taken" if name == "C" else None))
    assert store.get_resources("1") == []
    assert [e.id for e in store.list_events("1")] == ["taken"]


def test_taking_a_stack_looks_again_when_another_process_took_it_in_between(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stack's owner is gone; between the look that finds it gone and the write that takes
    the stack, another process takes it: the write misses (compare and set), and the second look
    finds that live owner."""
    import rosengine.state.sqlite as sql_state

    store.insert_stack(_stack())
    store.update_stack("1", owner_pid=1, owner_host="gone-host", heartbeat=0.0 - HEARTBEAT_STALE_SECONDS)
    me = Owner.current()
    real_is_alive = sql_state.is_alive
    looks: list[int | None] = []

    def racing_is_alive(pid: int | None, *args: Any, **kwargs: Any) -> bool:
        looks.append(pid)
        if len(looks) == 1:  # the other process takes the stack now
            other = open_store(store.database.url.text)
            other.update_stack(
                "1", owner_pid=me.pid, owner_host=me.host, owner_started=me.started, heartbeat=time.time()
            )
            other.close()
        return real_is_alive(pid, *args, **kwargs)

    monkeypatch.setattr(sql_state, "is_alive", racing_is_alive)
    with pytest.raises(StackError, match="in progress|InProgress|action"):
        store.acquire("1", Owner(2, "another-host", ""), allow_interrupted=True)
    assert looks == [1, me.pid]
