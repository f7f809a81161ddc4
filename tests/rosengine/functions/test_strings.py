"""Fn::Sub, Fn::Join, Fn::Split, Fn::Replace, Fn::Str, Fn::Base64Encode/Decode, Fn::Indent —
docs/reference/ros-template-language.md#strings."""

from __future__ import annotations

import pytest

from rosengine.functions.base import Unknown
from rosengine.functions.sub import sub_references


class TestSub:
    def test_spec_example(self, ev):
        node = {"Fn::Sub": ["Var1: ${Var1}, Region: ${ALIYUN::Region}", {"Var1": "x"}]}
        assert ev(node) == "Var1: x, Region: cn-hangzhou"

    def test_plain_string_without_placeholders(self, ev):
        assert ev({"Fn::Sub": "ALIYUN::StackId"}) == "ALIYUN::StackId"
        assert ev.resolved == []

    def test_ref_and_getatt_placeholders(self, make):
        harness = make(parameters={"Name": "web"}, attributes={("Slb", "IpAddress"): "1.2.3.4"})
        assert harness({"Fn::Sub": "http://${Slb.IpAddress}/${Name}"}) == "http://1.2.3.4/web"
        assert harness.resolved == ["Slb.IpAddress", "Name"]

    def test_nested_stack_output_placeholder(self, make):
        harness = make(attributes={("Net", "Outputs.VpcId"): "vpc-9"})
        assert harness({"Fn::Sub": "${Net.Outputs.VpcId}"}) == "vpc-9"

    def test_variable_map_wins_over_parameters(self, make):
        harness = make(parameters={"A": "param"})
        assert harness({"Fn::Sub": ["${A}", {"A": "var"}]}) == "var"
        assert harness.resolved == []

    def test_variable_values_may_be_functions(self, make):
        harness = make(parameters={"P": ["a", "b"]})
        assert harness({"Fn::Sub": ["x=${X}", {"X": {"Fn::Join": ["-", {"Ref": "P"}]}}]}) == "x=a-b"

    def test_numbers_booleans_and_structures_as_text(self, make):
        harness = make(parameters={"N": 8080, "F": 1.5, "B": True, "L": ["a", 1], "M": {"k": "v"}})
        result = harness({"Fn::Sub": "${N} ${F} ${B} ${L} ${M}"})
        assert result == '8080 1.5 true ["a",1] {"k":"v"}'

    def test_escape_and_unterminated(self, make):
        harness = make(parameters={"X": "1"})
        assert harness({"Fn::Sub": "${!X} is ${X}; ${!Literal}"}) == "${X} is 1; ${Literal}"
        assert harness({"Fn::Sub": "cost: $5 and ${ unterminated"}) == "cost: $5 and ${ unterminated"

    def test_spaces_inside_placeholder_are_trimmed(self, make):
        assert make(parameters={"X": "1"})({"Fn::Sub": "${ X }"}) == "1"

    def test_unknown_reference_makes_result_unknown(self, make):
        result = make(parameters={"X": Unknown("string")})({"Fn::Sub": "a${X}b"})
        assert isinstance(result, Unknown) and result.type == "string"

    def test_undefined_name_is_an_error(self, ev):
        err = ev.error({"Fn::Sub": "${Missing}"})
        assert err.code == "InvalidTemplateReference"

    def test_empty_placeholder(self, ev):
        assert "empty placeholder" in ev.error({"Fn::Sub": "a${}b"}).message

    @pytest.mark.parametrize("bad", [5, ["a", "b"], ["a", {}, "c"], [1]])
    def test_bad_shapes(self, ev, bad):
        assert "Fn::Sub expects" in ev.error({"Fn::Sub": bad}).message

    def test_template_string_from_a_function(self, make):
        harness = make(parameters={"X": "1"})
        assert harness({"Fn::Sub": [{"Fn::Join": ["", ["$", "{X}"]]}, {}]}) == "1"


class TestSubReferences:
    def test_names_in_order_without_escapes_and_duplicates(self):
        text = "${B} ${!Lit} ${A.Attr} ${B} ${ALIYUN::Region} ${ C }"
        assert sub_references(text) == ["B", "A.Attr", "ALIYUN::Region", "C"]

    def test_no_placeholders(self):
        assert sub_references("plain $ {x} text") == []


class TestJoin:
    def test_empty_delimiter_and_list(self, ev):
        assert ev({"Fn::Join": ["", ["a", "b"]]}) == "ab"
        assert ev({"Fn::Join": [",", []]}) == ""

    def test_null_items_are_empty(self, ev):
        assert ev({"Fn::Join": ["-", ["a", None, "b"]]}) == "a--b"

    def test_numbers_and_booleans_joined_as_written(self, make):
        harness = make(parameters={"Port": 9092})
        node = {"Fn::Join": ["-", ["ecs", {"Ref": "ALIYUN::Index"}, {"Ref": "Port"}, 1.5, True]]}
        harness.parameters["ALIYUN::Index"] = 0
        assert harness(node) == "ecs-0-9092-1.5-true"

    def test_structures_rejected_with_path(self, ev):
        err = ev.error({"Fn::Join": [",", ["a", ["b"]]]})
        assert "item 1 is a list of 1 item" in err.message
        assert err.path == ("Outputs", "Out", "Value", "Fn::Join", 1, 1)

    def test_string_instead_of_list(self, ev):
        err = ev.error({"Fn::Join": ",a,b"})
        assert err.message == "Fn::Join expects [delimiter, [items]] but got a string (',a,b')"

    def test_items_not_a_list(self, ev):
        assert "list of strings" in ev.error({"Fn::Join": [",", "abc"]}).message

    def test_unknown_item_gives_typed_unknown(self, make):
        result = make(parameters={"X": Unknown("string")})({"Fn::Join": ["", ["a", {"Ref": "X"}]]})
        assert result == Unknown("string", "Fn::Join")


