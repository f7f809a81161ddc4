"""Parameters: every type, every constraint, coercion, binding and the exact error names."""

from __future__ import annotations

import json

import pytest

from rosengine.errors import (
    STACK_VALIDATION_FAILED,
    UNKNOWN_USER_PARAMETER,
    USER_PARAMETER_MISSING,
    Severity,
)
from rosengine.functions.base import Unknown
from rosengine.template import DictOosStore, JsonFileOosStore, prepare
from tests.support.templates import errors_from, only_error, yaml_template


def bind(definition: str, value=None, **options):
    template = yaml_template(f"Parameters:\n  P: {definition}\n")
    given = {} if value is None else {"P": value}
    return prepare(template, given, **options).parameters["P"]


@pytest.mark.parametrize(
    "definition, given, expected",
    [
        ("{Type: String}", "abc", "abc"),
        ("{Type: String, Default: 8080}", None, "8080"),
        ("{Type: String, Default: true}", None, "true"),
        ("{Type: Number}", "42", 42),
        ("{Type: Number}", " 2.5 ", 2.5),
        ("{Type: Number, Default: 7}", None, 7),
        ("{Type: CommaDelimitedList}", "10.0.0.1, 10.0.0.2,10.0.0.3", ["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
        ("{Type: CommaDelimitedList}", "", []),
        ("{Type: CommaDelimitedList, Default: [a, 1]}", None, ["a", "1"]),
        ("{Type: Json}", '{"a": [1, 2]}', {"a": [1, 2]}),
        ("{Type: Json, Default: {k: v}}", None, {"k": "v"}),
        ("{Type: Boolean}", "True", True),
        ("{Type: Boolean}", "false", False),
        ("{Type: Boolean, Default: true}", None, True),
        ("{Type: String, Default: null}", None, None),
    ],
)
def test_coercion_by_type(definition, given, expected):
    assert bind(definition, given) == expected


@pytest.mark.parametrize(
    "definition, given, reason",
    [
        ("{Type: Number}", "abc", "'abc' is not a number"),
        ("{Type: Number}", "nan", "not a finite number"),
        ("{Type: Json}", "{bad", "not valid JSON"),
        ("{Type: Boolean}", "yes", "expected true or false"),
        ("{Type: String, AllowedValues: [a, b]}", "c", "is not one of the allowed values"),
        ("{Type: Number, AllowedValues: [1, 2]}", "3", "is not one of the allowed values"),
        ("{Type: CommaDelimitedList, AllowedValues: [a, b]}", "a,c", "'c' is not one of the allowed values"),
        ("{Type: String, AllowedPattern: '[a-z]+'}", "abc1", "does not match pattern"),
        ("{Type: String, MinLength: '3'}", "ab", "shorter than the minimum 3"),
        ("{Type: String, MaxLength: 2}", "abc", "longer than the maximum 2"),
        ("{Type: CommaDelimitedList, MaxLength: 1}", "a,b", "longer than the maximum 1 items"),
        ("{Type: Json, MinLength: 2}", '{"a": 1}', "shorter than the minimum 2 items"),
        ("{Type: Number, MinValue: 10}", "9", "less than the minimum 10"),
        ("{Type: Number, MaxValue: 10.5}", "11", "greater than the maximum 10.5"),
    ],
)
def test_constraint_failures_are_stack_validation_failed(definition, given, reason):
    err = only_error(lambda: bind(definition, given))
    assert err.code == STACK_VALIDATION_FAILED
    assert err.message.startswith("Parameter 'P' is invalid: ")
    assert reason in err.message
    assert err.path == ("Parameters", "P") and err.line == 3


def test_allowed_values_compare_numbers_and_booleans_by_value():
    assert bind("{Type: Number, AllowedValues: ['1', 2.0]}", "2") == 2
    assert bind("{Type: Boolean, AllowedValues: ['True', 'False']}", "true") is True
    assert bind("{Type: String, AllowedValues: [true, 1]}", "true") == "true"


def test_allowed_pattern_is_a_full_match():
    assert bind("{Type: String, AllowedPattern: '[a-z]+'}", "abc") == "abc"
    only_error(lambda: bind("{Type: String, AllowedPattern: '[a-z]+'}", "1abc"))


def test_constraint_description_replaces_the_reason():
    err = only_error(
        lambda: bind("{Type: String, MaxLength: 2, ConstraintDescription: {en: Two at most}}", "abc")
    )
    assert err.message == "Parameter 'P' is invalid: Two at most"
    assert "longer" in err.details["reason"]


def test_default_is_validated_when_the_template_loads():
    err = only_error(lambda: yaml_template("Parameters:\n  P: {Type: Number, Default: 5, MaxValue: 3}\n"))
    assert err.code == STACK_VALIDATION_FAILED
    assert err.path == ("Parameters", "P", "Default") and "invalid Default" in err.message


def test_bad_constraint_definitions_are_reported():
    errors = errors_from(
        lambda: yaml_template(
            "Parameters:\n  P: {Type: String, MinLength: x, AllowedPattern: '(', AllowedValues: a}\n"
            "  Q: {Type: Strin}\n  R: 5\n  ALIYUN::X: {Type: String}\n"
        )
    )
    paths = {err.path for err in errors}
    assert {
        ("Parameters", "P", "MinLength"),
        ("Parameters", "P", "AllowedPattern"),
        ("Parameters", "P", "AllowedValues"),
        ("Parameters", "Q", "Type"),
        ("Parameters", "R"),
        ("Parameters", "ALIYUN::X"),
    } <= paths


def test_unknown_parameter_properties_are_warnings():
    template = yaml_template("Parameters:\n  P: {Type: String, Colour: red, Label: x, TextArea: true}\n")
    (warning,) = template.warnings
    assert warning.severity is Severity.WARNING and warning.path == ("Parameters", "P", "Colour")


def test_missing_and_unknown_parameters_have_ros_messages():
    template = yaml_template("Parameters:\n  Need: {Type: String}\n")
    errors = errors_from(lambda: prepare(template, {"Extra": "1"}))
    assert {(err.code, err.message) for err in errors} == {
        (UNKNOWN_USER_PARAMETER, "The Parameter (Extra) was not defined in template."),
        (USER_PARAMETER_MISSING, "The Parameter Need was not provided."),
    }


def test_static_mode_keeps_missing_parameters_symbolic():
    template = yaml_template("Parameters:\n  N: {Type: Number}\n  L: {Type: CommaDelimitedList}\n")
    values = prepare(template, static=True).parameters
    assert values["N"] == Unknown("number", "parameter N")
    assert values["L"].type == "array"


def test_previous_values_come_before_defaults():
    template = yaml_template("Parameters:\n  A: {Type: Number, Default: 1}\n  B: {Type: String}\n")
    prepared = prepare(template, {}, previous_parameters={"A": "2", "B": "old"})
    assert prepared.parameters == {"A": 2, "B": "old"}


def test_no_echo_parameters_are_listed():
    template = yaml_template(
        "Parameters:\n  Pw: {Type: String, NoEcho: 'True', Default: x}\n  Name: {Type: String, Default: y}\n"
    )
    assert prepare(template).no_echo == {"Pw"}


def test_oos_parameters_resolve_from_a_store():
    template = yaml_template(
        "Parameters:\n  Image: {Type: 'ALIYUN::OOS::Parameter::Value', Default: my_image}\n"
        "  Secret: {Type: 'ALIYUN::OOS::SecretParameter::Value', Default: pw}\n"
    )
    store = DictOosStore({"my_image": "m-123"}, secrets={"pw": "s3cret"})
    assert prepare(template, oos_store=store).parameters == {"Image": "m-123", "Secret": "s3cret"}
    assert isinstance(prepare(template, static=True).parameters["Image"], Unknown)


def test_oos_default_store_is_a_json_file_in_the_state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ROS_HOME", str(tmp_path))
    template = yaml_template("Parameters:\n  Image: {Type: 'ALIYUN::OOS::Parameter::Value'}\n")
    err = only_error(lambda: prepare(template, {"Image": "my_image"}))
    assert err.code == STACK_VALIDATION_FAILED and "oos-parameters.json" in err.message
    (tmp_path / "oos-parameters.json").write_text(json.dumps({"my_image": "m-9"}))
    assert prepare(template, {"Image": "my_image"}).parameters == {"Image": "m-9"}
    assert JsonFileOosStore(tmp_path / "oos-parameters.json").get_parameter("my_image", secret=True) == "m-9"


def test_all_parameter_errors_are_reported_together():
    template = yaml_template("Parameters:\n  A: {Type: Number}\n  B: {Type: Boolean}\n  C: {Type: String}\n")
    errors = errors_from(lambda: prepare(template, {"A": "x", "B": "maybe"}))
    assert [err.path for err in errors] == [("Parameters", "A"), ("Parameters", "B"), ("Parameters", "C")]
