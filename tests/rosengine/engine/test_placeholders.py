"""Placeholders, only on request: types with no local twin are refused in one error that names
them all (nested templates' too) and suggests --placeholders; with it they are deployed as marked
placeholders — IDs and attributes of the right types, noted in every event, row and the stack's
reason, removed without needing the flag again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rosengine.cli import cli
from rosengine.engine import StackEngine, StackOptions
from rosengine.engine import changesets as cs
from rosengine.errors import TemplateErrors
from tests.support import fake_cloud
from tests.support.engine_templates import recorder, template

INSTANCE = {
    "Type": "ALIYUN::ECS::InstanceGroup",
    "Properties": {"InstanceType": "ecs.g6.large", "MaxAmount": 1, "ImageId": "centos_7"},
}
BODY = template(
    {
        "Group": INSTANCE,
        "Db": {"Type": "ALIYUN::SLB::LoadBalancer", "Properties": {}},
        "Uses": recorder({"Name": "uses", "Value": {"Fn::GetAtt": ["Group", "InstanceIds"]}}),
        "Nested": {
            "Type": "ALIYUN::ROS::Stack",
            "Properties": {
                "TemplateBody": {
                    "ROSTemplateFormatVersion": "2015-09-01",
                    "Resources": {"Key": {"Type": "ALIYUN::KMS::Key", "Properties": {}}},
                }
            },
        },
    },
    outputs={"Ips": {"Value": {"Fn::GetAtt": ["Group", "PrivateIps"]}}, "Id": {"Value": {"Ref": "Group"}}},
)
ON = StackOptions(placeholders=True)


def test_without_the_flag_every_type_without_a_twin_is_refused_in_one_error(engine: StackEngine) -> None:
    with pytest.raises(TemplateErrors) as refused:
        engine.create_stack("refused", BODY)
    (error,) = [e for e in refused.value.errors if e.code == "NotSupported"]
    assert "3 resource types of this template have no local implementation" in error.message
    for named in (
        "ALIYUN::ECS::InstanceGroup (Group)",
        "ALIYUN::SLB::LoadBalancer (Db)",
        "ALIYUN::KMS::Key (Nested.Key)",
    ):
        assert named in error.message
    assert "with --placeholders" in error.message
    assert engine.store.find_stack("refused") is None and fake_cloud.calls() == []


def test_with_the_flag_they_are_marked_placeholders_with_typed_attributes(
    engine: StackEngine, listener: Any
) -> None:
    stack = engine.create_stack("ph", BODY, options=ON)
    assert stack.status == "CREATE_COMPLETE", stack.reason
    assert stack.reason == (
        "Stack CREATE completed successfully; 2 of 4 resources are placeholders (no local twin): "
        "Db (ALIYUN::SLB::LoadBalancer), Group (ALIYUN::ECS::InstanceGroup)"
    )
    rows = {r.logical_id: r for r in engine.resources("ph")}
    group = rows["Group"]
    assert group.placeholder and group.reason == "placeholder: no local twin for ALIYUN::ECS::InstanceGroup"
    assert group.physical_id.startswith("ig-lcl") and group.as_api()["Placeholder"] is True
    assert isinstance(group.attributes["InstanceIds"], list) and group.attributes["InstanceIds"][
        0
    ].startswith("i-lcl")
    assert group.attributes["PrivateIps"][0].startswith("192.0.2.")
    assert rows["Uses"].properties["Value"] == group.attributes["InstanceIds"]
    assert not rows["Uses"].placeholder and not rows["Nested"].placeholder
    statuses = [(e.status, e.reason) for e in listener.events if e.logical_id == "Group"]
    assert statuses == [
        ("CREATE_IN_PROGRESS", "placeholder: no local twin for ALIYUN::ECS::InstanceGroup"),
        ("CREATE_COMPLETE", "placeholder: no local twin for ALIYUN::ECS::InstanceGroup"),
    ]
    child = next(s for s in engine.store.list_stacks() if s.parent_stack_id == stack.id)
    assert "1 of 1 resource is a placeholder" in child.reason  # the nested stack deploys them too
    outputs = {o.key: o.value for o in engine.store.get_outputs(stack.id)}
    assert outputs["Id"] == group.physical_id


APPLICATION = template(
    {
        "App": {
            "Type": "ALIYUN::FC::Application",
            "Properties": {"Name": "app", "Template": "fc-comfyui@0.0.4", "AutoDeploy": True},
        },
    },
    outputs={
        # What only the cloud fills in: the deployment's custom domain, read with Fn::Jq.
        "Url": {
            "Value": {
                "Fn::Select": [
                    {
                        "Fn::Jq": [
                            "First",
                            ".web.customDomains[0].protocol",
                            {"Fn::GetAtt": ["App", "Output"]},
                        ]
                    },
                    {"HTTP": "http"},
                ]
            }
        },
        "Name": {"Value": {"Ref": "App"}},
    },
)


def test_an_output_that_fails_on_a_placeholders_attributes_is_marked_not_fatal(engine: StackEngine) -> None:
    stack = engine.create_stack("app", APPLICATION, options=ON)
    assert stack.status == "CREATE_COMPLETE", stack.reason
    assert "1 of 1 resource is a placeholder" in stack.reason
    outputs = {o.key: o.value for o in engine.store.get_outputs(stack.id)}
    assert outputs["Url"].startswith("placeholder: computed from App (ALIYUN::FC::Application)")
    assert "Fn::Select" in outputs["Url"]
    assert outputs["Name"] == {r.logical_id: r for r in engine.resources("app")}["App"].physical_id


def test_an_output_error_without_placeholders_in_it_still_fails_the_stack(engine: StackEngine) -> None:
    broken = template(
        {"Uses": recorder({"Name": "uses", "Value": {"b": 1}})},
        outputs={
            "Bad": {
                "Value": {
                    "Fn::Select": [{"Fn::Jq": ["First", ".a", {"Fn::GetAtt": ["Uses", "Value"]}]}, {"a": 1}]
                }
            }
        },
    )
    stack = engine.create_stack("broken", broken, options=ON)
    assert stack.status == "CREATE_ROLLBACK_COMPLETE"
    assert "Outputs could not be evaluated" in stack.reason


def test_updates_keep_them_marked_and_deleting_needs_no_flag(engine: StackEngine, listener: Any) -> None:
    assert engine.create_stack("ph", BODY, options=ON).status == "CREATE_COMPLETE"
    first = {r.logical_id: r for r in engine.resources("ph")}["Group"]
    changed = BODY.replace('"MaxAmount": 1', '"MaxAmount": 2')
    stack = engine.update_stack("ph", template_body=changed)  # the stack keeps deploying placeholders
    assert stack.status == "UPDATE_COMPLETE", stack.reason
    assert "2 of 4 resources are placeholders" in stack.reason
    group = {r.logical_id: r for r in engine.resources("ph")}["Group"]
    assert group.placeholder and group.physical_id == first.physical_id
    assert group.reason == "placeholder: no local twin for ALIYUN::ECS::InstanceGroup"
    deleted = engine.delete_stack("ph", options=StackOptions())
    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    last = [e for e in listener.events if e.logical_id == "Group"][-1]
    assert last.reason == "placeholder: nothing to delete (no local twin for ALIYUN::ECS::InstanceGroup)"


def test_preview_and_change_sets_say_which_resources_will_be_placeholders(engine: StackEngine) -> None:
    _, _, changes = engine.plan("pv", BODY, preview=True, placeholders=True)
    notes = {c.logical_id: c.as_preview(True)["Note"] for c in changes}
    assert (
        notes["Group"] == "placeholder: no local twin for ALIYUN::ECS::InstanceGroup" and notes["Uses"] == ""
    )
    record = cs.create_change_set(engine, "csph", "first", template_body=BODY, options=ON)
    by_id = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in record.changes}
    assert by_id["Db"]["Note"] == "placeholder: no local twin for ALIYUN::SLB::LoadBalancer"
    stack = cs.execute_change_set(engine, record.id, "csph")
    assert stack.status == "CREATE_COMPLETE" and "2 of 4 resources are placeholders" in stack.reason


def test_the_cli_refuses_suggests_and_describes(tmp_path: Path) -> None:
    path = tmp_path / "ph.json"
    path.write_text(BODY)
    runner = CliRunner()
    refused = runner.invoke(cli, ["stack", "create", "-t", str(path)])
    assert refused.exit_code == 2 and "with --placeholders" in refused.stderr
    created = runner.invoke(cli, ["stack", "create", "-t", str(path), "--placeholders", "-o", "json"])
    assert created.exit_code == 0, created.stderr
    described = json.loads(runner.invoke(cli, ["stack", "describe", "-n", "ph", "-o", "json"]).stdout)
    assert described["Placeholders"]["Count"] == 2
    text = runner.invoke(cli, ["stack", "describe", "-n", "ph"], env={"COLUMNS": "250"}).stdout
    assert "Placeholders" in text and "Group (ALIYUN::ECS::InstanceGroup)" in text
    rows = json.loads(runner.invoke(cli, ["stack", "resources", "-n", "ph", "-o", "json"]).stdout)
    assert {r["LogicalResourceId"] for r in rows if r.get("Placeholder")} == {"Group", "Db"}
    preview = runner.invoke(
        cli, ["stack", "preview", "-t", str(path), "-n", "other", "--placeholders", "-o", "json"]
    )
    assert preview.exit_code == 0, preview.stderr
    listed = json.loads(runner.invoke(cli, ["stack", "list", "-o", "json"]).stdout)
    assert [s["StackName"] for s in listed] == ["ph"]  # the nested stack is listed with --show-nested
    nested = json.loads(runner.invoke(cli, ["stack", "list", "--show-nested", "-o", "json"]).stdout)
    assert len(nested) == 2 and any("ParentStackId" in s for s in nested)
