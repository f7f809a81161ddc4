"""Typed records keep their stored text: statuses are enums whose values are the ROS names, and a
row's update undo record is stored in the shapes databases written before it was typed hold."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from rosengine.state import ResourceRecord, StackRecord, StateStore, open_store
from rosengine.state.models import AddedByUpdate, ChangedInPlace, ReplacementOf, undo_from_json
from rosengine.state.statuses import Action, Phase, Status


def _store_with_stack(path: Path) -> StateStore:
    store = open_store(path)
    store.insert_stack(StackRecord(id="1", name="a", status=Status.UPDATE_IN_PROGRESS))
    return store


def _stored(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_statuses_are_stored_and_read_back_as_their_names(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    store.insert_stack(StackRecord(id="1", name="a", status=Status.CREATE_IN_PROGRESS))
    store.put_resource(ResourceRecord(stack_id="1", logical_id="R", type="T", status=Status.CREATE_FAILED))
    store.update_stack("1", status=Status.ROLLBACK_COMPLETE)
    assert _stored(tmp_path / "s.db", "SELECT status, typeof(status) FROM stacks") == [
        ("ROLLBACK_COMPLETE", "text")
    ]
    assert _stored(tmp_path / "s.db", "SELECT status FROM resources") == [("CREATE_FAILED",)]
    stack = store.find_stack("a")
    assert stack is not None and stack.status is Status.ROLLBACK_COMPLETE
    [row] = store.get_resources("1")
    assert row.status is Status.CREATE_FAILED


def test_api_shapes_hold_plain_strings_so_yaml_output_works() -> None:
    stack = StackRecord(id="1", name="a", status="UPDATE_COMPLETE")
    shown = stack.as_api()
    assert type(shown["Status"]) is str
    assert "Status: UPDATE_COMPLETE" in yaml.safe_dump(shown)
    resource = ResourceRecord(stack_id="1", logical_id="R", type="T")
    assert type(resource.as_api()["Status"]) is str


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError):
        StackRecord(id="1", name="a", status="CREATE_DONE")


def test_status_parts() -> None:
    assert Status.of(Action.CREATE_ROLLBACK, Phase.IN_PROGRESS) is Status.CREATE_ROLLBACK_IN_PROGRESS
    assert Status.CREATE_ROLLBACK_FAILED.action is Action.CREATE_ROLLBACK
    assert Status.CREATE_ROLLBACK_FAILED.failed and not Status.UPDATE_COMPLETE.failed
    assert Status.DELETE_IN_PROGRESS.in_progress
    assert not Status.REVIEW_IN_PROGRESS.in_progress and Status.REVIEW_IN_PROGRESS.action is None
    assert Status.INIT_COMPLETE.phase is None


def _saved(record: ResourceRecord) -> ChangedInPlace:
    return ChangedInPlace.of(record)


@pytest.mark.parametrize(
    ("undo", "stored"),
    [
        (AddedByUpdate(), {"added": True}),
        (ReplacementOf("old-1"), {"replaced": True, "old_physical_id": "old-1"}),
    ],
)
def test_undo_records_keep_their_stored_shape(
    tmp_path: Path, undo: AddedByUpdate | ReplacementOf, stored: dict
) -> None:
    store = _store_with_stack(tmp_path / "s.db")
    store.put_resource(ResourceRecord(stack_id="1", logical_id="R", type="T", previous=undo))
    [(text,)] = _stored(tmp_path / "s.db", "SELECT previous FROM resources")
    assert json.loads(text) == stored
    [row] = store.get_resources("1")
    assert row.previous == undo


def test_an_in_place_snapshot_is_stored_field_by_field_and_restores_the_row(tmp_path: Path) -> None:
    before = ResourceRecord(
        stack_id="1",
        logical_id="R",
        type="T",
        status=Status.UPDATE_COMPLETE,
        physical_id="p-1",
        properties={"Value": "1"},
        attributes={"Arn": "a"},
        metadata={"m": 1},
        depends_on=["Q"],
    )
    changed = ResourceRecord(**{**vars(before), "previous": _saved(before)})
    changed.properties["Value"] = "2"
    changed.status = Status.UPDATE_IN_PROGRESS
    store = _store_with_stack(tmp_path / "s.db")
    store.put_resource(changed)
    [(text,)] = _stored(tmp_path / "s.db", "SELECT previous FROM resources")
    assert json.loads(text) == {
        "type": "T",
        "physical_id": "p-1",
        "status": "UPDATE_COMPLETE",
        "reason": "",
        "properties": {"Value": "1"},
        "attributes": {"Arn": "a"},
        "metadata": {"m": 1},
        "description": None,
        "deletion_policy": "Delete",
        "depends_on": ["Q"],
        "note": "",
        "placeholder": False,
    }
    [row] = store.get_resources("1")
    assert isinstance(row.previous, ChangedInPlace)
    row.previous.restore(row)
    assert (row.status, row.properties, row.attributes) == (
        Status.UPDATE_COMPLETE,
        {"Value": "1"},
        {"Arn": "a"},
    )


def test_undo_records_written_by_older_versions_are_read() -> None:
    assert undo_from_json({"added": True}) == AddedByUpdate()
    assert undo_from_json({"replaced": True, "old_physical_id": None}) == ReplacementOf("")
    assert undo_from_json(None) is None
