"""Fn::Calculate, Fn::Avg, Fn::Max, Fn::Min (docs/reference/ros-template-language.md#arithmetic), Fn::Jq,
Fn::Cidr (#other) and the not-supported functions (#collections)."""

from __future__ import annotations

import pytest

from rosengine.errors import NOT_SUPPORTED


class TestCalculate:
    @pytest.mark.parametrize(
        ("args", "expected"),
        [
            (["(2+3)/2*3-1", 1], 5),
            (["(2.0+3)/2*3-1", 1], 6.5),
            (["({1}+3)/2*3-1", 1, [3, 5, 6]], 11),
            (["({0}+{1})%3", 0, [5, 6]], 2),
            (["{0}//3", 0, [7]], 2),
            (["-5/2", 0], -3),
            (["7.0/3", 2], 2.33),
            (["10/4.0", 0], 3.0),
            (["{0}-1", 0, ["3"]], 2),
            (["{0}*2", 1, 4], 8),
            (["-(-{0})", 1, [1.5]], 1.5),
            (["2 * 3 + 4 * 5", 0], 26),
            (["--3 - -+2", 0], 5),
            (["1e3/10", 0], 100.0),
            (["{0}*1.0", 2, [2.675]], 2.68),
        ],
    )
    def test_values(self, ev, args, expected):
        result = ev({"Fn::Calculate": args})
        assert result == expected and type(result) is type(expected)

    def test_scalar_third_argument_from_ref(self, make):
        assert make(parameters={"I": 2})({"Fn::Calculate": ["{0}*10", 0, {"Ref": "I"}]}) == 20

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["1/0", 0], "division by zero"),
            (["{3}+1", 0, [1]], "placeholder {3} has no value (only 1 number(s) given)"),
            (["__import__('os')", 0], "unexpected character '_'"),
            (["2**3", 0], "unexpected '*'"),
            (["(1+2", 0], "missing closing parenthesis"),
            (["1 2", 0], "unexpected 2 after a complete expression"),
            (["", 0], "empty expression"),
            (["1", "x"], "ndigits to be an integer"),
            (["{0}", 0, ["abc"]], "value 0 to be a number"),
            ([5, 0], "the expression to be a string"),
            (["(" * 5000 + "1" + ")" * 5000, 0], "parentheses nested deeper than 100"),
            (["1e308*10", 0], "not a finite number"),
        ],
    )
    def test_errors(self, ev, args, message):
        assert message in ev.error({"Fn::Calculate": args}).message


class TestAvgMaxMin:
    def test_avg(self, ev):
        assert ev({"Fn::Avg": [1, ["1", "2", "6.0"]]}) == 3.0
        assert ev({"Fn::Avg": [2, [1, 2]]}) == 1.5
        assert ev({"Fn::Avg": [0, [2, 3]]}) == 3.0  # halves round away from zero, as in Python 2

    def test_avg_errors(self, ev):
        assert "at least one number" in ev.error({"Fn::Avg": [1, []]}).message
        assert "item 1 to be a number" in ev.error({"Fn::Avg": [1, [1, "x"]]}).message

    def test_max_min_keep_original_item(self, ev):
        assert ev({"Fn::Max": ["10", "9"]}) == "10"
        assert ev({"Fn::Min": [3, "2.5", 4]}) == "2.5"

    def test_max_min_errors(self, ev):
        assert "a list of numbers" in ev.error({"Fn::Max": 3}).message
        assert "at least one number" in ev.error({"Fn::Min": []}).message
        assert "item 1 to be a number" in ev.error({"Fn::Max": [1, True]}).message


class TestJq:
    def test_all_with_parsed_object(self, ev):
        assert ev({"Fn::Jq": ["All", ".a[]", {"a": [1, 2]}]}) == [1, 2]

    def test_first_with_no_output_is_null(self, ev):
        assert ev({"Fn::Jq": ["First", ".a[]", {"a": []}]}) is None

    def test_missing_value_is_null(self, ev):
        assert ev({"Fn::Jq": ["First", ".missing", "{}"]}) is None

    def test_method_case_insensitive_and_attribute_input(self, make):
        harness = make(attributes={("Data", "Images"): '[{"Description": "d1"}]'})
        node = {"Fn::Jq": ["first", ".[0].Description", {"Fn::GetAtt": ["Data", "Images"]}]}
        assert harness(node) == "d1"

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["Some", ".", "{}"], "the method to be 'First' or 'All'"),
            (["First", ".[", "{}"], "invalid jq script '.['"),
            (["First", ".a.b", '{"a": 5}'], "jq script '.a.b' failed"),
            (["First", "."], "[First|All, script, object]"),
        ],
    )
    def test_errors(self, ev, args, message):
        assert message in ev.error({"Fn::Jq": args}).message


class TestCidr:
    def test_spec_example(self, ev):
        assert ev({"Fn::Cidr": ["192.168.0.0/24", 6, 5]}) == [
            "192.168.0.0/27",
            "192.168.0.32/27",
            "192.168.0.64/27",
            "192.168.0.96/27",
            "192.168.0.128/27",
            "192.168.0.160/27",
        ]

    def test_host_bits_in_block_and_text_numbers(self, ev):
        assert ev({"Fn::Cidr": ["10.0.0.5/16", "2", "8"]}) == ["10.0.0.0/24", "10.0.1.0/24"]

    def test_ipv6(self, ev):
        assert ev({"Fn::Cidr": ["2001:db8::/56", 2, 64]}) == ["2001:db8::/64", "2001:db8:0:1::/64"]

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["192.168.0.0/24", 9, 5], "holds only 8 subnet(s) of /27, but 9 were requested"),
            (["192.168.0.0/24", 1, 9], "cidrBits 9 does not fit"),
            (["192.168.0.0/24", 0, 5], "count between 1 and 256"),
            (["300.1.0.0/24", 1, 5], "is not a valid CIDR block"),
        ],
    )
    def test_errors(self, ev, args, message):
        assert message in ev.error({"Fn::Cidr": args}).message


def test_merge_map_merges_nested_maps_and_later_values_win(ev):
    node = {
        "Fn::MergeMap": [
            {"image": {"api": {"tag": "1", "pull": "IfNotPresent"}}, "keep": [1]},
            {"image": {"api": {"tag": "2"}, "web": {"tag": "3"}}, "keep": [2], "ns": "x"},
        ]
    }
    assert ev(node) == {
        "image": {"api": {"tag": "2", "pull": "IfNotPresent"}, "web": {"tag": "3"}},
        "keep": [2],
        "ns": "x",
    }
    assert "expects maps but item 1" in ev.error({"Fn::MergeMap": [{}, ["a"]]}).message


@pytest.mark.parametrize("name", ["Fn::TransformNamespace", "Fn::ResourceFacade", "Fn::Test"])
def test_unsupported_functions_fail_clearly_without_evaluating_arguments(ev, name):
    err = ev.error({name: [{"Ref": "Undefined"}]})
    assert err.code == NOT_SUPPORTED
    assert err.message.startswith(f"{name} is not supported")
    assert ev.resolved == []
