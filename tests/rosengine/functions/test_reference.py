"""Ref, Fn::GetAtt, Fn::FindInMap, Fn::GetAZs, Fn::GetStackOutput, Fn::MarketplaceImage,
Fn::FormatTime — docs/reference/ros-template-language.md#references-and-look-ups examples and behaviour."""

from __future__ import annotations

import pytest

from rosengine.errors import INVALID_FUNCTION, INVALID_TEMPLATE_ATTRIBUTE, INVALID_TEMPLATE_REFERENCE
from rosengine.functions.base import NO_VALUE, Unknown
from rosengine.functions.get_att import split_dotted


class TestRef:
    def test_parameter(self, make):
        assert make(parameters={"P": "x"})({"Ref": "P"}) == "x"

    def test_typed_parameter_value_is_kept(self, make):
        assert make(parameters={"N": 3, "L": ["a", "b"]})({"Ref": "L"}) == ["a", "b"]

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("ALIYUN::Region", "cn-hangzhou"),
            ("ALIYUN::StackName", "stack"),
            ("ALIYUN::AccountId", "1234567890123456"),
        ],
    )
    def test_pseudo_parameters_go_through_ctx_ref(self, ev, name, value):
        assert ev({"Ref": name}) == value
        assert ev.resolved == [name]

    def test_resource_physical_id(self, make):
        assert make(resources={"Vpc": "vpc-123"})({"Ref": "Vpc"}) == "vpc-123"

    def test_no_value_needs_no_context(self, ev):
        assert ev.evaluate_node({"Ref": "ALIYUN::NoValue"}, ()) is NO_VALUE
        assert ev.resolved == []

    def test_unknown_name(self, ev):
        err = ev.error({"Ref": "Nope"})
        assert err.code == INVALID_TEMPLATE_REFERENCE
        assert "Nope" in err.message

    def test_function_inside_ref_is_rejected(self, make):
        err = make(parameters={"P": "x"}).error({"Ref": {"Fn::Join": ["", ["P"]]}})
        assert err.code == INVALID_FUNCTION
        assert "functions cannot be used inside Ref" in err.message
        assert "Fn::Join" in err.message

    @pytest.mark.parametrize("bad", [["P"], 3, None, ""])
    def test_non_string_argument(self, ev, bad):
        err = ev.error({"Ref": bad})
        assert err.message.startswith("Ref expects")
        assert err.path == ("Outputs", "Out", "Value", "Ref")


class TestGetAtt:
    def test_list_form(self, make):
        assert make(attributes={("Vpc", "VpcId"): "vpc-1"})({"Fn::GetAtt": ["Vpc", "VpcId"]}) == "vpc-1"

    def test_dotted_string_form(self, make):
        assert make(attributes={("Vpc", "VpcId"): "vpc-1"})({"Fn::GetAtt": "Vpc.VpcId"}) == "vpc-1"

    def test_nested_stack_output(self, make):
        harness = make(attributes={("Stack", "Outputs.Url"): "http://x"})
        assert harness({"Fn::GetAtt": ["Stack", "Outputs.Url"]}) == "http://x"
        assert harness({"Fn::GetAtt": "Stack.Outputs.Url"}) == "http://x"

    def test_names_may_be_functions(self, make):
        harness = make(parameters={"Which": "Vpc"}, attributes={("Vpc", "VpcId"): "vpc-1"})
        node = {"Fn::GetAtt": [{"Ref": "Which"}, {"Fn::Join": ["", ["Vpc", "Id"]]}]}
        assert harness(node) == "vpc-1"

    def test_unknown_name_gives_unknown(self, make):
        harness = make(parameters={"Which": Unknown("string", "param")})
        assert isinstance(harness({"Fn::GetAtt": [{"Ref": "Which"}, "Arn"]}), Unknown)

    def test_unknown_attribute(self, ev):
        assert ev.error({"Fn::GetAtt": ["Vpc", "Nope"]}).code == INVALID_TEMPLATE_ATTRIBUTE

    @pytest.mark.parametrize("bad", ["NoDot", ["OnlyOne"], ["a", "b", "c"], {"a": 1}, ["", "x"], [1, "x"]])
    def test_bad_shapes(self, ev, bad):
        err = ev.error({"Fn::GetAtt": bad})
        assert "Fn::GetAtt expects" in err.message

    @pytest.mark.parametrize(
        ("text", "pair"),
        [
            ("a.b", ("a", "b")),
            ("my.res.Attr", ("my.res", "Attr")),
            ("Stack.Outputs.Name", ("Stack", "Outputs.Name")),
            ("my.stack.Outputs.Name", ("my.stack", "Outputs.Name")),
            ("nodot", None),
            ("a..b", None),
        ],
    )
    def test_split_rule(self, text, pair):
        assert split_dotted(text) == pair


