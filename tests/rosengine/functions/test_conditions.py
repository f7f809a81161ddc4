"""Fn::Equals, Fn::And, Fn::Or, Fn::Not, Fn::If
(docs/reference/ros-template-language.md#conditions-and-predicates) and the rule predicates Fn::Contains,
Fn::EachMemberIn, Fn::Any, Fn::MatchPattern
(docs/reference/ros-template-language.md#conditions-and-predicates)."""

from __future__ import annotations

import pytest

from rosengine.functions.base import NO_VALUE, Unknown


class TestEquals:
    @pytest.mark.parametrize(
        ("a", "b", "equal"),
        [
            ("prod", "pre", False),
            ("a", "a", True),
            (0, "0", False),
            (1, 1.0, True),
            (True, 1, False),
            (False, False, True),
            ([1, {"a": True}], [1, {"a": True}], True),
            ([1, {"a": True}], [1, {"a": 1}], False),
        ],
    )
    def test_json_equality(self, ev, a, b, equal):
        assert ev({"Fn::Equals": [a, b]}) is equal

    def test_number_parameter(self, make):
        assert make(parameters={"N": 0})({"Fn::Equals": [0, {"Ref": "N"}]}) is True

    def test_unknown_gives_unknown_boolean(self, make):
        result = make(parameters={"Env": Unknown("string")})({"Fn::Equals": ["prod", {"Ref": "Env"}]})
        assert result == Unknown("boolean", "Fn::Equals")

    def test_wrong_arity(self, ev):
        assert (
            ev.error({"Fn::Equals": ["a"]}).message
            == "Fn::Equals expects [value1, value2] but got a list of 1 item"
        )


class TestAndOr:
    def test_spec_example(self, make):
        harness = make(conditions={"A": True, "B": False})
        assert harness({"Fn::And": ["A", "B"]}) is False
        assert harness({"Fn::Or": ["A", "B"]}) is True

    def test_nested_expressions_and_names_mixed(self, make):
        harness = make(parameters={"Env": "prod"}, conditions={"A": True})
        assert harness({"Fn::And": ["A", {"Fn::Equals": ["prod", {"Ref": "Env"}]}]}) is True
        assert harness({"Fn::Or": [{"Fn::Not": "A"}, {"Fn::Equals": ["x", {"Ref": "Env"}]}]}) is False

    def test_conditions_referring_to_conditions(self, make):
        harness = make(conditions={"Base": {"Fn::Equals": [1, 1]}, "Derived": {"Fn::Not": "Base"}})
        assert harness({"Fn::Or": ["Derived", "Base"]}) is True

    def test_short_circuit_skips_later_operands(self, make):
        harness = make(conditions={"F": False, "T": True})
        assert harness({"Fn::And": ["F", "Undefined"]}) is False
        assert harness({"Fn::Or": ["T", "Undefined"]}) is True
        assert "condition:Undefined" not in harness.resolved

    def test_undefined_condition_name(self, make):
        err = make(conditions={"T": True}).error({"Fn::And": ["T", "Nope"]})
        assert "Nope" in err.message
        assert err.path == ("Outputs", "Out", "Value", "Fn::And", 1)

    def test_unknown_operands(self, make):
        harness = make(conditions={"U": Unknown("boolean"), "F": False, "T": True})
        assert harness({"Fn::And": ["U", "T"]}) == Unknown("boolean", "Fn::And")
        assert harness({"Fn::And": ["U", "F"]}) is False
        assert harness({"Fn::Or": ["U", "T"]}) is True

    @pytest.mark.parametrize("bad", [["A"], "A", {"Fn::Equals": [1, 1]}])
    def test_needs_two_operands(self, make, bad):
        err = make(conditions={"A": True}).error({"Fn::And": bad})
        assert "Fn::And expects a list of at least 2 conditions" in err.message

    def test_operand_of_wrong_kind(self, ev):
        err = ev.error({"Fn::Or": [1, True]})
        assert "condition name or a condition expression but got an integer" in err.message

    def test_expression_not_boolean(self, ev):
        err = ev.error({"Fn::Or": [{"Fn::Join": ["", ["a"]]}, True]})
        assert "evaluated to a string" in err.message


