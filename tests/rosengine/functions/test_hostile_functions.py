"""Functions fed hostile arguments (issue 17): each result's size is checked before it is built, one
budget bounds what a whole template's functions make, regular expressions match in linear time,
and Fn::Jq's time is one budget per template. ``timeout`` marks guard against the old behaviour
(minutes, gigabytes or never), they measure nothing."""

from __future__ import annotations

import textwrap

import pytest

from rosengine.errors import INTERNAL_ERROR, TEMPLATE_LIMIT_EXCEEDED, TemplateError, TemplateErrors
from rosengine.functions.base import Unknown
from rosengine.limits import EVALUATION_WORK, FUNCTION_DEPTH, STRING_LENGTH
from rosengine.template import load_template, prepare

HEADER = 'ROSTemplateFormatVersion: "2015-09-01"\n'


def evaluate_outputs(text: str) -> tuple[dict[str, object], list[TemplateError]]:
    """Every output evaluated statically: values of the good ones, errors of the others."""
    template = load_template(text, filename="t.yml")
    try:
        prepared = prepare(template, static=True)
    except TemplateErrors as failed:
        return {}, failed.errors
    values: dict[str, object] = {}
    errors: list[TemplateError] = []
    for name in prepared.outputs:
        try:
            values[name] = prepared.resolve_output(
                name, lambda r, a: Unknown(None, f"{r}.{a}"), lambda r: Unknown("string", r)
            )
        except TemplateError as error:
            errors.append(error)
    return values, errors


def yaml(body: str) -> str:
    return HEADER + textwrap.dedent(body)


def only_error(text: str) -> TemplateError:
    _values, errors = evaluate_outputs(text)
    assert len(errors) == 1, [str(error) for error in errors]
    assert errors[0].code != INTERNAL_ERROR
    return errors[0]


# ---- Fn::Sub ------------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_sub_with_many_unclosed_placeholders_is_linear():
    text = "${" * 200_000  # 400 KB: minutes with the old regular expression
    values, errors = evaluate_outputs(HEADER + f"Outputs:\n  O:\n    Value: !Sub '{text}'\n")
    assert errors == [] and values["O"] == text


def test_sub_result_over_the_string_limit_is_refused_while_it_grows():
    error = only_error(
        yaml(f"""
        Parameters:
          P: {{Type: String, Default: {"x" * 200_000}}}
        Outputs:
          O:
            Value: !Sub "${{P}}${{P}}${{P}}${{P}}${{P}}${{P}}"
        """)
    )
    assert error.code == TEMPLATE_LIMIT_EXCEEDED
    assert error.path == ("Outputs", "O", "Value", "Fn::Sub")
    assert f"at most {STRING_LENGTH.maximum:,}" in error.message


# ---- Fn::Base64Encode, Fn::Join, Fn::Replace, Fn::Indent ----------------------------------------------


@pytest.mark.timeout(60)
def test_sixty_nested_base64_stop_at_the_function_depth():
    value: object = "x"
    for _ in range(60):
        value = {"Fn::Base64": value}
    import json

    body = json.dumps({"ROSTemplateFormatVersion": "2015-09-01", "Outputs": {"O": {"Value": value}}})
    error = only_error(body)
    assert error.code == FUNCTION_DEPTH.code
    assert len(error.path) == 3 + FUNCTION_DEPTH.maximum + 1
    assert f"at most {FUNCTION_DEPTH.maximum}" in error.message


@pytest.mark.timeout(60)
def test_nested_base64_within_the_depth_stops_at_the_string_limit_before_encoding():
    value: object = "x" * 20_000
    for _ in range(30):
        value = {"Fn::Base64Encode": value}
    import json

    body = json.dumps({"ROSTemplateFormatVersion": "2015-09-01", "Outputs": {"O": {"Value": value}}})
    error = only_error(body)
    assert error.code == TEMPLATE_LIMIT_EXCEEDED and "Fn::Base64Encode" in error.message


@pytest.mark.timeout(60)
def test_join_fed_a_large_parameter_many_times_is_refused():
    error = only_error(
        yaml(f"""
        Parameters:
          P: {{Type: String, Default: {"x" * 300_000}}}
        Outputs:
          O:
            Value: !Join ['', [{", ".join(["!Ref P"] * 40)}]]
        """)
    )
    assert error.code == TEMPLATE_LIMIT_EXCEEDED
    assert error.path == ("Outputs", "O", "Value", "Fn::Join")
    assert "12,000,000 characters" in error.message


@pytest.mark.timeout(60)
def test_the_functions_of_one_template_share_one_budget():
    outputs = "".join(
        f"  O{i}:\n    Value: !Join ['', [{', '.join(['!Ref P'] * 9)}]]\n" for i in range(60)
    )  # each 900,000 characters (under the string limit), 54 M together
    _values, errors = evaluate_outputs(
        yaml(f"""
        Parameters:
          P: {{Type: String, Default: {"x" * 100_000}}}
        """)
        + "Outputs:\n"
        + outputs
    )
    assert errors, "the budget was never exhausted"
    assert {error.code for error in errors} == {EVALUATION_WORK.code}
    assert "together produce more than" in errors[0].message


def test_replace_computes_its_result_length_before_replacing():
    error = only_error(
        yaml(f"""
        Outputs:
          O:
            Value: !Replace [{{a: {"b" * 1000}}}, {"a" * 100_000}]
        """)
    )
    assert error.code == TEMPLATE_LIMIT_EXCEEDED and "Fn::Replace" in error.message


