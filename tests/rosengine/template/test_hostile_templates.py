"""Hostile templates (issue 17): each is answered with a located limit error, at once, instead of
hanging, eating gigabytes or an InternalError. The ``timeout`` marks are guards against a
regression to the old behaviour (minutes, or never), not measurements."""

from __future__ import annotations

import json
import textwrap

import pytest

from rosengine.errors import (
    INTERNAL_ERROR,
    INVALID_TEMPLATE_FORMAT,
    REQUEST_LIMIT_EXCEEDED,
    STACK_RESOURCE_LIMIT_EXCEEDED,
    TEMPLATE_LIMIT_EXCEEDED,
    TemplateError,
    TemplateErrors,
)
from rosengine.limits import CONDITION_DEPTH, EXPANDED_SIZE, NESTING_DEPTH, OUTPUTS, PARAMETERS, RESOURCES
from rosengine.template import load_template, prepare

HEADER = 'ROSTemplateFormatVersion: "2015-09-01"\n'


def load_errors(text: str, **options: object) -> list[TemplateError]:
    with pytest.raises(TemplateErrors) as caught:
        load_template(text, filename="t.yml", **options)  # type: ignore[arg-type]
    return caught.value.errors


def prepare_errors(text: str) -> list[TemplateError]:
    template = load_template(text, filename="t.yml")
    with pytest.raises(TemplateErrors) as caught:
        prepare(template, static=True)
    return caught.value.errors


def yaml(body: str) -> str:
    return HEADER + textwrap.dedent(body)


# ---- Count ------------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_a_count_of_three_million_is_refused_before_any_copy_is_made():
    errors = prepare_errors(
        yaml("""
        Resources:
          R:
            Type: ALIYUN::ROS::WaitConditionHandle
            Count: 3000000
        """)
    )
    [error] = errors
    assert error.code == STACK_RESOURCE_LIMIT_EXCEEDED
    assert error.path == ("Resources", "R", "Count")
    assert (error.file, error.line, error.col) == ("t.yml", 6, 5)
    assert "3,000,000 resources" in error.message and f"at most {RESOURCES.maximum}" in error.message


def test_count_copies_add_up_over_resources_and_the_biggest_count_is_named():
    errors = prepare_errors(
        yaml("""
        Parameters:
          N: {Type: Number, Default: 200}
        Resources:
          Small:
            Type: ALIYUN::ROS::WaitConditionHandle
            Count: 150
          Big:
            Type: ALIYUN::ROS::WaitConditionHandle
            Count: {Ref: N}
        """)
    )
    [error] = [e for e in errors if e.code == STACK_RESOURCE_LIMIT_EXCEEDED]
    assert error.path == ("Resources", "Big", "Count")
    assert "350 resources" in error.message


def test_three_hundred_copies_are_within_the_limit():
    template = load_template(
        yaml("""
        Resources:
          R:
            Type: ALIYUN::ROS::WaitConditionHandle
            Count: 300
        """)
    )
    assert len(prepare(template, static=True).resources) == 300


# ---- sections -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "entry", "limit"),
    [
        ("Parameters", {"Type": "String"}, PARAMETERS),
        ("Resources", {"Type": "ALIYUN::ROS::WaitConditionHandle"}, RESOURCES),
        ("Outputs", {"Value": 1}, OUTPUTS),
    ],
)
def test_sections_over_their_limit_are_refused_at_the_section(section, entry, limit):
    body = {
        "ROSTemplateFormatVersion": "2015-09-01",
        section: {f"E{i}": entry for i in range(limit.maximum + 1)},
    }
    [error] = load_errors(json.dumps(body, indent=1))
    assert error.code == limit.code
    assert error.path == (section,) and error.line == 3
    assert f"{limit.maximum + 1:,}" in error.message


def test_a_template_over_ross_size_limit_is_refused_with_the_request_limit_code():
    body = json.dumps({"ROSTemplateFormatVersion": "2015-09-01", "Description": "x" * 600_000})
    [error] = load_errors(body)
    assert error.code == REQUEST_LIMIT_EXCEEDED and "ROS accepts at most 524,288 bytes" in error.message


# ---- YAML -----------------------------------------------------------------------------------------


def test_bool_maybe_is_a_located_format_error_not_an_internal_error():
    [error] = load_errors(HEADER + "Description: !!bool maybe\n")
    assert error.code == INVALID_TEMPLATE_FORMAT
    assert (error.line, error.col, error.path) == (2, 14, ("Description",))
    assert "'maybe' is not a valid bool" in error.message


