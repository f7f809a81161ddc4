"""``ros stack signal`` (SignalResource) against a real backend: a signal by hand reaches the
handle, and a refused one (after its wait finished) is a clear error."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rosengine.cli import cli
from tests.support.live_stack import LiveStack, live_stack

__all__ = ["live_stack"]

BODY = json.dumps(
    {
        "ROSTemplateFormatVersion": "2015-09-01",
        "Resources": {"Handle": {"Type": "ALIYUN::ROS::WaitConditionHandle"}},
    }
)
WAITS = json.dumps(
    {
        "ROSTemplateFormatVersion": "2015-09-01",
        "Resources": {
            "Handle": {"Type": "ALIYUN::ROS::WaitConditionHandle"},
            "Wait": {
                "Type": "ALIYUN::ROS::WaitCondition",
                "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": 30},
            },
        },
        "Outputs": {"Data": {"Value": {"Fn::GetAtt": ["Wait", "Data"]}}},
    }
)


def test_signal_by_hand_and_a_refused_one(
    live_stack: LiveStack, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROS_FC_ENDPOINT", live_stack.endpoint)
    monkeypatch.setenv("ROS_FC_ACCESS_KEY_ID", live_stack.config.access_key_id)
    monkeypatch.setenv("ROS_FC_ACCESS_KEY_SECRET", live_stack.config.access_key_secret)
    first, second = tmp_path / "handle.json", tmp_path / "waits.json"
    first.write_text(BODY)
    second.write_text(WAITS)
    runner = CliRunner()
    assert runner.invoke(cli, ["stack", "create", "-t", str(first), "-n", "sig"]).exit_code == 0
    sent = runner.invoke(
        cli,
        ["stack", "signal", "-n", "sig", "--logical-id", "Handle", "--unique-id", "a", "--data", '{"k": 1}'],
    )
    assert sent.exit_code == 0, sent.stderr
    assert sent.stdout.strip() == "Signal a (SUCCESS) recorded."
    updated = runner.invoke(cli, ["stack", "update", "-n", "sig", "-t", str(second), "-o", "json"])
    assert updated.exit_code == 0, updated.stderr
    outputs = {o["OutputKey"]: o["OutputValue"] for o in json.loads(updated.stdout)["Outputs"]}
    assert json.loads(outputs["Data"]) == {"a": {"k": 1}}
    late = runner.invoke(cli, ["stack", "signal", "-n", "sig", "--logical-id", "Wait", "--status", "FAILURE"])
    assert late.exit_code == 2 and "WaitConditionFinished" in late.stderr and "has finished" in late.stderr
    wrong = runner.invoke(cli, ["stack", "signal", "-n", "sig", "--logical-id", "Nothing"])
    assert wrong.exit_code == 2 and "could not be found" in wrong.stderr
