"""The ROS CDK as a real client: templates it synthesizes pass ``ros validate`` with no error and no
warning, and values its own checks were told to let through are caught, at the right lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rosengine.cli import cli

APP = Path(__file__).with_name("ros_cdk_app.py")

pytestmark = pytest.mark.node


def synthesize(outdir: Path, *flags: str) -> Path:
    env = dict(os.environ, JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1")
    subprocess.run(
        [sys.executable, str(APP), str(outdir), *flags], check=True, env=env, capture_output=True, timeout=240
    )
    return outdir / "DemoStack.template.json"


def validate(path: Path, *options: str):
    return CliRunner().invoke(cli, ["validate", "-j", "1", *options, str(path)], catch_exceptions=False)


def test_synthesized_template_validates_with_no_error_and_no_warning(tmp_path: Path):
    template = synthesize(tmp_path / "good")
    body = json.loads(template.read_text())
    assert {r["Type"] for r in body["Resources"].values()} == {
        "ALIYUN::ECS::VPC",
        "ALIYUN::ECS::VSwitch",
        "ALIYUN::ECS::SecurityGroup",
        "ALIYUN::RAM::Role",
        "ALIYUN::OSS::Bucket",
        "ALIYUN::FC3::Function",
    }
    result = validate(template, "--strict")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 errors, 0 warnings in 1 file")


def test_values_the_cdk_was_told_not_to_check_are_caught(tmp_path: Path):
    template = synthesize(tmp_path / "bad", "--invalid")
    result = validate(template, "-f", "json")
    assert result.exit_code == 2
    findings = {f["path"]: f for f in json.loads(result.stdout)["findings"]}
    assert set(findings) == {
        "Resources.Role.Properties.MaxSessionDuration",
        "Resources.Bucket.Properties.AccessControl",
    }
    assert all(f["line"] and f["ruleId"] == "StackValidationFailed" for f in findings.values())
