"""Audit item: update clean-up deletes everything it removes in reverse dependency order, replaced
originals included (children before the parent they reference)."""

from __future__ import annotations

import pytest

from rosengine.engine import StackEngine, StackOptions
from rosengine.engine.delete import deletion_waits
from rosengine.state.models import ROLE_CURRENT, ROLE_REPLACED, ResourceRecord
from tests.support import fake_cloud
from tests.support.engine_templates import recorder, template


def _body(parent_name: str, children: int) -> str:
    child = recorder({"Name": {"Fn::Sub": "c${ALIYUN::Index}"}, "Value": {"Ref": "P"}})
    child["Count"] = children
    return template({"P": recorder({"Name": parent_name}), "C": child})


@pytest.mark.parametrize("concurrency", [1, 8])
def test_replaced_parent_is_deleted_after_its_removed_children(engine: StackEngine, concurrency: int) -> None:
    options = StackOptions(concurrency=concurrency)
    assert engine.create_stack("s", _body("p1", 3), options=options).status == "CREATE_COMPLETE"
    old_parent = next(r.physical_id for r in engine.resources("s") if r.logical_id == "P")
    old_children = {r.physical_id for r in engine.resources("s") if r.logical_id in ("C[1]", "C[2]")}

    stack = engine.update_stack("s", template_body=_body("p2", 1), options=options)

    assert stack.status == "UPDATE_COMPLETE", stack.reason
    deletes = [pid for verb, _, pid in fake_cloud.calls() if verb == "delete"]
    assert set(deletes) == old_children | {old_parent}
    assert deletes[-1] == old_parent  # only after both removed children are gone


def _row(logical_id: str, role: str = ROLE_CURRENT, depends_on: list[str] | None = None) -> ResourceRecord:
    return ResourceRecord(
        stack_id="x", logical_id=logical_id, type="Test::Recorder", role=role, depends_on=depends_on or []
    )


def test_waits_link_rows_of_either_role_and_never_make_a_cycle() -> None:
    rows = [
        _row("P", ROLE_REPLACED),
        _row("C", ROLE_CURRENT, ["P"]),
        # Old and new rows of the same ids whose dependencies point opposite ways.
        _row("A", ROLE_CURRENT, ["B"]),
        _row("B", ROLE_CURRENT),
        _row("B", ROLE_REPLACED, ["A"]),
        _row("A", ROLE_REPLACED),
    ]
    waits = deletion_waits(rows)
    assert waits["P#replaced"] == {"C"}
    assert waits["B"] == {"A"} and waits["A#replaced"] == {"B#replaced"}
    _assert_acyclic(waits)


def test_a_dependency_cycle_across_roles_is_broken() -> None:
    waits = deletion_waits([_row("A", ROLE_CURRENT, ["B"]), _row("B", ROLE_REPLACED, ["A"])])
    assert set(waits) == {"A", "B#replaced"}
    _assert_acyclic(waits)


def _assert_acyclic(waits: dict[str, set[str]]) -> None:
    done: set[str] = set()
    pending = dict(waits)
    while pending:
        ready = [k for k, deps in pending.items() if deps <= done]
        assert ready, f"cycle among {sorted(pending)}"
        for key in ready:
            done.add(key)
            del pending[key]
