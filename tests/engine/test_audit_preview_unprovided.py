"""Audit item: preview plans types without a local provider (it creates nothing), and create's
NotSupported refusal names each template resource once (not once per Count copy)."""

from __future__ import annotations

import json
from pathlib import Path

import fake_cloud
from click.testing import CliRunner
from helpers import recorder, template

from rosengine.cli import cli

BODY = template(
    {
        "N": {"Type": "ALIYUN::ROS::Stack", "Properties": {"TemplateURL": "oss://bucket/nested.yml"}},
        "H": {"Type": "ALIYUN::ROS::WaitConditionHandle", "Count": 2},
        "W": {
            "Type": "ALIYUN::ROS::WaitCondition",
            "Properties": {"Handle": {"Ref": "H[0]"}, "Timeout": 60},
            "DependsOn": ["H"],
        },
        "R": recorder({"Name": "r"}),
    }
)


def _ros(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_preview_shows_unprovided_types_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "waits.json"
    path.write_text(BODY)
    code, out, err = _ros("stack", "preview", "-t", str(path), "-o", "json")
    assert code == 0, err
    rows = {r["LogicalResourceId"]: r for r in json.loads(out)["Resources"]}
    assert set(rows) == {"N", "H[0]", "H[1]", "W", "R"}
    assert all(r["Action"] == "Add" for r in rows.values())
    for logical_id in ("N", "H[0]", "W"):
        assert "not supported locally" in rows[logical_id]["Note"]
    assert rows["R"]["Note"] == ""
    code, out, _ = _ros("stack", "list", "--all", "-o", "json")
    assert json.loads(out) == [] and fake_cloud.calls() == []


def test_create_names_every_unprovided_type_in_one_error(tmp_path: Path) -> None:
    path = tmp_path / "waits.json"
    path.write_text(BODY)
    code, _, err = _ros("stack", "create", "-t", str(path))
    assert code == 2
    lines = [line for line in err.splitlines() if "NotSupported" in line]
    assert len(lines) == 1, err
    assert "3 resource types of this template have no local implementation" in lines[0]
    assert "ALIYUN::ROS::WaitConditionHandle (H)." in lines[0]  # the Count resource once
    assert "ALIYUN::ROS::Stack (N)" in lines[0] and "ALIYUN::ROS::WaitCondition (W)" in lines[0]
    assert fake_cloud.calls() == []
