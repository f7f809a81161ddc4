"""``ros validate`` end to end: findings located in the file, every problem reported, exit codes,
parameters, formats."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from rosengine.cli import cli
from rosengine.validate import validate

CLEAN = """\
ROSTemplateFormatVersion: '2015-09-01'
Parameters:
  Memory:
    Type: Number
Resources:
  Service:
    Type: ALIYUN::FC::Service
    Properties:
      ServiceName: demo
  Function:
    Type: ALIYUN::FC::Function
    Properties:
      ServiceName:
        Fn::GetAtt: [Service, ServiceName]
      FunctionName: hello
      Handler: index.handler
      Runtime: python3.10
      MemorySize:
        Ref: Memory
      Code:
        SourceCode: "def handler(e, c): return 'hi'"
  Timer:
    Type: ALIYUN::FC::Trigger
    Properties:
      ServiceName:
        Fn::GetAtt: [Service, ServiceName]
      FunctionName:
        Fn::GetAtt: [Function, FunctionName]
      TriggerName: tick
      TriggerType: timer
      TriggerConfig:
        cronexpression: '@every 1m'
        ENABLE: true
Outputs:
  Arn:
    Value:
      Fn::GetAtt: [Function, ARN]
"""

BROKEN = """\
ROSTemplateFormatVersion: '2015-09-01'
Resources:
  Function:
    Type: ALIYUN::FC::Function
    Properties:
      ServiceName: svc
      FunctionName: hello
      Handler: index.handler
      Runtime: python3.10
      Timeout: abc
      MemorySize: 64
      Timeot: 3
  Vpc:
    Type: ALIYUN::VPC::VPCC
    Properties:
      CidrBlock: 10.0.0.0/8
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def run(*args: str):
    return CliRunner().invoke(cli, ["validate", *args], catch_exceptions=False)


def test_clean_template_exits_zero(tmp_path):
    result = run("-t", write(tmp_path, "clean.yml", CLEAN))
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 errors, 0 warnings in 1 file")


def test_all_property_errors_are_reported_with_line_and_column(tmp_path):
    path = write(tmp_path, "broken.yml", BROKEN)
    findings = validate([path])
    by_path = {f.path: f for f in findings}
    timeout = by_path["Resources.Function.Properties.Timeout"]
    assert (timeout.rule_id, timeout.line, timeout.col) == ("InvalidTemplatePropertyType", 10, 7)
    assert by_path["Resources.Function.Properties.MemorySize"].line == 11
    typo = by_path["Resources.Function.Properties.Timeot"]
    assert typo.line == 12 and "did you mean 'Timeout'" in typo.message
    vpc = by_path["Resources.Vpc.Type"]
    assert (vpc.rule_id, vpc.severity.value, vpc.line) == ("UnknownResourceType", "error", 14)
    assert "did you mean ALIYUN::ECS::VPC?" in vpc.message


def test_exit_codes_errors_warnings_strict(tmp_path):
    assert run(write(tmp_path, "broken.yml", BROKEN)).exit_code == 2
    only_warnings = write(
        tmp_path,
        "retired.yml",
        """\
        ROSTemplateFormatVersion: '2015-09-01'
        Resources:
          Lb:
            Type: ALIYUN::SLB::LoadBalancer
            Properties: {PayType: PayOnDemand}
        """,
    )
    result = run(only_warnings)
    assert result.exit_code == 4, result.output
    assert "warning StackValidationFailed: 'PayType' is a retired property" in result.output
    strict = run("--strict", only_warnings)
    assert strict.exit_code == 2
    assert run("-t", str(tmp_path / "missing.yml")).exit_code == 2


def test_parameters_are_symbolic_unless_given(tmp_path):
    path = write(tmp_path, "clean.yml", CLEAN)
    assert run(path).exit_code == 0
    result = run(path, "-p", "Memory=64", "--format", "json")
    assert result.exit_code == 2
    findings = json.loads(result.output)["findings"]
    assert [f["path"] for f in findings] == ["Resources.Function.Properties.MemorySize"]
    assert run(path, "-p", "Memory=1024").exit_code == 0
    bad = run(path, "-p", "Memory")
    assert bad.exit_code == 2 and "Key=Value" in bad.output


def test_directory_argument_and_formats(tmp_path):
    write(tmp_path, "clean.yml", CLEAN)
    write(tmp_path, "broken.yml", BROKEN)
    sarif = json.loads(run(str(tmp_path), "--format", "sarif").output)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]
    }
    assert uris == {(tmp_path / "broken.yml").as_uri()}
    junit = run(str(tmp_path), "--format", "junit").output
    assert junit.count("<testcase") == 2 and "<failure" in junit


def test_unknown_getatt_attribute_is_an_error(tmp_path):
    path = write(
        tmp_path,
        "att.yml",
        """\
        ROSTemplateFormatVersion: '2015-09-01'
        Resources:
          Service:
            Type: ALIYUN::FC::Service
            Properties: {ServiceName: s}
          Stack:
            Type: ALIYUN::ROS::Stack
            Properties: {TemplateURL: "oss://bucket/nested.yml"}
        Outputs:
          Bad:
            Value:
              Fn::GetAtt: [Service, NoSuchAttribute]
          Nested:
            Value:
              Fn::GetAtt: [Stack, Outputs.Anything]
        """,
    )
    findings = validate([path])
    assert [(f.rule_id, f.path) for f in findings] == [
        ("InvalidTemplateAttribute", "Outputs.Bad.Value.Fn::GetAtt")
    ]
    assert findings[0].line == 12


