"""Audit item: a static template error in Outputs refuses create/update up front (exit 2), before
anything is recorded or created, as ROS's CreateStack validation does."""

from __future__ import annotations

import json
from pathlib import Path

import fake_cloud
import pytest
from click.testing import CliRunner
from helpers import recorder, template

from rosengine.cli import cli
from rosengine.engine import StackEngine
from rosengine.errors import TemplateErrors

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