class TestNot:
    def test_spec_example(self, ev):
        assert ev({"Fn::Not": {"Fn::Equals": ["a", "a"]}}) is False

    def test_condition_name_and_aws_list_form(self, make):
        harness = make(conditions={"Prod": False})
        assert harness({"Fn::Not": "Prod"}) is True
        assert harness({"Fn::Not": ["Prod"]}) is True
        assert harness({"Fn::Not": [{"Fn::Equals": [1, 2]}]}) is True

    def test_two_operands_rejected(self, make):
        err = make(conditions={"A": True}).error({"Fn::Not": ["A", "A"]})
        assert "single condition" in err.message

    def test_unknown(self, make):
        assert make(conditions={"U": Unknown("boolean")})({"Fn::Not": "U"}) == Unknown("boolean", "Fn::Not")


class TestIf:
    def test_spec_example(self, make):
        assert make(conditions={"Prod": False})({"Fn::If": ["Prod", "big", "small"]}) == "small"
        assert make(conditions={"Prod": True})({"Fn::If": ["Prod", "big", "small"]}) == "big"

    def test_only_chosen_branch_is_evaluated(self, make):
        harness = make(conditions={"C": True})
        assert harness({"Fn::If": ["C", "ok", {"Ref": "RemovedResource"}]}) == "ok"
        assert "RemovedResource" not in harness.resolved

    def test_no_value_branch(self, make):
        node = {"Fn::If": ["C", "x", {"Ref": "ALIYUN::NoValue"}]}
        assert make(conditions={"C": False}).evaluate_node(node, ()) is NO_VALUE

    def test_inline_condition_expression(self, ev):
        assert ev({"Fn::If": [{"Fn::Equals": [1, 1]}, "yes", "no"]}) == "yes"

    def test_unknown_condition_checks_both_branches(self, make):
        harness = make(conditions={"U": Unknown("boolean")}, parameters={"P": "a"})
        assert harness({"Fn::If": ["U", {"Ref": "P"}, "a"]}) == "a"
        assert harness({"Fn::If": ["U", "a", "b"]}) == Unknown("string", "Fn::If")
        assert harness({"Fn::If": ["U", "a", 1]}) == Unknown(None, "Fn::If")
        assert harness({"Fn::If": ["U", ["a"], {"Ref": "ALIYUN::NoValue"}]}) == Unknown("array", "Fn::If")
        assert harness.error({"Fn::If": ["U", "a", {"Ref": "Missing"}]}).code == "InvalidTemplateReference"

    @pytest.mark.parametrize("bad", [["C", 1], "C", ["C", 1, 2, 3]])
    def test_bad_shapes(self, make, bad):
        err = make(conditions={"C": True}).error({"Fn::If": bad})
        assert "Fn::If expects [ConditionName, ValueIfTrue, ValueIfFalse]" in err.message


class TestPredicates:
    @pytest.mark.parametrize(
        ("node", "expected"),
        [
            ({"Fn::Contains": [[1, 2, 3], 3]}, True),
            ({"Fn::Contains": [[1, 2, 3], 4]}, False),
            ({"Fn::Contains": [["1"], 1]}, False),
            ({"Fn::EachMemberIn": [[1, 2, 3], [1, 2, 3, 3, 4]]}, True),
            ({"Fn::EachMemberIn": [[1, 2, 3], [1, 2, 4]]}, False),
            ({"Fn::EachMemberIn": [[], [1]]}, True),
            ({"Fn::Any": [False, True]}, True),
            ({"Fn::Any": [0, 0]}, False),
            ({"Fn::Any": ["false", "0", "", None, [], {}]}, False),
            ({"Fn::Any": ["true"]}, True),
            ({"Fn::Any": "false, true"}, True),
            ({"Fn::MatchPattern": ["[a-z]+", "adb"]}, True),
            ({"Fn::MatchPattern": ["[a-z]+", "12b"]}, False),
            ({"Fn::MatchPattern": ["[a-z]+", "ab1"]}, False),
            ({"Fn::MatchPattern": ["\\d+", 42]}, True),
        ],
    )
    def test_values(self, ev, node, expected):
        assert ev(node) is expected

    def test_contains_with_parameter(self, make):
        assert make(parameters={"Zone": "b"})({"Fn::Contains": [["a", "b"], {"Ref": "Zone"}]}) is True

    @pytest.mark.parametrize(
        ("node", "message"),
        [
            ({"Fn::Contains": ["abc", "a"]}, "Fn::Contains expects its first argument to be a list"),
            ({"Fn::EachMemberIn": [[1], 1]}, "argument 2 to be a list"),
            ({"Fn::Any": True}, "Fn::Any expects a list of values"),
            ({"Fn::MatchPattern": ["[a-", "x"]}, "invalid regular expression '[a-'"),
            ({"Fn::MatchPattern": ["a", None]}, "the value to be a string but got null"),
        ],
    )
    def test_errors(self, ev, node, message):
        assert message in ev.error(node).message
