"""Create, delete and create-rollback through the engine API."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from rosengine.cli import cli
from rosengine.engine import StackEngine, StackError, StackOptions
from rosengine.errors import TemplateErrors
from tests.support import fake_cloud
from tests.support.engine_templates import recorder, statuses, template


def test_create_resolves_references_and_records_everything(engine: StackEngine, listener) -> None:
    body = template(
        {"A": recorder({"Name": "a"}), "B": recorder({"Name": "b", "Value": {"Fn::GetAtt": ["A", "Arn"]}})},
        outputs={"BArn": {"Value": {"Fn::GetAtt": ["B", "Arn"]}, "Description": "b's arn"}},
    )
    stack = engine.create_stack("demo", body)
    assert stack.status == "CREATE_COMPLETE", stack.reason
    resources = {r.logical_id: r for r in engine.resources("demo")}
    assert resources["B"].properties["Value"] == resources["A"].attributes["Arn"]
    assert [c[1] for c in fake_cloud.calls() if c[0] == "create"] == ["A", "B"]
    outputs = engine.store.get_outputs(stack.id)
    assert outputs[0].key == "BArn" and outputs[0].value == f"acs:test::{resources['B'].physical_id}"
    assert statuses(listener.events, "demo") == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert statuses(listener.events, "A") == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert listener.events[-1].reason == "Stack CREATE completed successfully"
    stored = [e.status for e in engine.store.list_events(stack.id)]
    assert stored == [e.status for e in listener.events]


def test_independent_resources_are_created_in_parallel(engine: StackEngine) -> None:
    fake_cloud.BARRIERS["both"] = threading.Barrier(2)
    body = template({"A": recorder({"Barrier": "both"}), "B": recorder({"Barrier": "both"})})
    stack = engine.create_stack("par", body)
    assert stack.status == "CREATE_COMPLETE", stack.reason


def test_concurrency_one_runs_sequentially(engine: StackEngine) -> None:
    fake_cloud.BARRIERS["both"] = threading.Barrier(2)
    body = template(
        {
            "A": recorder({"Barrier": "both", "BarrierTimeout": 0.3}),
            "B": recorder({"Barrier": "both", "BarrierTimeout": 0.3}),
        }
    )
    stack = engine.create_stack("seq", body, options=StackOptions(concurrency=1, timeout_mins=0.5))
    assert stack.status == "CREATE_ROLLBACK_COMPLETE"
    assert "never ran at the same time" in stack.reason


def test_failure_rolls_back_in_reverse_dependency_order(engine: StackEngine, listener) -> None:
    body = template(
        {
            "A": recorder({"Name": "a"}),
            "B": recorder({"Name": "b", "Value": {"Ref": "A"}}),
            "C": recorder({"Name": "c", "Value": {"Ref": "B"}}),
            "D": recorder({"FailCreate": True, "Value": {"Ref": "C"}}),
        }
    )
    stack = engine.create_stack("rb", body)
    assert stack.status == "CREATE_ROLLBACK_COMPLETE"
    assert "resources.D" in stack.reason and "refused to be created" in stack.reason
    deletes = [c[1] for c in fake_cloud.calls() if c[0] == "delete"]
    assert deletes == ["C", "B", "A"]
    assert fake_cloud.snapshot()["resources"] == {}
    stack_statuses = statuses(listener.events, "rb")
    assert stack_statuses == [
        "CREATE_IN_PROGRESS",
        "CREATE_FAILED",
        "CREATE_ROLLBACK_IN_PROGRESS",
        "CREATE_ROLLBACK_COMPLETE",
    ]
    assert statuses(listener.events, "D") == ["CREATE_IN_PROGRESS", "CREATE_FAILED", "DELETE_COMPLETE"]
    failed = next(e for e in listener.events if e.logical_id == "D" and e.status == "CREATE_FAILED")
    assert "refused to be created" in failed.reason
    assert engine.resources("rb") == []


def test_first_failure_stops_new_work(engine: StackEngine) -> None:
    body = template({"A": recorder({"FailCreate": True}), "B": recorder({"Value": {"Ref": "A"}})})
    stack = engine.create_stack("stop", body, options=StackOptions(disable_rollback=True))
    assert stack.status == "CREATE_FAILED"
    rows = {r.logical_id: r.status for r in engine.resources("stop")}
    assert rows == {"A": "CREATE_FAILED", "B": "INIT_COMPLETE"}
    assert not [c for c in fake_cloud.calls() if c[1] == "B"]


def test_hanging_provider_times_out_and_rolls_back(engine: StackEngine) -> None:
    fake_cloud.EVENTS["hang"] = threading.Event()
    body = template({"Fast": recorder({"Name": "fast"}), "Slow": recorder({"Hang": "hang"})})
    stack = engine.create_stack("slow", body, options=StackOptions(timeout_mins=0.01))
    assert stack.status == "CREATE_ROLLBACK_COMPLETE"
    assert "timed out" in stack.reason and "Slow" in stack.reason
    assert fake_cloud.snapshot()["resources"] == {}


def test_delete_reverse_order_retain_and_already_gone(engine: StackEngine, listener) -> None:
    body = template(
        {
            "A": recorder({"Name": "a"}, DeletionPolicy="Retain"),
            "B": recorder({"Name": "b", "Value": {"Ref": "A"}, "GoneOnDelete": True}),
            "C": recorder({"Name": "c", "Value": {"Ref": "B"}}),
        }
    )
    created = engine.create_stack("del", body)
    kept = next(r for r in engine.resources("del") if r.logical_id == "A").physical_id
    stack = engine.delete_stack("del")
    assert stack.status == "DELETE_COMPLETE", stack.reason
    assert [c[1] for c in fake_cloud.calls() if c[0] == "delete"] == ["C", "B"]
    assert list(fake_cloud.snapshot()["resources"]) == [kept]
    retained = [e for e in listener.events if e.logical_id == "A" and e.status == "DELETE_COMPLETE"]
    assert "Retain" in retained[0].reason and kept in retained[0].reason
    with pytest.raises(StackError) as info:
        engine.get_stack("del")
    assert info.value.code == "StackNotFound"
    assert engine.store.find_stack(created.id).status == "DELETE_COMPLETE"
    assert engine.create_stack("del", template({"X": recorder()})).status == "CREATE_COMPLETE"


def test_failed_delete_keeps_the_rest(engine: StackEngine) -> None:
    body = template(
        {"A": recorder({"Name": "a"}), "B": recorder({"FailDelete": True, "Value": {"Ref": "A"}})}
    )
    engine.create_stack("stuck", body)
    stack = engine.delete_stack("stuck")
    assert stack.status == "DELETE_FAILED" and "refused to be deleted" in stack.reason
    assert {r.logical_id for r in engine.resources("stuck")} == {"A", "B"}


def test_unknown_type_and_schema_only_type_are_rejected_before_anything(engine: StackEngine) -> None:
    body = template({"A": {"Type": "ALIYUN::Nope::Thing"}, "B": {"Type": "Test::SchemaOnly"}})
    with pytest.raises(TemplateErrors) as info:
        engine.create_stack("bad", body)
    codes = sorted(e.code for e in info.value.errors)
    assert codes == ["NotSupported", "UnknownResourceType"]
    assert info.value.errors[0].path[-1] == "Type"
    assert engine.store.find_stack("bad") is None


def test_existing_name_is_refused(engine: StackEngine) -> None:
    engine.create_stack("dup", template({"A": recorder()}))
    with pytest.raises(StackError) as info:
        engine.create_stack("dup", template({"A": recorder()}))
    assert info.value.code == "StackExists" and "The Stack (dup) already exists." in info.value.message


# -- a static template error in Outputs refuses create/update up front (exit 2), before anything
# is recorded or created, as ROS's CreateStack validation does
GOOD = template({"R": recorder({"Name": "r"})}, outputs={"N": {"Value": {"Fn::GetAtt": ["R", "Name"]}}})
BAD_OUTPUT = template({"R": recorder({"Name": "r"})}, outputs={"G": {"Value": {"Fn::Foo": 1}}})


def test_cli_create_refuses_bad_output_before_recording_anything(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(BAD_OUTPUT)
    result = CliRunner().invoke(cli, ["stack", "create", "-t", str(path)], catch_exceptions=False)
    assert result.exit_code == 2
    assert "Outputs.G" in result.stderr and "Fn::Foo" in result.stderr
    listed = CliRunner().invoke(cli, ["stack", "list", "--all", "-o", "json"], catch_exceptions=False)
    assert json.loads(listed.stdout) == []
    assert fake_cloud.snapshot()["calls"] == []


def test_update_refuses_bad_output_and_leaves_stack_untouched(engine: StackEngine) -> None:
    stack = engine.create_stack("s", GOOD)
    assert stack.status == "CREATE_COMPLETE"
    calls_before = fake_cloud.calls()
    with pytest.raises(TemplateErrors) as caught:
        engine.update_stack(
            "s",
            template_body=template(
                {"R": recorder({"Name": "r", "Value": 2})}, outputs={"G": {"Value": {"Fn::Foo": 1}}}
            ),
        )
    assert any(e.path[:2] == ("Outputs", "G") for e in caught.value.errors)
    after = engine.get_stack("s")
    assert after.status == "CREATE_COMPLETE" and after.template_body == GOOD
    assert fake_cloud.calls() == calls_before


def test_every_output_error_is_reported_at_once(engine: StackEngine) -> None:
    with pytest.raises(TemplateErrors) as caught:
        engine.create_stack(
            "s",
            template(
                {"R": recorder({"Name": "r"})},
                outputs={"A": {"Value": {"Fn::Foo": 1}}, "B": {"Value": {"Fn::Bar": [1]}}},
            ),
        )
    assert {e.path[1] for e in caught.value.errors} >= {"A", "B"}
    assert engine.store.find_stack("s") is None and fake_cloud.calls() == []
