"""Worked examples of the ROS functions, one per documented behaviour (the examples of each
function's page in the ROS user guide, summarised in
docs/reference/ros-template-language.md#intrinsic-functions)."""

from __future__ import annotations

from typing import Any

import pytest

from rosengine.functions.base import NO_VALUE

VECTORS: list[tuple[Any, Any]] = [
    ({"Fn::Join": [",", ["a", "b", "c"]]}, "a,b,c"),
    ({"Fn::Split": ["|", "a|b|c"]}, ["a", "b", "c"]),
    ({"Fn::Select": ["1", ["apples", "grapes", "oranges"]]}, "grapes"),
    ({"Fn::Select": ["-1", [1, 2, 3]]}, 3),
    ({"Fn::Select": ["::2", [1, 2, 3, 4, 5]]}, [1, 3, 5]),
    ({"Fn::Select": ["5:0:-2", [1, 2, 3, 4, 5]]}, [5, 3]),
    ({"Fn::Select": ["k", {"a": 1}, "dflt"]}, "dflt"),
    ({"Fn::Select": ["7", ["a"]]}, ""),
    ({"Fn::Replace": [{"print": "echo"}, "print hi; print x"]}, "echo hi; echo x"),
    ({"Fn::Base64Encode": "ALIYUN ROS"}, "QUxJWVVOIFJPUw==\n"),
    ({"Fn::Base64Decode": "QUxJWVVOIFJPUw=="}, "ALIYUN ROS"),
    ({"Fn::Str": 123456}, "123456"),
    ({"Fn::Indent": ["a\nb", 1]}, "  a\n  b"),
    ({"Fn::Sub": ["${A}-${ALIYUN::Region}", {"A": "x"}]}, "x-cn-hangzhou"),
    ({"Fn::Sub": "${!Literal}"}, "${Literal}"),
    ({"Fn::Length": "length"}, 6),
    ({"Fn::Index": ["b", ["a", "b"]]}, 1),
    ({"Fn::Index": ["z", ["a", "b"]]}, ""),
    ({"Fn::ListMerge": [[1, 2], [3]]}, [1, 2, 3]),
    ({"Fn::Add": [{"a": 1}, {"a": 2, "b": 3}]}, {"a": 2, "b": 3}),
    ({"Fn::Avg": [1, [1, 2, 6]]}, 3.0),
    ({"Fn::Calculate": ["(2+3)/2*3-1", 1]}, 5),
    ({"Fn::Calculate": ["(2.0+3)/2*3-1", 1]}, 6.5),
    ({"Fn::Calculate": ["({0}+{1})%3", 0, [5, 6]]}, 2),
    ({"Fn::Max": [1.1, 2, 3]}, 3),
    ({"Fn::Min": [1.1, 2, 3]}, 1.1),
    (
        {"Fn::MergeMapToList": [{"k1": ["a", "b"]}, {"k2": ["x"]}]},
        [{"k1": "a", "k2": "x"}, {"k1": "b", "k2": "x"}],
    ),
    ({"Fn::SelectMapList": ["k", [{"k": 1}, {"j": 2}, {"k": 3}]]}, [1, 3]),
    ({"Fn::GetJsonValue": ["1", '{"1":"x"}']}, "x"),
    ({"Fn::Contains": [[1, 2, 3], 3]}, True),
    ({"Fn::EachMemberIn": [[1, 2, 3], [1, 2, 4]]}, False),
    ({"Fn::Any": [0, 0]}, False),
    ({"Fn::MatchPattern": ["[a-z]+", "12b"]}, False),
    ({"Fn::Not": {"Fn::Equals": ["a", "a"]}}, False),
    ({"Fn::Cidr": ["192.168.0.0/24", 2, 5]}, ["192.168.0.0/27", "192.168.0.32/27"]),
    ({"Fn::Jq": ["First", ".test", '{"test":"test"}']}, "test"),
]


@pytest.mark.parametrize(("expression", "expected"), VECTORS, ids=[next(iter(v[0])) for v in VECTORS])
def test_vector(ev, expression, expected):
    result = ev(expression)
    assert result == expected
    assert type(result) is type(expected)


def test_find_in_map_vector(make):
    assert make(mappings={"M": {"k1": {"k2": "v"}}})({"Fn::FindInMap": ["M", "k1", "k2"]}) == "v"


def test_equals_with_ref_vector(make):
    assert make(parameters={"Env": "pre"})({"Fn::Equals": ["prod", {"Ref": "Env"}]}) is False


def test_if_vector(make):
    assert make(conditions={"C": False})({"Fn::If": ["C", 1, 2]}) == 2


def test_get_stack_output_missing_stack_vector(make, fake_outputs):
    assert make(stack_outputs=fake_outputs({}))({"Fn::GetStackOutput": ["nope", "X"]}) == ""


def test_if_no_value_removes_optional_property(make):
    harness = make(conditions={"C": False})
    props = harness({"Keep": 1, "Optional": {"Fn::If": ["C", ["x"], {"Ref": "ALIYUN::NoValue"}]}})
    assert props == {"Keep": 1}
    assert (
        make(conditions={"C": False}).evaluate_node({"Fn::If": ["C", ["x"], {"Ref": "ALIYUN::NoValue"}]}, ())
        is NO_VALUE
    )
