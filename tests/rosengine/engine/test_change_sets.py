"""Change sets: NoEcho parameters are masked in the change set and in the stack a CREATE change set
makes, before and after it is executed."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from rosengine.cli import cli
from rosengine.engine import StackEngine
from rosengine.engine import changesets as cs
from tests.support.engine_templates import recorder, template

BODY = template(
    {"R": recorder({"Name": {"Ref": "A"}})},
    parameters={"A": {"Type": "String"}, "Pw": {"Type": "String", "NoEcho": True}},
)


def _ros(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def _pw(data: dict) -> str:
    return {p["ParameterKey"]: p["ParameterValue"] for p in data["Parameters"]}["Pw"]


def test_create_change_set_masks_noecho_in_every_view(tmp_path: Path) -> None:
    path = tmp_path / "u1.json"
    path.write_text(BODY)
    code, out = _ros(
        "stack",
        "changeset",
        "create",
        "-n",
        "cs9",
        "--change-set-name",
        "z",
        "-t",
        str(path),
        "-p",
        "A=x",
        "-p",
        "Pw=topsecret",
        "-o",
        "json",
    )
    assert code == 0 and "topsecret" not in out and _pw(json.loads(out)) == "******"

    code, out = _ros("stack", "describe", "-n", "cs9", "-o", "json")
    data = json.loads(out)
    assert data["Status"] == "REVIEW_IN_PROGRESS" and "topsecret" not in out and _pw(data) == "******"

    code, out = _ros("stack", "changeset", "describe", "-n", "cs9", "--change-set-name", "z", "-o", "json")
    assert "topsecret" not in out and _pw(json.loads(out)) == "******"

    code, out = _ros("stack", "changeset", "execute", "-n", "cs9", "--change-set-name", "z", "-o", "json")
    assert code == 0 and "topsecret" not in out
    code, out = _ros("stack", "changeset", "describe", "-n", "cs9", "--change-set-name", "z", "-o", "json")
    data = json.loads(out)
    assert data["ExecutionStatus"] == "EXECUTE_COMPLETE" and "topsecret" not in out and _pw(data) == "******"


def test_change_set_view_masks_by_its_own_template_even_if_the_stack_forgot(engine: StackEngine) -> None:
    record = cs.create_change_set(engine, "cs9", "z", template_body=BODY, parameters={"A": "x", "Pw": "s3"})
    stack = engine.get_stack("cs9")
    engine.store.update_stack(stack.id, no_echo=[])  # e.g. a stack recorded by an older version
    assert _pw(cs.change_set_view(engine, record)) == "******"


def test_unreadable_change_set_template_masks_every_parameter(engine: StackEngine) -> None:
    record = cs.create_change_set(engine, "cs9", "z", template_body=BODY, parameters={"A": "x", "Pw": "s3"})
    record.template_body = "{not a template"
    assert {p["ParameterValue"] for p in cs.change_set_view(engine, record)["Parameters"]} == {"******"}
