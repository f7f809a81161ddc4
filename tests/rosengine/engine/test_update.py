"""UpdateStack semantics: add/remove/modify/replace, cascade, partial parameters, rollback, clean-up order."""

from __future__ import annotations

from typing import Any

import pytest

from resource_types import registry
from resource_types.base import ProviderContext, ResourceType, ResourceTypeSchema
from rosengine.engine import StackEngine, StackError, StackOptions
from rosengine.engine.delete import deletion_waits
from rosengine.state.models import ROLE_CURRENT, ROLE_REPLACED, ResourceRecord
from tests.support import fake_cloud
from tests.support.engine_templates import recorder, statuses, template

PARAMS = {
    "Name": {"Type": "String"},
    "Value": {"Type": "String", "Default": "v1"},
    "Secret": {"Type": "String", "NoEcho": True},
}


def _body(extra: dict | None = None) -> str:
    resources = {
        "A": recorder({"Name": {"Ref": "Name"}, "Value": {"Ref": "Value"}}),
        "B": recorder({"Name": "b", "Value": {"Fn::GetAtt": ["A", "Arn"]}}),
    }
    resources.update(extra or {})
    return template(resources, parameters=PARAMS, outputs={"S": {"Value": {"Ref": "Secret"}, "NoEcho": True}})


def _rows(engine: StackEngine, name: str) -> dict:
    return {r.logical_id: r for r in engine.resources(name)}


def test_in_place_update_keeps_physical_id_and_partial_parameters_keep_previous(engine: StackEngine) -> None:
    engine.create_stack("u", _body(), parameters={"Name": "a", "Secret": "s3cret"})
    before = _rows(engine, "u")
    stack = engine.update_stack("u", parameters={"Value": "v2"})
    assert stack.status == "UPDATE_COMPLETE", stack.reason
    after = _rows(engine, "u")
    assert after["A"].physical_id == before["A"].physical_id
    assert after["A"].properties == {"Name": "a", "Value": "v2"}
    assert stack.parameters == {"Name": "a", "Secret": "s3cret", "Value": "v2"}
    assert [c[0] for c in fake_cloud.calls() if c[1] == "A"][-1] == "update"
    assert not [c for c in fake_cloud.calls() if c[1] == "B" and c[0] == "update"]  # Arn unchanged
    shown = {p["ParameterKey"]: p["ParameterValue"] for p in stack.as_api()["Parameters"]}
    assert shown["Secret"] == "******" and "s3cret" not in str(
        stack.as_api(engine.store.get_outputs(stack.id))
    )


def test_replacement_creates_new_before_deleting_old_and_cascades(engine: StackEngine, listener) -> None:
    engine.create_stack("r", _body(), parameters={"Name": "a", "Secret": "x"})
    before = _rows(engine, "r")
    stack = engine.update_stack("r", parameters={"Name": "a2"})
    assert stack.status == "UPDATE_COMPLETE", stack.reason
    after = _rows(engine, "r")
    assert after["A"].physical_id != before["A"].physical_id
    assert after["B"].physical_id == before["B"].physical_id
    assert after["B"].properties["Value"] == after["A"].attributes["Arn"]  # dependant re-resolved
    calls = [(c[0], c[1], c[2]) for c in fake_cloud.calls() if c[0] != "create-start"][2:]
    assert calls == [
        ("create", "A", after["A"].physical_id),
        ("update", "B", before["B"].physical_id),
        ("delete", "A", before["A"].physical_id),
    ]
    assert set(fake_cloud.snapshot()["resources"]) == {after["A"].physical_id, after["B"].physical_id}
    reasons = [e.reason for e in listener.events if e.logical_id == "A" and e.status == "UPDATE_IN_PROGRESS"]
    assert "create-only properties changed: Name" in reasons[0]


