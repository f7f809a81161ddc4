"""``ros stack`` through click: exit codes, parameters, outputs, masking, errors, default stack names,
preview of types without a local provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rosengine.cli import cli
from rosengine.engine.stack_engine import check_stack_name, stack_name_from_file
from tests.support import fake_cloud
from tests.support.engine_templates import recorder, template


@pytest.fixture
def run(tmp_path: Path):
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def _write(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(body)
    return str(path)


BODY = template(
    {"A": recorder({"Name": "a", "Value": {"Ref": "Persons"}})},
    parameters={"Persons": {"Type": "String"}, "Token": {"Type": "String", "NoEcho": True, "Default": "t0k"}},
    outputs={
        "Who": {"Value": {"Ref": "Persons"}, "Description": "people"},
        "Tok": {"Value": {"Ref": "Token"}, "NoEcho": "true"},
    },
)


def test_create_defaults_name_to_file_stem_and_keeps_commas(tmp_path: Path, run) -> None:
    path = _write(tmp_path, "lottery.json", BODY)
    code, out, err = run("stack", "create", "-t", path, "-p", "Persons=a,b=c,d", "-o", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["StackName"] == "lottery" and data["Status"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in data["Outputs"]}
    assert outputs == {"Who": "a,b=c,d", "Tok": "******"}
    assert "CREATE_COMPLETE" in err  # progress went to stderr with -o json
    code, out, _ = run(
        "stack", "outputs", "-n", "lottery", "-o", "json", "--query", "[?OutputKey=='Who'].OutputValue"
    )
    assert json.loads(out) == ["a,b=c,d"]
    code, out, _ = run("stack", "describe", "-n", "lottery", "-o", "json")
    params = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads(out)["Parameters"]}
    assert params["Token"] == "******" and "t0k" not in out
    code, out, _ = run("stack", "events", "-n", "lottery", "-o", "yaml")
    assert "t0k" not in out and "CREATE_COMPLETE" in out
    code, out, _ = run("stack", "resources", "-n", "lottery", "-o", "json")
    assert [r["LogicalResourceId"] for r in json.loads(out)] == ["A"]
    code, out, _ = run("stack", "list")
    assert code == 0 and "lottery" in out


def test_parameters_file_and_update_with_partial_parameters(tmp_path: Path, run) -> None:
    path = _write(tmp_path, "p.json", BODY)
    pfile = _write(tmp_path, "params.json", json.dumps([{"ParameterKey": "Persons", "ParameterValue": "x"}]))
    assert run("stack", "create", "-t", path, "--parameters-file", pfile)[0] == 0
    code, out, err = run("stack", "update", "-n", "p", "-p", "Token=new", "-o", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["Status"] == "UPDATE_COMPLETE"
    assert {o["OutputKey"]: o["OutputValue"] for o in data["Outputs"]}["Who"] == "x"
    code, _, err = run("stack", "update", "-n", "p", "--use-previous-template")
    assert code == 0 and "NotSupported" in err


def test_failed_create_exits_1_and_template_errors_exit_2(tmp_path: Path, run) -> None:
    bad = _write(tmp_path, "bad.json", template({"A": recorder({"FailCreate": True})}))
    code, out, _ = run("stack", "create", "-t", bad)
    assert code == 1 and "CREATE_ROLLBACK_COMPLETE" in out
    unknown = _write(tmp_path, "unknown.json", template({"A": {"Type": "ALIYUN::No::Such"}}))
    code, _, err = run("stack", "create", "-t", unknown)
    assert code == 2 and "UnknownResourceType" in err and "Resources.A.Type" in err
    code, _, err = run("stack", "create", "-t", unknown, "-p", "novalue")
    assert code == 2 and "KEY=VALUE" in err
    code, _, err = run("stack", "describe", "-n", "nope")
    assert code == 2 and "The Stack (nope) could not be found." in err


def test_template_errors_are_all_reported_before_anything_starts(tmp_path: Path, run) -> None:
    """A missing parameter, a bad property value and a wrong reference: one run names them all."""
    body = (
        "ROSTemplateFormatVersion: '2015-09-01'\n"
        "Parameters:\n  P:\n    Type: String\n"
        "Resources:\n  S:\n    Type: ALIYUN::FC::Service\n"
        "    Properties:\n      ServiceName: 1bad name\n      Nope: 1\n"
        "Outputs:\n  X:\n    Value: !Ref Missing\n"
    )
    code, _, err = run("stack", "create", "-t", _write(tmp_path, "many.yml", body))
    assert code == 2
    for expected in (
        "Parameters.P: UserParameterMissing",
        "Resources.S.Properties.ServiceName:",
        "Resources.S.Properties.Nope:",
        "Outputs.X.Value.Ref: InvalidTemplateReference",
    ):
        assert expected in err, err
    assert "many.yml:9:7" in err  # located: file, line, column


def test_preview_and_changeset_commands(tmp_path: Path, run) -> None:
    path = _write(tmp_path, "pc.json", BODY)
    code, out, _ = run("stack", "preview", "-t", path, "-p", "Persons=a", "-o", "json")
    assert code == 0 and [r["Action"] for r in json.loads(out)["Resources"]] == ["Add"]
    assert fake_cloud.snapshot()["resources"] == {}
    assert run("stack", "create", "-t", path, "-p", "Persons=a")[0] == 0
    renamed = _write(tmp_path, "pc2.json", BODY.replace('"Name": "a"', '"Name": "a2"'))
    code, out, _ = run("stack", "preview", "-n", "pc", "-t", renamed, "-o", "json")
    res = json.loads(out)["Resources"][0]
    assert (res["Action"], res["Replacement"]) == ("Modify", "True")
    assert res["ReplacementReason"] == "create-only properties changed: Name"
    code, out, err = run("stack", "changeset", "create", "-n", "pc", "--change-set-name", "c1", "-t", renamed)
    assert code == 0, err
    assert "Modify" in out
    code, out, _ = run("stack", "changeset", "list", "-n", "pc", "-o", "json")
    assert json.loads(out)[0]["ExecutionStatus"] == "AVAILABLE"
    code, out, _ = run("stack", "changeset", "describe", "-n", "pc", "--change-set-name", "c1", "-o", "json")
    assert json.loads(out)["Changes"][0]["ResourceChange"]["Replacement"] == "True"
    code, out, err = run("stack", "changeset", "execute", "-n", "pc", "--change-set-name", "c1", "-o", "json")
    assert code == 0 and json.loads(out)["Status"] == "UPDATE_COMPLETE", err
    code, _, _ = run("stack", "changeset", "delete", "-n", "pc", "--change-set-name", "c1")
    assert code == 0
    code, out, _ = run("stack", "delete", "-n", "pc")
    assert code == 0 and "DELETE_COMPLETE" in out


def test_text_tables_print_user_values_as_written(tmp_path: Path, run) -> None:
    """Rich markup and emoji codes in user data are printed literally: ``[/x]`` used to raise a
    MarkupError (and break every later ``ros stack outputs``), ``:b:`` turned into an emoji."""
    tricky = "closing [/x] tag :smile: ratio:b:c [bold]x[/bold]"
    path = _write(
        tmp_path,
        "markup.json",
        json.dumps(
            {
                "ROSTemplateFormatVersion": "2015-09-01",
                "Parameters": {"P": {"Type": "String"}},
                "Outputs": {"Out": {"Value": {"Ref": "P"}}},
            }
        ),
    )
    code, out, err = run("stack", "create", "-t", path, "-p", f"P={tricky}")
    assert code == 0, err
    for command in (("stack", "outputs", "-n", "markup"), ("stack", "describe", "-n", "markup")):
        code, out, err = run(*command)
        assert code == 0, err
        assert tricky in " ".join(out.split()), out


# -- the default stack name of `ros stack create` is made valid from the file stem, and the name
# used is reported
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


# -- preview plans types without a local provider (it creates nothing); create's NotSupported
# refusal names every such type in one error, each template resource once (not per Count copy)
UNPROVIDED_BODY = template(
    {
        "N": {"Type": "ALIYUN::SLB::LoadBalancer", "Properties": {}},
        "H": {"Type": "ALIYUN::KMS::Key", "Count": 2},
        "W": {
            "Type": "ALIYUN::ECS::Instance",
            "Properties": {"InstanceType": "ecs.g6.large", "Description": {"Ref": "H[0]"}},
            "DependsOn": ["H"],
        },
        "R": recorder({"Name": "r"}),
    }
)


def test_preview_shows_unprovided_types_with_a_note(tmp_path: Path, run) -> None:
    path = tmp_path / "waits.json"
    path.write_text(UNPROVIDED_BODY)
    code, out, err = run("stack", "preview", "-t", str(path), "-o", "json")
    assert code == 0, err
    rows = {r["LogicalResourceId"]: r for r in json.loads(out)["Resources"]}
    assert set(rows) == {"N", "H[0]", "H[1]", "W", "R"}
    assert all(r["Action"] == "Add" for r in rows.values())
    for logical_id in ("N", "H[0]", "W"):
        assert "not supported locally" in rows[logical_id]["Note"]
    assert rows["R"]["Note"] == ""
    code, out, _ = run("stack", "list", "--all", "-o", "json")
    assert json.loads(out) == [] and fake_cloud.calls() == []


def test_create_names_every_unprovided_type_in_one_error(tmp_path: Path, run) -> None:
    path = tmp_path / "waits.json"
    path.write_text(UNPROVIDED_BODY)
    code, _, err = run("stack", "create", "-t", str(path))
    assert code == 2
    lines = [line for line in err.splitlines() if "NotSupported" in line]
    assert len(lines) == 1, err
    assert "3 resource types of this template have no local implementation" in lines[0]
    assert "ALIYUN::KMS::Key (H);" in lines[0]  # the Count resource once
    assert "ALIYUN::SLB::LoadBalancer (N)" in lines[0] and "ALIYUN::ECS::Instance (W)" in lines[0]
    assert "with --placeholders" in lines[0]
    assert fake_cloud.calls() == []