def test_indent_of_many_lines_is_refused_before_it_is_built():
    text = "line\\n" * 20_000  # 20,000 lines, each indented by 80 spaces: 1.7 M characters
    error = only_error(HEADER + f'Outputs:\n  O:\n    Value: !Indent ["{text}", 20, 4]\n')
    assert error.code == TEMPLATE_LIMIT_EXCEEDED and "Fn::Indent" in error.message


# ---- regular expressions ----------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_match_pattern_with_catastrophic_backtracking_answers_at_once():
    values, errors = evaluate_outputs(
        HEADER + "Outputs:\n  O:\n    Value: !MatchPattern ['(a+)+$', '" + "a" * 33 + "!']\n"
    )
    assert errors == [] and values["O"] is False


@pytest.mark.timeout(60)
def test_allowed_pattern_with_catastrophic_backtracking_rejects_the_default_at_once():
    with pytest.raises(TemplateErrors) as caught:
        load_template(
            yaml(f"""
            Parameters:
              P:
                Type: String
                AllowedPattern: '(a+)+$'
                Default: {"a" * 33}!
            """)
        )
    [error] = caught.value.errors
    assert error.path == ("Parameters", "P", "Default") and "does not match pattern" in error.message


def test_password_rules_with_leading_lookaheads_still_work():
    rule = r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[A-Za-z\d!@#]{8,32}$"
    values, errors = evaluate_outputs(
        HEADER + f"Outputs:\n  Good:\n    Value: !MatchPattern ['{rule}', 'Passw0rd']\n"
        f"  Weak:\n    Value: !MatchPattern ['{rule}', 'password']\n"
    )
    assert errors == [] and values == {"Good": True, "Weak": False}


def test_a_pattern_that_needs_backtracking_is_a_clear_error():
    error = only_error(HEADER + "Outputs:\n  O:\n    Value: !MatchPattern ['(a)\\1', 'aa']\n")
    assert "back references" in error.message and error.path[-1] == 0


# ---- other functions that were slower than linear --------------------------------------------------


@pytest.mark.timeout(60)
def test_select_slice_with_long_runs_of_spaces_is_linear():
    index = " " * 3000 + ":" + " " * 3000 + "x"  # cubic in the old regular expression
    error = only_error(HEADER + f"Outputs:\n  O:\n    Value: !Select ['{index}', [1, 2]]\n")
    assert 'a slice like "1:3"' in error.message


@pytest.mark.timeout(60)
def test_member_list_to_map_entries_are_read_in_linear_time():
    entry = ".member.1.x" * 40_000  # no "=": quadratic in the old regular expression
    error = only_error(HEADER + f"Outputs:\n  O:\n    Value: !MemberListToMap [Name, Value, ['{entry}']]\n")
    assert "should look like" in error.message and len(error.message) < 300


@pytest.mark.timeout(60)
def test_each_member_in_over_long_lists_is_linear():
    items = ",".join(f"v{i}" for i in range(20_000))
    values, errors = evaluate_outputs(
        yaml(f"""
        Parameters:
          L: {{Type: CommaDelimitedList, Default: "{items}"}}
        Outputs:
          O:
            Value: !EachMemberIn [!Ref L, !Ref L]
        """)
    )
    assert errors == [] and values["O"] is True


@pytest.mark.parametrize(
    "value",
    [
        "!Calculate ['(" + "9" * 4000 + ")*(" + "9" * 4000 + ")', 0]",
        "!Calculate ['" + "9" * 5000 + "', 0]",
        "!Calculate ['{0}*1.5', 1, [" + "9" * 1000 + "]]",
        "!Add [" + "9" * 4000 + ", 1.5]",
        "!Avg [1, [" + "9" * 1000 + "]]",
    ],
)
def test_huge_numbers_are_function_errors_not_internal_errors(value):
    _values, errors = evaluate_outputs(HEADER + f"Outputs:\n  O:\n    Value: {value}\n")
    assert len(errors) == 1 and errors[0].code != INTERNAL_ERROR, [str(e) for e in errors]


# ---- Fn::Jq --------------------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_fn_jq_time_is_one_budget_for_the_whole_template(monkeypatch):
    monkeypatch.setenv("ROS_JQ_TIMEOUT_S", "1")
    outputs = "".join(f"  O{i}:\n    Value: !Jq [First, 'def f: f; f', '{{}}']\n" for i in range(4))
    _values, errors = evaluate_outputs(
        HEADER + "Outputs:\n" + outputs + "  Quick:\n    Value: !Jq [First, '.a', '{\"a\": 1}']\n"
    )
    assert len(errors) == 5  # the quick program too: the template's time is spent
    assert {error.code for error in errors} == {TEMPLATE_LIMIT_EXCEEDED}
    assert all("ran out of their 1 s" in error.message for error in errors)
    assert [error.path[1] for error in errors] == ["O0", "O1", "O2", "O3", "Quick"]


def test_fn_jq_works_within_its_budget():
    values, errors = evaluate_outputs(
        HEADER + "Outputs:\n  O:\n    Value: !Jq [All, '.a[]', '{\"a\": [1, 2]}']\n"
    )
    assert errors == [] and values["O"] == [1, 2]