class TestSplit:
    def test_no_trimming(self, ev):
        assert ev({"Fn::Split": [";", "foo; bar; achoo "]}) == ["foo", " bar", " achoo "]

    def test_empty_delimiter_rejected(self, ev):
        assert "non-empty delimiter" in ev.error({"Fn::Split": ["", "abc"]}).message

    def test_then_select(self, ev):
        assert ev({"Fn::Select": ["1", {"Fn::Split": [",", "a,b,c"]}]}) == "b"


class TestReplace:
    def test_spec_example(self, ev):
        assert ev({"Fn::Replace": [{"print": "echo"}, "print hello"]}) == "echo hello"

    def test_in_written_order_and_value_conversion(self, ev):
        node = {"Fn::Replace": [{"a": "b", "b": "c", "$N": 3, "$F": None, "$T": True}, "a $N$F $T"]}
        assert ev(node) == "c 3 true"

    def test_strip_base64_newline_idiom(self, ev):
        node = {"Fn::Replace": [{"\n": ""}, {"Fn::Base64Encode": "ALIYUN ROS"}]}
        assert ev(node) == "QUxJWVVOIFJPUw=="

    def test_errors(self, ev):
        assert "mapping {search: replacement}" in ev.error({"Fn::Replace": [["a"], "x"]}).message
        assert "second argument to be a string" in ev.error({"Fn::Replace": [{"a": "b"}, 1]}).message
        assert "non-empty strings" in ev.error({"Fn::Replace": [{"": "b"}, "x"]}).message


class TestStr:
    @pytest.mark.parametrize(
        ("value", "text"), [(123456, "123456"), (1.5, "1.5"), (True, "true"), ("x", "x")]
    )
    def test_values(self, ev, value, text):
        assert ev({"Fn::Str": value}) == text

    def test_with_ref_to_number_parameter(self, make):
        assert make(parameters={"Price": 0.5})({"Fn::Str": {"Ref": "Price"}}) == "0.5"

    def test_rejects_list(self, ev):
        assert ev.error({"Fn::Str": [1]}).message == "Fn::Str expects a number but got a list of 1 item"


class TestBase64:
    def test_line_wrapping_every_76_chars(self, ev):
        encoded = ev({"Fn::Base64Encode": "x" * 100})
        lines = encoded.split("\n")
        assert len(lines[0]) == 76 and encoded.endswith("\n") and lines[-1] == ""

    def test_legacy_alias(self, ev):
        assert ev({"Fn::Base64": "ALIYUN ROS"}) == "QUxJWVVOIFJPUw==\n"

    def test_unicode_round_trip(self, ev):
        text = "你好, ROS\nline2"
        assert ev({"Fn::Base64Decode": {"Fn::Base64Encode": text}}) == text

    def test_decode_is_lenient_about_layout(self, ev):
        assert ev({"Fn::Base64Decode": "QUxJWVVO\nIFJPUw"}) == "ALIYUN ROS"

    def test_decode_errors(self, ev):
        assert "not valid base64" in ev.error({"Fn::Base64Decode": "***"}).message
        assert "not UTF-8" in ev.error({"Fn::Base64Decode": "/w=="}).message
        assert "a base64 string" in ev.error({"Fn::Base64Decode": 5}).message


class TestIndent:
    def test_spec_examples(self, ev):
        assert ev({"Fn::Indent": ["[client]\nport=3306", 1]}) == "  [client]\n  port=3306"
        assert ev({"Fn::Indent": ["[client]\nport=3306", 1, 2, False]}) == "[client]\n  port=3306"

    def test_size_and_level(self, ev):
        assert ev({"Fn::Indent": ["a\nb", 2, 4]}) == "        a\n        b"
        assert ev({"Fn::Indent": ["a", 0]}) == "a"

    def test_empty_lines_stay_empty(self, ev):
        assert ev({"Fn::Indent": ["a\n\nb\n", 1]}) == "  a\n\n  b\n"

    def test_string_flags_from_parameters(self, ev):
        assert ev({"Fn::Indent": ["a\nb", "1", "3", "false"]}) == "a\n   b"

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["a", 21], "Level between 0 and 20 but got 21"),
            (["a", 1, 5], "Size between 0 and 4 but got 5"),
            (["a", "x"], "Level to be an integer"),
            (["a", 1, 2, "maybe"], "IndentFirstLine to be a boolean"),
            (["a"], "[String, Level, Size?, IndentFirstLine?]"),
        ],
    )
    def test_errors(self, ev, args, message):
        assert message in ev.error({"Fn::Indent": args}).message
