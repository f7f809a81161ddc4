"""Fn::Select, Fn::Index, Fn::Length, Fn::ListMerge, Fn::SelectMapList, Fn::MergeMapToList,
Fn::GetJsonValue, Fn::Add, Fn::MemberListToMap — docs/reference/ros-template-language.md#collections."""

from __future__ import annotations

import pytest

from rosengine.functions.base import Unknown


class TestSelect:
    FRUIT = ["apples", "grapes", "oranges", "mangoes"]

    @pytest.mark.parametrize(
        ("args", "expected"),
        [
            (["1", FRUIT], "grapes"),
            ([1, FRUIT], "grapes"),
            ([1.0, FRUIT], "grapes"),
            (["-4", FRUIT], "apples"),
            (["1:3", [1, 2, 3, 4, 5]], [2, 3]),
            (["::2", [1, 2, 3, 4, 5]], [1, 3, 5]),
            (["5:0:-2", [1, 2, 3, 4, 5]], [5, 3]),
            (["7:9", [1, 2]], []),
            (["key1", {"key1": "grapes", "key2": "mangoes"}], "grapes"),
            ([0, {"0": "zero"}], "zero"),
            (["9", ["a"], "d"], "d"),
            (["9", ["a"]], ""),
            (["-2", ["a"]], ""),
            (["nope", {"a": 1}], ""),
            (["1", '["x", "y"]'], "y"),
            (["k", '{"k": [1]}'], [1]),
            (["0", ""], ""),
            (["0", None, "d"], "d"),
            (["not_exist", {}, None, "message for the miss"], None),
        ],
    )
    def test_shapes(self, ev, args, expected):
        assert ev({"Fn::Select": args}) == expected

    def test_index_from_calculate_and_ref(self, make):
        harness = make(parameters={"Zones": ["a", "b", "c"], "I": 1})
        node = {"Fn::Select": [{"Fn::Calculate": ["{0}+1", 0, [{"Ref": "I"}]]}, {"Ref": "Zones"}]}
        assert harness(node) == "c"

    def test_known_item_of_partly_unknown_list(self, make):
        harness = make(parameters={"P": "known", "U": Unknown("string")})
        assert harness({"Fn::Select": ["0", [{"Ref": "P"}, {"Ref": "U"}]]}) == "known"
        assert harness({"Fn::Select": ["1", [{"Ref": "P"}, {"Ref": "U"}]]}) == Unknown("string")
        assert harness({"Fn::Select": [{"Ref": "U"}, ["a"]]}) == Unknown(None, "Fn::Select")
        assert harness({"Fn::Select": ["0", {"Ref": "U"}]}) == Unknown(None, "Fn::Select")

    def test_default_may_be_any_value(self, ev):
        assert ev({"Fn::Select": ["3", [], {"a": 1}]}) == {"a": 1}

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["x", [1]], 'index to be an integer or a "start:stop:step" slice'),
            ([True, [1]], "index to be an integer"),
            (["1:x", [1]], 'a slice like "1:3"'),
            (["::0", [1]], "slice step cannot be zero"),
            (["0", "not json"], "a list or map (or its JSON text)"),
            (["0", 5], "its second argument to be a list or a map"),
            ([[0], {"a": 1}], "a string key to select from a map"),
            (["0"], "[index, list, default?]"),
        ],
    )
    def test_errors(self, ev, args, message):
        err = ev.error({"Fn::Select": args})
        assert message in err.message


class TestIndexAndLength:
    def test_index_spec_example(self, ev):
        zones = ["cn-beijing-a", "cn-beijing-b", "cn-beijing-f"]
        assert ev({"Fn::Index": ["cn-beijing-b", zones]}) == 1

    def test_index_first_match_and_types(self, ev):
        assert ev({"Fn::Index": [1, ["1", 1, 1]]}) == 1
        assert "second argument to be a list" in ev.error({"Fn::Index": ["a", "abc"]}).message

    @pytest.mark.parametrize(
        ("value", "n"), [({"key1": "v1", "key2": "v2"}, 2), ([1, 2, 3], 3), ("length", 6), ("", 0)]
    )
    def test_length(self, ev, value, n):
        assert ev({"Fn::Length": value}) == n

    def test_length_of_function_result(self, ev):
        assert ev({"Fn::Length": {"Fn::Split": [",", "a,b,c"]}}) == 3

    def test_length_of_list_with_unknown_items_is_known(self, make):
        harness = make(parameters={"U": Unknown("string")})
        assert harness({"Fn::Length": [{"Ref": "U"}, "b"]}) == 2
        assert harness({"Fn::Length": {"Ref": "U"}}) == Unknown("integer", "Fn::Length")

    def test_length_rejects_number(self, ev):
        assert (
            ev.error({"Fn::Length": 5}).message
            == "Fn::Length expects a string, list or map but got an integer (5)"
        )