class TestFindInMap:
    MAPS = {"RegionMap": {"hangzhou": {"32": "m-1", "64": "m-2"}}, "Nums": {1234: {"k": [1, 2]}}}

    def test_spec_example(self, make):
        assert make(mappings=self.MAPS)({"Fn::FindInMap": ["RegionMap", "hangzhou", "32"]}) == "m-1"

    def test_keys_may_be_refs(self, make):
        harness = make(mappings=self.MAPS, parameters={"Bits": "64"})
        assert harness({"Fn::FindInMap": ["RegionMap", "hangzhou", {"Ref": "Bits"}]}) == "m-2"

    def test_numeric_keys_match_as_text(self, make):
        assert make(mappings=self.MAPS)({"Fn::FindInMap": ["Nums", "1234", "k"]}) == [1, 2]
        assert make(mappings=self.MAPS)({"Fn::FindInMap": ["RegionMap", "hangzhou", 32]}) == "m-1"

    def test_missing_key_names_it_and_lists_alternatives(self, make):
        err = make(mappings=self.MAPS).error({"Fn::FindInMap": ["RegionMap", "hangzhou", "16"]})
        assert "'16' not found in Mappings.RegionMap.hangzhou" in err.message
        assert "32, 64" in err.message
        assert err.path[-1] == 2

    def test_missing_map(self, make):
        err = make(mappings=self.MAPS).error({"Fn::FindInMap": ["Nope", "a", "b"]})
        assert "mapping 'Nope' not found in Mappings" in err.message

    def test_default_value_only_evaluated_on_miss(self, make):
        harness = make(mappings=self.MAPS)
        found = {"Fn::FindInMap": ["RegionMap", "hangzhou", "32", {"DefaultValue": {"Ref": "Missing"}}]}
        assert harness(found) == "m-1"
        missing = {"Fn::FindInMap": ["RegionMap", "beijing", "32", {"DefaultValue": "fallback"}]}
        assert harness(missing) == "fallback"

    def test_bad_fourth_argument(self, make):
        err = make(mappings=self.MAPS).error({"Fn::FindInMap": ["RegionMap", "x", "y", "z"]})
        assert "DefaultValue" in err.message

    def test_wrong_shape(self, ev):
        assert "[MapName, TopLevelKey, SecondLevelKey]" in ev.error({"Fn::FindInMap": ["M", "k"]}).message

    def test_unknown_key_gives_unknown(self, make):
        harness = make(mappings=self.MAPS, parameters={"K": Unknown("string")})
        assert isinstance(harness({"Fn::FindInMap": ["RegionMap", {"Ref": "K"}, "32"]}), Unknown)


class TestGetAZs:
    def test_known_region_table(self, ev):
        zones = ev({"Fn::GetAZs": "cn-beijing"})
        assert zones[0] == "cn-beijing-a" and all(z.startswith("cn-beijing-") for z in zones)

    def test_unknown_region_gets_abc(self, ev):
        assert ev({"Fn::GetAZs": "xx-moon-1"}) == ["xx-moon-1-a", "xx-moon-1-b", "xx-moon-1-c"]

    def test_ref_region_and_select_first(self, make):
        node = {"Fn::Select": ["0", {"Fn::GetAZs": {"Ref": "ALIYUN::Region"}}]}
        assert make(region="xx-test-1")(node) == "xx-test-1-a"

    def test_empty_means_stack_region(self, make):
        assert make(region="xx-test-2")({"Fn::GetAZs": ""}) == ["xx-test-2-a", "xx-test-2-b", "xx-test-2-c"]

    def test_ctx_zones_win(self, make):
        harness = make(zones=lambda region: [f"{region}-z"])
        assert harness({"Fn::GetAZs": "cn-hangzhou"}) == ["cn-hangzhou-z"]

    def test_deterministic(self, ev):
        assert ev({"Fn::GetAZs": "cn-hangzhou"}) == ev({"Fn::GetAZs": "cn-hangzhou"})

    def test_bad_argument(self, ev):
        assert "region ID string" in ev.error({"Fn::GetAZs": ["cn-hangzhou"]}).message


