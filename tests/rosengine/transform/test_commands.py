"""``ros transform`` prints the expansion; a stack keeps the original and the processed template
(``ros stack template [--processed]``), replaced on update and restored by a rollback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rosengine.cli import cli
from rosengine.engine import StackEngine
from rosengine.state import open_store
from tests.support import fake_cloud
from tests.support.serverless_templates import HEADER, write

SERVERLESS = """\
Resources:
  svc:
    Type: Aliyun::Serverless::Service
    fn:
      Type: Aliyun::Serverless::Function
      Properties: {Handler: index.handler, Runtime: python3, CodeUri: 'oss://code/fn.zip'}
"""


def test_transform_prints_the_expansion_in_the_template_format(tmp_path: Path):
    path = write(tmp_path, SERVERLESS)
    result = CliRunner().invoke(cli, ["transform", "-t", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "ROSTemplateFormatVersion: '2015-09-01'\nResources:\n  svc:\n    Type: ALIYUN::FC::Service"
    )
    as_json = json.loads(CliRunner().invoke(cli, ["transform", "-t", str(path), "-o", "json"]).output)
    assert as_json["Resources"]["svcfn"]["Properties"]["Code"] == {
        "OssBucketName": "code",
        "OssObjectName": "fn.zip",
    }


def test_transform_errors_and_warnings(tmp_path: Path):
    bad = write(tmp_path, "Resources:\n  x:\n    Type: Aliyun::Serverless::Nope\n", name="bad.yml")
    result = CliRunner().invoke(cli, ["transform", "-t", str(bad)])
    assert result.exit_code == 2
    assert f"error: {bad}:5:5 Resources.x.Type: UnknownResourceType:" in result.output
    missing = write(tmp_path, SERVERLESS.replace("'oss://code/fn.zip'", "./src"), name="missing.yml")
    result = CliRunner().invoke(cli, ["transform", "-t", str(missing)])
    assert result.exit_code == 0 and "warning:" in result.output and "CodeUriNotFound" in result.output


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ROS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ROS_TEST_CLOUD", str(tmp_path / "cloud.json"))
    fake_cloud.install()
    store = open_store()
    yield StackEngine(store)
    store.close()


RECORDERS = HEADER + "Resources:\n  A:\n    Type: Test::Recorder\n    Properties: {Value: 1}\n"
PLAIN = (
    "ROSTemplateFormatVersion: '2015-09-01'\nResources:\n  A:\n    Type: Test::Recorder\n"
    "    Properties: {Value: 2}\n"
)


def test_a_stack_keeps_original_and_processed_templates(engine: StackEngine, tmp_path: Path):
    stack = engine.create_stack("kept", RECORDERS, filename=str(tmp_path / "t.yml"))
    assert stack.status == "CREATE_COMPLETE"
    assert stack.template_body == RECORDERS
    assert "Transform" not in stack.processed_template and "Type: Test::Recorder" in stack.processed_template
    runner = CliRunner()
    assert runner.invoke(cli, ["stack", "template", "-n", "kept"]).output == RECORDERS
    assert (
        runner.invoke(cli, ["stack", "template", "-n", "kept", "--processed"]).output
        == stack.processed_template
    )

    updated = engine.update_stack("kept", template_body=PLAIN)
    assert updated.status == "UPDATE_COMPLETE" and updated.processed_template == ""
    # Without a Transform the processed template is the original.
    assert runner.invoke(cli, ["stack", "template", "-n", "kept", "--processed"]).output == PLAIN


def test_a_failed_update_restores_the_processed_template(engine: StackEngine, tmp_path: Path):
    processed = engine.create_stack("back", RECORDERS, filename=str(tmp_path / "t.yml")).processed_template
    failing = PLAIN.replace("{Value: 2}", "{Value: 3, FailUpdate: true}")
    stack = engine.update_stack("back", template_body=failing)
    assert stack.status == "ROLLBACK_COMPLETE", stack.reason
    assert stack.template_body == RECORDERS and stack.processed_template == processed