def test_add_and_remove_resources_with_retain(engine: StackEngine, listener) -> None:
    engine.create_stack(
        "ar",
        _body(
            {"Old": recorder({"Name": "old"}, DeletionPolicy="Retain"), "Gone": recorder({"Name": "gone"})}
        ),
        parameters={"Name": "a", "Secret": "x"},
    )
    rows = _rows(engine, "ar")
    stack = engine.update_stack("ar", template_body=_body({"New": recorder({"Name": "new"})}))
    assert stack.status == "UPDATE_COMPLETE", stack.reason
    assert set(_rows(engine, "ar")) == {"A", "B", "New"}
    cloud = fake_cloud.snapshot()["resources"]
    assert rows["Old"].physical_id in cloud and rows["Gone"].physical_id not in cloud
    assert "Retain" in [e for e in listener.events if e.logical_id == "Old"][-1].reason


def test_failed_update_rolls_back_everything(engine: StackEngine, listener) -> None:
    first = _body({"Old": recorder({"Name": "old"})})
    engine.create_stack("fu", first, parameters={"Name": "a", "Secret": "x"})
    before = _rows(engine, "fu")
    cloud_before = fake_cloud.snapshot()["resources"]
    broken = _body(
        {"New": recorder({"Name": "new"}), "Bad": recorder({"FailCreate": True, "Value": {"Ref": "B"}})}
    )
    stack = engine.update_stack("fu", template_body=broken, parameters={"Name": "a2", "Value": "v9"})
    assert stack.status == "ROLLBACK_COMPLETE", stack.reason
    assert "resources.Bad" in stack.reason
    assert stack.template_body == first and stack.parameters == {"Name": "a", "Secret": "x"}
    after = _rows(engine, "fu")
    assert set(after) == {"A", "B", "Old"}
    for lid in after:
        assert after[lid].physical_id == before[lid].physical_id
        assert after[lid].properties == before[lid].properties
        assert after[lid].previous is None
    assert fake_cloud.snapshot()["resources"].keys() == cloud_before.keys()
    assert fake_cloud.snapshot()["resources"] == cloud_before  # B updated back
    assert statuses(listener.events, "fu")[-4:] == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_FAILED",
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_COMPLETE",
    ]
    again = engine.update_stack("fu", parameters={"Value": "v3"})
    assert again.status == "UPDATE_COMPLETE", again.reason


def test_no_changes_is_not_supported(engine: StackEngine) -> None:
    engine.create_stack("same", _body(), parameters={"Name": "a", "Secret": "x"})
    with pytest.raises(StackError) as info:
        engine.update_stack("same")
    assert info.value.code == "NotSupported"
    with pytest.raises(StackError):
        engine.update_stack("same", parameters={"Name": "a"})


def test_replacement_disabled_fails_and_rolls_back(engine: StackEngine) -> None:
    engine.create_stack("nr", _body(), parameters={"Name": "a", "Secret": "x"})
    stack = engine.update_stack("nr", parameters={"Name": "zz"}, options=StackOptions(replacement=False))
    assert stack.status == "ROLLBACK_COMPLETE" and "replacement is disabled" in stack.reason


def test_preview_reports_actions_and_replacement_reasons(engine: StackEngine) -> None:
    engine.create_stack(
        "pv", _body({"Gone": recorder({"Name": "g"})}), parameters={"Name": "a", "Secret": "x"}
    )
    _, _, changes = engine.plan("pv", _body({"New": recorder()}), parameters={"Name": "a2"})
    by_id = {c.logical_id: c for c in changes}
    assert by_id["A"].action == "Modify" and by_id["A"].replacement == "True"
    assert by_id["A"].as_preview()["ReplacementReason"] == "create-only properties changed: Name"
    assert by_id["B"].action == "Modify" and by_id["B"].replacement == "False"
    assert by_id["B"].as_change()["ResourceChange"]["Details"][0]["Evaluation"] == "Dynamic"
    assert by_id["New"].action == "Add" and by_id["Gone"].action == "Remove"
    _, _, same = engine.plan("pv", None)
    assert {c.action for c in same} == {"None"}


