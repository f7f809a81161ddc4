"""Audit item: the default stack name of ``ros stack create`` is made valid from the file stem,
and the name used is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rosengine.cli import cli
from rosengine.engine.stack_engine import check_stack_name, stack_name_from_file
from tests.support.engine_templates import recorder, template


def test_create_from_a_file_with_spaces_uses_a_derived_name(tmp_path: Path) -> None:
    path = tmp_path / "my rules.json"
    path.write_text(template({"R": recorder({"Name": "r"})}))
    result = CliRunner().invoke(
        cli, ["stack", "create", "-t", str(path), "-o", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["StackName"] == "my-rules"
    assert "'my-rules'" in result.stderr


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("my rules.yml", "my-rules"),
        ("a.b c.json", "a-b-c"),
        ("__x__.yml", "x__"),
        ("(*).yml", "stack"),
        ("dir/ok_name-1.yml", "ok_name-1"),
        ("é" * 300 + "z.yml", "z"),
        ("y" * 300 + ".yml", "y" * 255),
    ],
)
def test_derived_names_are_valid(file: str, expected: str) -> None:
    name = stack_name_from_file(file)
    assert name == expected
    check_stack_name(name)
