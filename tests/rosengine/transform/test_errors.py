"""Bad serverless input: each problem a clear error at the line of the file as written, with the
original path and a ROS error code; errors of the expanded template land there too."""

from __future__ import annotations

from rosengine.errors import (
    INVALID_TEMPLATE_SECTION,
    NOT_SUPPORTED,
    STACK_VALIDATION_FAILED,
    UNKNOWN_RESOURCE_TYPE,
    format_path,
)
from rosengine.template import load_template
from rosengine.validate import validate_file
from tests.support.serverless_templates import HEADER, errors_of, write

FUNCTION = """\
        Resources:
          svc:
            Type: Aliyun::Serverless::Service
            fn:
              Type: Aliyun::Serverless::Function
              Properties:
                Handler: index.handler
                Runtime: python3
                CodeUri: {code}
"""


def _one(errors):
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def test_unknown_serverless_type(tmp_path):
    err = _one(
        errors_of(
            tmp_path,
            """\
            Resources:
              Thing:
                Type: Aliyun::Serverless::Queue
            """,
        )
    )
    assert err.code == UNKNOWN_RESOURCE_TYPE and err.path == ("Resources", "Thing", "Type")
    assert (err.line, err.col) == (5, 5) and err.file.endswith("template.yml")
    assert "Aliyun::Serverless::Queue" in err.message and "Aliyun::Serverless::Service" in err.message


def test_function_outside_a_service(tmp_path):
    err = _one(
        errors_of(
            tmp_path,
            """\
            Resources:
              fn:
                Type: Aliyun::Serverless::Function
                Properties: {Handler: index.handler, Runtime: python3, CodeUri: 'oss://b/k'}
            """,
        )
    )
    assert err.code == STACK_VALIDATION_FAILED and err.path == ("Resources", "fn", "Type") and err.line == 5
    assert "must be nested inside an Aliyun::Serverless::Service" in err.message


def test_event_of_an_unknown_kind(tmp_path):
    err = _one(
        errors_of(
            tmp_path,
            FUNCTION.format(code="'oss://b/k.zip'")
            + """\
              Events:
                stream:
                  Type: Kafka
                  Properties: {Topic: t}
            """,
        )
    )
    assert err.path == ("Resources", "svc", "fn", "Events", "stream", "Type") and err.line == 14
    assert (
        "unknown Type 'Kafka'" in err.message
        and "Timer, HTTP, OSS, Log, RDS, MNSTopic, TableStore, CDN" in err.message
    )


def test_code_uri_that_escapes_the_template_directory(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    for code in ("../elsewhere", "/etc"):
        err = _one(errors_of(root, FUNCTION.format(code=code)))
        assert err.path == ("Resources", "svc", "fn", "Properties", "CodeUri") and err.line == 11
        assert "points outside the template's directory" in err.message and code in err.message


def test_missing_code_is_a_warning_naming_function_and_path(tmp_path):
    path = write(tmp_path, FUNCTION.format(code="./build"))
    template = load_template(path, filename=str(path))
    (warning,) = template.warnings
    assert warning.severity == "warning" and warning.code == "CodeUriNotFound" and warning.line == 11
    assert "'fn'" in warning.message and str(tmp_path / "build") in warning.message


def test_unknown_properties_get_a_suggestion(tmp_path):
    err = _one(
        errors_of(
            tmp_path,
            """\
            Resources:
              svc:
                Type: Aliyun::Serverless::Service
                fn:
                  Type: Aliyun::Serverless::Function
                  Properties: {Handlr: index.handler, Runtime: python3, CodeUri: 'oss://b/k.zip', Handler: x}
            """,
        )
    )
    assert (
        err.path == ("Resources", "svc", "fn", "Properties", "Handlr")
        and "did you mean 'Handler'" in err.message
    )


def test_generated_logical_id_that_the_template_already_uses(tmp_path):
    errors = errors_of(
        tmp_path,
        FUNCTION.format(code="'oss://b/k.zip'")
        + """\
          svcfn:
            Type: ALIYUN::FC::Service
            Properties: {ServiceName: taken}
        """,
    )
    err = _one(errors)
    assert err.path == ("Resources", "svc", "fn") and "'svcfn'" in err.message


def test_terraform_and_unknown_transforms(tmp_path):
    path = tmp_path / "t.yml"
    for value, code, words in (
        ("Aliyun::Terraform-v1.1", NOT_SUPPORTED, ("Terraform v1.1", "terraform apply", "ROS itself")),
        ("Aliyun::Other-2020", NOT_SUPPORTED, ("unknown Transform", "Aliyun::Serverless-2018-04-03")),
        ("{Ref: X}", INVALID_TEMPLATE_SECTION, ("literal string",)),
    ):
        path.write_text(
            f"ROSTemplateFormatVersion: '2015-09-01'\nTransform: {value}\nWorkspace: {{a.tf: x}}\n"
        )
        (finding,) = validate_file(path)
        assert finding.rule_id == code and finding.line == 2 and finding.path == "Transform", finding
        assert all(word in finding.message for word in words), finding.message


def test_errors_of_the_expanded_template_point_at_the_original(tmp_path):
    """Schema errors of ALIYUN::FC::* found after the expansion, and the expansion's own errors,
    all reported at once at the lines and paths the user wrote."""
    path = write(
        tmp_path,
        """\
        Resources:
          svc:
            Type: Aliyun::Serverless::Service
            Properties:
              InternetAccess: maybe
            fn:
              Type: Aliyun::Serverless::Function
              Properties:
                Handler: index.handler
                Runtime: python3
                CodeUri: 'oss://b/k.zip'
                Timeout: 0
                EnvironmentVariables:
                  MODE: [a, b]
              Events:
                web:
                  Type: HTTP
                  Properties:
                    AuthType: ANONYMOUS
                    Methods: [GET, FETCH]
                bad:
                  Type: Carrier
        """,
    )
    found = {(f.path, f.line, f.rule_id) for f in validate_file(path)}
    assert found == {
        ("Resources.svc.Properties.InternetAccess", 7, "InvalidTemplatePropertyType"),
        ("Resources.svc.fn.Properties.Timeout", 14, "StackValidationFailed"),
        ("Resources.svc.fn.Properties.EnvironmentVariables.MODE", 16, "InvalidTemplatePropertyType"),
        ("Resources.svc.fn.Events.web.Properties.Methods[1]", 22, "StackValidationFailed"),
        ("Resources.svc.fn.Events.bad.Type", 24, "StackValidationFailed"),
    }, found


def test_paths_print_as_written(tmp_path):
    path = write(tmp_path, FUNCTION.format(code="'oss://b/k.zip'").replace("python3", "{Ref: Nope}"))
    (finding,) = [f for f in validate_file(path) if f.severity == "error"]
    assert finding.path == format_path(("Resources", "svc", "fn", "Properties", "Runtime", "Ref"))
    assert finding.line == 10 and finding.rule_id == "InvalidTemplateReference"
    assert HEADER.startswith("ROSTemplateFormatVersion")