def test_change_sets_create_describe_execute(engine: StackEngine) -> None:
    from rosengine.engine import changesets

    created = changesets.create_change_set(
        engine, "cs", "first", template_body=_body(), parameters={"Name": "a", "Secret": "x"}
    )
    assert created.type == "CREATE" and engine.get_stack("cs").status == "REVIEW_IN_PROGRESS"
    assert {c["ResourceChange"]["Action"] for c in created.changes} == {"Add"}
    assert fake_cloud.snapshot()["resources"] == {}
    stack = changesets.execute_change_set(engine, "first", "cs")
    assert stack.status == "CREATE_COMPLETE", stack.reason
    upd = changesets.create_change_set(engine, "cs", "rename", template_body=None, parameters={"Name": "b"})
    other = changesets.create_change_set(engine, "cs", "value", template_body=None, parameters={"Value": "q"})
    modify = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in upd.changes}
    assert modify["A"]["Replacement"] == "True" and modify["A"]["Action"] == "Modify"
    stack = changesets.execute_change_set(engine, upd.id, None)
    assert stack.status == "UPDATE_COMPLETE" and stack.parameters["Name"] == "b"
    assert engine.store.find_change_set(other.id).execution_status == "OBSOLETE"
    with pytest.raises(StackError):
        changesets.execute_change_set(engine, "value", "cs")
    changesets.delete_change_set(engine, "value", "cs")
    assert [c.name for c in engine.store.list_change_sets(stack.id)] == ["first", "rename"]


def test_deleting_the_only_create_change_set_removes_the_review_stack(engine: StackEngine) -> None:
    from rosengine.engine import changesets

    changesets.create_change_set(
        engine, "rv", "only", template_body=_body(), parameters={"Name": "a", "Secret": "x"}
    )
    changesets.delete_change_set(engine, "only", "rv")
    assert engine.store.find_stack("rv") is None


# -- update clean-up deletes what it removes in reverse dependency order, replaced originals
# included (children before the parent they reference)
def _parent_and_children(parent_name: str, children: int) -> str:
    child = recorder({"Name": {"Fn::Sub": "c${ALIYUN::Index}"}, "Value": {"Ref": "P"}})
    child["Count"] = children
    return template({"P": recorder({"Name": parent_name}), "C": child})


@pytest.mark.parametrize("concurrency", [1, 8])
def test_replaced_parent_is_deleted_after_its_removed_children(engine: StackEngine, concurrency: int) -> None:
    options = StackOptions(concurrency=concurrency)
    assert (
        engine.create_stack("s", _parent_and_children("p1", 3), options=options).status == "CREATE_COMPLETE"
    )
    old_parent = next(r.physical_id for r in engine.resources("s") if r.logical_id == "P")
    old_children = {r.physical_id for r in engine.resources("s") if r.logical_id in ("C[1]", "C[2]")}

    stack = engine.update_stack("s", template_body=_parent_and_children("p2", 1), options=options)

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


class _NoResultProvider(fake_cloud.RecorderProvider):
    """Updates the fake cloud but breaks the contract: returns None instead of a ProviderResult."""

    type_name = "Test::NoResult"

    def update(  # type: ignore[override]
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> None:
        super().update(ctx, physical_id, properties, previous_properties, previous_attributes)


def test_an_update_without_a_provider_result_fails_and_its_revert_says_so(
    engine: StackEngine, listener
) -> None:
    schema = ResourceTypeSchema.from_dict({**fake_cloud.SCHEMA, "typeName": "Test::NoResult"})
    registry.register(ResourceType(schema, _NoResultProvider))
    try:
        sloppy = {"Type": "Test::NoResult", "Properties": {"Name": "n", "Value": "1"}}
        engine.create_stack("nr", template({"N": sloppy}))
        before = _rows(engine, "nr")["N"]
        changed = {"Type": "Test::NoResult", "Properties": {"Name": "n", "Value": "2"}}
        stack = engine.update_stack("nr", template_body=template({"N": changed}))
    finally:
        registry.unregister("Test::NoResult")
    assert stack.status == "ROLLBACK_COMPLETE"
    assert "TypeError: provider returned NoneType, expected ProviderResult" in stack.reason
    revert = [e for e in listener.events if e.logical_id == "N"][-1]
    assert revert.status == "UPDATE_COMPLETE"
    assert "the provider returned NoneType" in revert.reason
    after = _rows(engine, "nr")["N"]
    assert (after.properties, after.attributes) == (before.properties, before.attributes)