class TestListMerge:
    def test_concatenates_without_dedup(self, ev):
        assert ev({"Fn::ListMerge": [[1, 2], [2], []]}) == [1, 2, 2]

    def test_unknowns(self, make):
        harness = make(parameters={"U": Unknown("string"), "L": Unknown("array")})
        assert harness({"Fn::ListMerge": [[{"Ref": "U"}], ["b"]]}) == [Unknown("string"), "b"]
        assert harness({"Fn::ListMerge": [{"Ref": "L"}, ["b"]]}) == Unknown("array", "Fn::ListMerge")

    def test_rejects_non_list_member(self, ev):
        err = ev.error({"Fn::ListMerge": [[1], "x"]})
        assert "item 1 to be a list" in err.message and err.path[-1] == 1


class TestSelectMapList:
    def test_spec_example(self, ev):
        node = {"Fn::SelectMapList": ["key2", [{"key1": "a"}, {"key2": "b"}, {"key2": "c"}]]}
        assert ev(node) == ["b", "c"]

    def test_json_text_list(self, ev):
        assert ev({"Fn::SelectMapList": ["k", '[{"k": 1}, {"j": 2}]']}) == [1]

    def test_errors(self, ev):
        assert "item 1 of the list to be a map" in ev.error({"Fn::SelectMapList": ["k", [{}, 1]]}).message
        assert "key to be a string" in ev.error({"Fn::SelectMapList": [1, []]}).message


class TestMergeMapToList:
    def test_repeats_last_element_of_shorter_lists(self, ev):
        node = {"Fn::MergeMapToList": [{"k1": ["a", "b", "c"]}, {"k2": ["x", "y"]}, {"k3": "s"}]}
        assert ev(node) == [
            {"k1": "a", "k2": "x", "k3": "s"},
            {"k1": "b", "k2": "y", "k3": "s"},
            {"k1": "c", "k2": "y", "k3": "s"},
        ]

    def test_empty_lists_left_out(self, ev):
        assert ev({"Fn::MergeMapToList": [{"k1": ["a"]}, {"k2": []}]}) == [{"k1": "a"}]
        assert ev({"Fn::MergeMapToList": []}) == []

    def test_rejects_non_map(self, ev):
        assert "item 0 to be a map of lists" in ev.error({"Fn::MergeMapToList": [["a"]]}).message


class TestGetJsonValue:
    def test_spec_example(self, ev):
        assert ev({"Fn::GetJsonValue": ["1", '{"1": "x", "2": "y"}']}) == "x"

    def test_parsed_document_and_numeric_key(self, ev):
        assert ev({"Fn::GetJsonValue": [2, {"2": [1]}]}) == [1]

    def test_missing_key_lists_keys(self, ev):
        err = ev.error({"Fn::GetJsonValue": ["z", '{"a": 1, "b": 2}']})
        assert "key 'z' not found" in err.message and "a, b" in err.message

    def test_invalid_json(self, ev):
        assert "not valid JSON" in ev.error({"Fn::GetJsonValue": ["a", "{nope"]}).message
        assert "a JSON object" in ev.error({"Fn::GetJsonValue": ["a", "[1]"]}).message


class TestAdd:
    @pytest.mark.parametrize(
        ("args", "expected"),
        [
            ([1, 2, 3], 6),
            ([1, 2.5], 3.5),
            ([[1], [2]], [1, 2]),
            ([{"a": 1}, {"a": 2, "b": 3}], {"a": 2, "b": 3}),
        ],
    )
    def test_kinds(self, ev, args, expected):
        assert ev({"Fn::Add": args}) == expected

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            ([1, [2]], "every item to be a number like the first, but item 1 is a list"),
            (["a", "b"], "can add numbers, lists or maps but item 0 is a string"),
            ([True, 1], "item 0 is a boolean"),
            ([1], "a list of at least 2"),
        ],
    )
    def test_errors(self, ev, args, message):
        assert message in ev.error({"Fn::Add": args}).message


class TestMemberListToMap:
    def test_heat_shape(self, ev):
        members = [".member.0.Name=k", ".member.0.Value=v", ".member.1.Name=k2", ".member.1.Value=v=2"]
        assert ev({"Fn::MemberListToMap": ["Name", "Value", members]}) == {"k": "v", "k2": "v=2"}

    def test_prefixed_members_and_missing_value(self, ev):
        members = ["Tags.member.1.Key=a", "Tags.member.0.Key=b", "Tags.member.0.Val=1"]
        assert ev({"Fn::MemberListToMap": ["Key", "Val", members]}) == {"b": "1", "a": ""}

    def test_malformed_entry(self, ev):
        err = ev.error({"Fn::MemberListToMap": ["Name", "Value", ["Name=k"]]})
        assert "entry 0 should look like '.member.N.Field=value'" in err.message