class TestGetStackOutput:
    def test_reads_output_in_own_region(self, make, fake_outputs):
        reader = fake_outputs({("s1", "A", "cn-hangzhou"): "v"})
        assert make(stack_outputs=reader)({"Fn::GetStackOutput": ["s1", "A"]}) == "v"
        assert reader.calls == [("s1", "A", "cn-hangzhou")]

    def test_explicit_region(self, make, fake_outputs):
        reader = fake_outputs({("s1", "A", "cn-beijing"): [1, 2]})
        assert make(stack_outputs=reader)({"Fn::GetStackOutput": ["s1", "A", "cn-beijing"]}) == [1, 2]

    def test_missing_output_is_empty_string(self, make, fake_outputs):
        harness = make(stack_outputs=fake_outputs({("s1", "A", "cn-hangzhou"): "v"}))
        assert harness({"Fn::GetStackOutput": ["s1", "Nope"]}) == ""

    def test_empty_argument_is_empty_string_without_lookup(self, make, fake_outputs):
        reader = fake_outputs({})
        assert make(stack_outputs=reader)({"Fn::GetStackOutput": ["", "A"]}) == ""
        assert reader.calls == []

    def test_comma_scalar_form(self, make, fake_outputs):
        reader = fake_outputs({("s1", "A", "cn-shanghai"): "v"})
        assert make(stack_outputs=reader)({"Fn::GetStackOutput": "s1, A, cn-shanghai"}) == "v"

    def test_no_reader(self, ev, make):
        assert ev({"Fn::GetStackOutput": ["s1", "A"]}) == ""
        assert isinstance(make(static=True)({"Fn::GetStackOutput": ["s1", "A"]}), Unknown)

    def test_bad_shape(self, ev):
        assert "[StackNameOrId, OutputName, RegionId?]" in ev.error({"Fn::GetStackOutput": ["s1"]}).message


class TestMarketplaceImage:
    def test_deterministic_per_region(self, make):
        first = make()({"Fn::MarketplaceImage": "cmjj000001"})
        assert first == make()({"Fn::MarketplaceImage": "cmjj000001"})
        assert first.startswith("m-") and len(first) == 22
        assert first != make(region="cn-beijing")({"Fn::MarketplaceImage": "cmjj000001"})
        assert first != make()({"Fn::MarketplaceImage": "cmjj000002"})

    def test_bad_argument(self, ev):
        assert "product code" in ev.error({"Fn::MarketplaceImage": ""}).message


class TestFormatTime:
    def test_spec_example(self, ev):
        assert ev({"Fn::FormatTime": ["%Y-%m-%d %H:%M:%S", "UTC"]}) == "2021-04-07 08:09:10"

    def test_default_zone_is_utc(self, ev):
        assert ev({"Fn::FormatTime": "%H:%M"}) == "08:09"

    def test_iana_zone(self, ev):
        assert ev({"Fn::FormatTime": ["%Y-%m-%d %H:%M %Z", "Asia/Shanghai"]}) == "2021-04-07 16:09 CST"

    def test_unknown_zone(self, ev):
        err = ev.error({"Fn::FormatTime": ["%H", "Mars/Olympus"]})
        assert "unknown time zone 'Mars/Olympus'" in err.message
        assert err.path[-1] == 1

    def test_bad_shape(self, ev):
        assert "strftime" in ev.error({"Fn::FormatTime": 5}).message