def test_an_unclosed_flow_sequence_is_reported_where_it_opened_and_where_the_parser_gave_up():
    text = HEADER + "Metadata:\n  A: [unclosed\n"
    [error] = load_errors(text)
    assert error.code == INVALID_TEMPLATE_FORMAT
    assert (error.line, error.col) == (3, 6)
    assert "opened at line 3, column 6" in error.message
    assert "gave up at line 4, column 1" in error.message
    assert error.details == {"start": {"line": 3, "column": 6}, "end": {"line": 4, "column": 1}}


@pytest.mark.timeout(60)
def test_a_billion_laughs_alias_chain_into_join_is_refused_at_the_alias():
    lines = [HEADER, "Parameters:\n  P:\n    Type: String\n    Default: " + "x" * 1000 + "\n"]
    lines.append("Mappings:\n  M:\n    K:\n      l0: &l0 [" + ", ".join(["!Ref P"] * 10) + "]\n")
    for level in range(1, 9):
        lines.append(f"      l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]\n")
    lines.append("Outputs:\n  O:\n    Value: !Join ['', *l8]\n")
    [error] = load_errors("".join(lines))
    assert error.code == EXPANDED_SIZE.code == TEMPLATE_LIMIT_EXCEEDED
    assert error.line is not None and error.path[:3] == ("Mappings", "M", "K")
    assert "expands to more than" in error.message and "alias" in error.message


@pytest.mark.timeout(60)
def test_a_small_alias_fan_out_is_refused():
    lines = [HEADER, "Metadata:\n", "  a: &a [x,x,x,x,x,x,x,x,x]\n"]
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"  {name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n")
    text = "".join(lines)
    assert len(text) < 500
    [error] = load_errors(text)
    assert error.code == TEMPLATE_LIMIT_EXCEEDED and error.line is not None


def test_aliases_that_repeat_within_the_limit_still_work():
    template = load_template(
        yaml("""
        Metadata:
          base: &base {Memory: 512, Timeout: 60}
          one: *base
          two: *base
        """)
    )
    assert template.data["Metadata"]["two"] == {"Memory": 512, "Timeout": 60}


@pytest.mark.parametrize(
    "text",
    [
        '{"ROSTemplateFormatVersion": "2015-09-01", "Metadata": {"X": ' + "1" * 5000 + "}}",
        HEADER + "Metadata:\n  X: " + "1" * 5000 + "\n",
        HEADER + "Metadata:\n  X: 1" + ":1" * 3000 + "\n",  # a YAML 1.1 base-60 integer
    ],
)
def test_numbers_longer_than_python_converts_are_located_limit_errors(text):
    [error] = load_errors(text)
    assert error.code == TEMPLATE_LIMIT_EXCEEDED and error.code != INTERNAL_ERROR
    assert error.path == ("Metadata", "X") and error.line is not None
    assert len(error.message) < 200  # the number is not repeated in the message


@pytest.mark.parametrize("text", ["[" * 2000, "- " * 2000 + "x", '{"a":' * 2000 + "1" + "}" * 2000])
def test_nesting_deeper_than_the_limit_is_a_limit_error(text):
    [error] = load_errors(text)
    assert error.code == NESTING_DEPTH.code
    assert f"deeper than {NESTING_DEPTH.maximum}" in error.message


@pytest.mark.timeout(60)
def test_a_long_chain_of_conditions_is_refused_at_the_depth_limit_and_evaluated_once():
    conditions: dict[str, object] = {f"C{i}": {"Fn::Not": f"C{i + 1}"} for i in range(3000)}
    conditions["C3000"] = {"Fn::Equals": [1, 1]}
    body = {
        "ROSTemplateFormatVersion": "2015-09-01",
        "Conditions": conditions,
        "Resources": {"R": {"Type": "ALIYUN::ROS::WaitConditionHandle", "Condition": "C0"}},
    }
    template = load_template(json.dumps(body), filename="t.json")
    with pytest.raises(TemplateErrors) as caught:
        prepare(template, static=True)
    errors = caught.value.errors
    assert {error.code for error in errors} == {CONDITION_DEPTH.code}
    assert errors[0].path == ("Conditions", "C32") and "33 levels" in errors[0].message
    assert len(errors) < 100  # one per chain of 32, not one per condition and level