def test_attribute_typo_does_not_hide_property_errors(tmp_path):
    path = write(
        tmp_path,
        "att.yml",
        """\
        ROSTemplateFormatVersion: '2015-09-01'
        Resources:
          Service:
            Type: ALIYUN::FC::Service
            Properties: {ServiceName: s}
          Version:
            Type: ALIYUN::FC::Version
            Properties:
              ServiceName: !GetAtt Service.ServiceNam
              Descripton: typo
        """,
    )
    rules = sorted((f.rule_id, f.path) for f in validate([path]))
    assert rules == [
        ("InvalidTemplateAttribute", "Resources.Version.Properties.ServiceName.Fn::GetAtt"),
        ("StackValidationFailed", "Resources.Version.Properties.Descripton"),
    ]


def test_broken_yaml_is_a_finding_not_a_traceback(tmp_path):
    path = write(tmp_path, "bad.yml", "ROSTemplateFormatVersion: '2015-09-01'\nResources: [\n")
    result = run(path)
    assert result.exit_code == 2
    assert "InvalidTemplateFormat" in result.output or "error" in result.output
    assert "Traceback" not in result.output


def test_reference_errors_elsewhere_do_not_hide_property_errors(tmp_path):
    """A wrong reference in Outputs and a wrong attribute inside one property: every property
    error of the resource is still reported, each problem once, at its most precise place."""
    path = write(
        tmp_path,
        "mixed.yml",
        """\
        ROSTemplateFormatVersion: 2015-09-01
        Resources:
          Svc:
            Type: ALIYUN::FC::Service
            Properties:
              ServiceName: ok-svc
          Fn:
            Type: ALIYUN::FC::Function
            Properties:
              ServiceName: !GetAtt Svc.ServiceNam
              FunctionName: fn
              Handler: index.handler
              Runtime: python3
              Timeout: abc
              Cod: {}
        Outputs:
          X:
            Value: !Ref Nope
        """,
    )
    result = run(path, "--format", "json")
    assert result.exit_code == 2
    findings = json.loads(result.output)["findings"]
    where = sorted((f["path"], f["ruleId"]) for f in findings)
    assert where == [
        ("Outputs.X.Value.Ref", "InvalidTemplateReference"),
        ("Resources.Fn.Properties.Cod", "StackValidationFailed"),
        ("Resources.Fn.Properties.ServiceName.Fn::GetAtt", "InvalidTemplateAttribute"),
        ("Resources.Fn.Properties.Timeout", "InvalidTemplatePropertyType"),
    ]


def test_terraform_transform_is_a_not_supported_error(tmp_path):
    """Issue 2: a Terraform Transform gives a clear "not supported" *error*: a CI gate that allows
    warnings must not pass a template rosengine cannot evaluate. (The serverless Transform is
    expanded: tests/rosengine/transform.)"""
    path = write(
        tmp_path,
        "terraform.yml",
        """\
        ROSTemplateFormatVersion: '2015-09-01'
        Transform: 'Aliyun::Terraform-v1.2'
        Workspace:
          main.tf: 'resource "x" "y" {}'
        """,
    )
    result = run(path)
    assert result.exit_code == 2, result.output
    assert "error NotSupported" in result.output and "Terraform v1.2" in result.output


def test_every_output_error_is_reported_once(tmp_path):
    """A bad reference in one output must not hide the errors of the next ones, and a missing
    GetAtt target is one finding (at the deepest place, with the full explanation), not two."""
    path = write(
        tmp_path,
        "outputs.yml",
        """\
        ROSTemplateFormatVersion: '2015-09-01'
        Outputs:
          B:
            Value: !GetAtt Nope.Attr
          C:
            Value: !Select ["x", [1]]
          D:
            Value: !Join [",", "x"]
          G:
            Value: {"Fn::Foo": 1}
        """,
    )
    findings = validate([path])
    paths = sorted(f.path for f in findings)
    assert paths == [
        "Outputs.B.Value.Fn::GetAtt",
        "Outputs.C.Value.Fn::Select[0]",
        "Outputs.D.Value.Fn::Join[1]",
        "Outputs.G.Value.Fn::Foo",
    ], paths
    assert "No such resource" in next(f.message for f in findings if f.path.startswith("Outputs.B"))
    assert all(f.severity.value == "error" for f in findings)


def test_paths_that_match_nothing_are_errors_in_the_report(tmp_path):
    """An empty or mistyped directory must not pass CI as clean, and the report a CI step keeps
    (JSON/SARIF/JUnit) must say why the step failed."""
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "ci.yml").write_text("steps: []\n")  # YAML, but no template: skipped, and said so
    result = run(str(empty))
    assert result.exit_code == 2, result.output
    assert "error TemplateNotFound" in result.stdout and "skipped 1 .json/.yml file" in result.stderr
    missing = run("-f", "json", str(tmp_path / "nope.yml"))
    assert missing.exit_code == 2
    document = json.loads(missing.stdout)
    assert [f["ruleId"] for f in document["findings"]] == ["TemplateNotFound"]
    assert document["summary"]["errors"] == 1


def test_a_bad_parameter_default_does_not_hide_the_other_errors(tmp_path):
    path = write(
        tmp_path,
        "default.yml",
        """\
        ROSTemplateFormatVersion: '2015-09-01'
        Parameters:
          P:
            Type: Number
            Default: abc
        Resources:
          S:
            Type: ALIYUN::FC::Service
            Properties:
              ServiceName: {"Ref": Nope2}
        Outputs:
          O:
            Value: {"Ref": Nope3}
        """,
    )
    paths = sorted(f.path for f in validate([path]))
    assert paths == ["Outputs.O.Value.Ref", "Parameters.P.Default", "Resources.S.Properties.ServiceName.Ref"]
