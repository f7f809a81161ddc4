"""Nested stacks (ALIYUN::ROS::Stack) through the engine: real child stacks created, updated and
deleted with their parent, outputs read through Outputs.X, five levels at most, and every bad
nested template named with the parent's file and line before anything starts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rosengine.engine import StackEngine, StackError
from rosengine.errors import TemplateErrors
from tests.support import fake_cloud
from tests.support.engine_templates import recorder, template


def _child(depth: int) -> dict[str, Any]:
    """A template nesting ``depth`` more levels below itself; the innermost holds a recorder."""
    if depth == 0:
        return {
            "ROSTemplateFormatVersion": "2015-09-01",
            "Parameters": {"Word": {"Type": "String"}},
            "Resources": {"Leaf": recorder({"Name": {"Ref": "Word"}})},
            "Outputs": {"Said": {"Value": {"Fn::GetAtt": ["Leaf", "Name"]}}},
        }
    return {
        "ROSTemplateFormatVersion": "2015-09-01",
        "Parameters": {"Word": {"Type": "String"}},
        "Resources": {
            "Inner": {
                "Type": "ALIYUN::ROS::Stack",
                "Properties": {"Parameters": {"Word": {"Ref": "Word"}}, "TemplateBody": _child(depth - 1)},
            }
        },
        "Outputs": {"Said": {"Value": {"Fn::GetAtt": ["Inner", "Outputs.Said"]}}},
    }


def _parent(word: str = "hello", depth: int = 0, **properties: Any) -> str:
    props = {"Parameters": {"Word": word}, "TemplateBody": _child(depth), **properties}
    return template(
        {"Child": {"Type": "ALIYUN::ROS::Stack", "Properties": props}},
        outputs={
            "Said": {"Value": {"Fn::GetAtt": ["Child", "Outputs.Said"]}},
            "All": {"Value": {"Fn::GetAtt": ["Child", "Outputs"]}},
            "Arn": {"Value": {"Ref": "Child"}},
        },
    )


def _outputs(engine: StackEngine, name: str) -> dict[str, Any]:
    return {o.key: o.value for o in engine.store.get_outputs(engine.get_stack(name).id)}


def test_a_nested_stack_is_a_real_stack_created_updated_and_deleted_with_its_parent(
    engine: StackEngine,
) -> None:
    parent = engine.create_stack("top", _parent("hello"))
    assert parent.status == "CREATE_COMPLETE", parent.reason
    out = _outputs(engine, "top")
    assert out["Said"] == "hello" and out["All"] == {"Said": "hello"}
    stacks = {s.name: s for s in engine.store.list_stacks()}
    child = next(s for s in stacks.values() if s.parent_stack_id == parent.id)
    assert child.status == "CREATE_COMPLETE" and child.root_stack_id == parent.id
    ident = parent.identity
    arn = f"arn:acs:ros::{ident['region']}:{ident['account_id']}:stacks/{child.name}/{child.id}"
    assert out["Arn"] == arn
    assert child.as_api()["ParentStackId"] == parent.id
    with pytest.raises(StackError) as refused:
        engine.delete_stack(child.id)
    assert "is nested in stack top" in refused.value.message
    assert engine.update_stack("top", template_body=_parent("bye")).status == "UPDATE_COMPLETE"
    assert _outputs(engine, "top")["Said"] == "bye"
    assert [r["properties"]["Name"] for r in fake_cloud.snapshot()["resources"].values()] == ["bye"]
    assert engine.delete_stack("top").status == "DELETE_COMPLETE"
    assert engine.get_stack(child.id).status == "DELETE_COMPLETE"
    assert fake_cloud.snapshot()["resources"] == {}


def test_a_failing_nested_stack_fails_and_rolls_back_its_parent(engine: StackEngine) -> None:
    body = template(
        {
            "Child": {
                "Type": "ALIYUN::ROS::Stack",
                "Properties": {
                    "TemplateBody": {
                        "ROSTemplateFormatVersion": "2015-09-01",
                        "Resources": {"Ok": recorder({"Name": "ok"}), "Bad": recorder({"FailCreate": True})},
                    }
                },
            }
        }
    )
    stack = engine.create_stack("bad", body)
    assert stack.status == "CREATE_ROLLBACK_COMPLETE"
    assert "nested stack bad-Child-" in stack.reason and "refused to be created" in stack.reason
    assert fake_cloud.snapshot()["resources"] == {}


def test_five_levels_deploy_and_six_are_refused_before_anything_starts(engine: StackEngine) -> None:
    assert engine.create_stack("five", _parent("deep", depth=4)).status == "CREATE_COMPLETE"
    assert _outputs(engine, "five")["Said"] == "deep"
    assert len(engine.store.list_stacks()) == 6
    with pytest.raises(TemplateErrors) as refused:
        engine.create_stack("six", _parent("deeper", depth=5))
    assert "stacks nest at most 5 levels deep" in str(refused.value)
    assert engine.store.find_stack("six") is None


def test_a_nested_template_that_does_not_parse_is_named_with_the_parents_file_and_line(
    engine: StackEngine, tmp_path: Path
) -> None:
    (tmp_path / "child.yml").write_text("ROSTemplateFormatVersion: '2015-09-01'\nResources:\n  A: [oops\n")
    parent = tmp_path / "parent.yml"
    parent.write_text(
        "ROSTemplateFormatVersion: '2015-09-01'\n"
        "Resources:\n"
        "  Fine:\n"
        "    Type: Test::Recorder\n"
        "  Child:\n"
        "    Type: ALIYUN::ROS::Stack\n"
        "    Properties:\n"
        "      TemplateURL: child.yml\n"
    )
    with pytest.raises(TemplateErrors) as refused:
        engine.create_stack("parse", parent.read_text(), filename=str(parent))
    (error,) = refused.value.errors
    assert (error.file, error.line) == (str(parent), 8)
    assert "Resources.Child.Properties.TemplateURL" in str(error)
    assert f"TemplateURL child.yml) does not parse: {tmp_path / 'child.yml'}:3" in str(error)
    assert fake_cloud.calls() == [] and engine.store.find_stack("parse") is None


@pytest.mark.parametrize(
    "properties, expected",
    [
        ({"TemplateURL": "https://example.com/t.yml"}, "is on the Internet, and rosengine never fetches"),
        ({"TemplateURL": "ftp://example.com/t.yml"}, "the ftp:// scheme is not supported here"),
        ({"TemplateId": "5ecd1e10-b0e9-4389-a565-e4c15efc****"}, "template store, which has no local twin"),
    ],
)
def test_templates_from_elsewhere_are_refused_clearly(
    engine: StackEngine, properties: dict[str, Any], expected: str
) -> None:
    body = template({"Child": {"Type": "ALIYUN::ROS::Stack", "Properties": properties}})
    with pytest.raises(TemplateErrors) as refused:
        engine.create_stack("far", body)
    assert expected in str(refused.value)
    assert engine.store.find_stack("far") is None


def test_a_template_url_given_by_a_parameter_is_checked_when_its_stack_is_created(
    engine: StackEngine,
) -> None:
    body = template(
        {"Child": {"Type": "ALIYUN::ROS::Stack", "Properties": {"TemplateURL": {"Ref": "Url"}}}},
        parameters={"Url": {"Type": "String"}},
    )
    stack = engine.create_stack("later", body, parameters={"Url": "http://example.com/t.yml"})
    assert stack.status == "CREATE_ROLLBACK_COMPLETE"
    assert (
        "Resources.Child.Properties.TemplateURL: TemplateURL http://example.com/t.yml is on" in stack.reason
    )
    assert [s.name for s in engine.store.list_stacks()] == ["later"]  # no child was left behind


def test_a_local_template_url_and_file_url_deploy(engine: StackEngine, tmp_path: Path) -> None:
    (tmp_path / "child.json").write_text(json.dumps(_child(0)))
    for name, url in (("rel", "child.json"), ("abs", f"file://{tmp_path / 'child.json'}")):
        parent = tmp_path / f"{name}.json"
        parent.write_text(_parent(name, TemplateURL=url).replace('"TemplateBody"', '"Unused"'))
        body = json.loads(parent.read_text())
        del body["Resources"]["Child"]["Properties"]["Unused"]
        parent.write_text(json.dumps(body))
        stack = engine.create_stack(name, parent.read_text(), filename=str(parent))
        assert stack.status == "CREATE_COMPLETE", stack.reason
        assert _outputs(engine, name)["Said"] == name


def test_a_failed_nested_update_rolls_back_parent_and_child(engine: StackEngine) -> None:
    assert engine.create_stack("up", _parent("first")).status == "CREATE_COMPLETE"
    child = next(s for s in engine.store.list_stacks() if s.parent_stack_id)
    failing = json.loads(_parent("second"))
    body = failing["Resources"]["Child"]["Properties"]["TemplateBody"]
    body["Resources"]["Broken"] = recorder({"FailCreate": True})
    stack = engine.update_stack("up", template_body=json.dumps(failing))
    assert stack.status == "ROLLBACK_COMPLETE", stack.reason
    assert "nested stack up-Child-" in stack.reason
    assert _outputs(engine, "up")["Said"] == "first"
    assert engine.get_stack(child.id).status in ("UPDATE_COMPLETE", "ROLLBACK_COMPLETE")
    assert [r["properties"]["Name"] for r in fake_cloud.snapshot()["resources"].values()] == ["first"]
    assert engine.delete_stack("up").status == "DELETE_COMPLETE"
    assert fake_cloud.snapshot()["resources"] == {}
