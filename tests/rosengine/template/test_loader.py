"""Loading: both formats, positions, short tags, nesting rule, duplicates, dates, hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rosengine.errors import (
    INTERNAL_ERROR,
    INVALID_FUNCTION,
    INVALID_TEMPLATE_FORMAT,
    TEMPLATE_LIMIT_EXCEEDED,
)
from rosengine.template import load_template
from rosengine.template.parse_error import MAX_DEPTH
from rosengine.template.tags import SHORT_TAGS
from tests.support.templates import HEADER, errors_from, only_error

JSON_TEMPLATE = """{
  "ROSTemplateFormatVersion": "2015-09-01",
  "Resources": {
    "Fn": {
      "Type": "ALIYUN::FC::Function",
      "Properties": {
        "Timeout": 30,
        "Code": [ {"Ref": "X"}, 2 ]
      }
    }
  }
}
"""


def test_json_template_loads_as_plain_data_with_positions():
    template = load_template(JSON_TEMPLATE, filename="t.json")
    assert template.format == "json"
    assert template.data["Resources"]["Fn"]["Properties"] == {"Timeout": 30, "Code": [{"Ref": "X"}, 2]}
    assert template.source_map.locate(("Resources", "Fn", "Properties", "Timeout")) == (7, 9)
    assert template.source_map.locate(("Resources", "Fn", "Properties", "Code", 1)) == (8, 33)
    # a path below a recorded node falls back to the nearest ancestor
    assert template.source_map.locate(("Resources", "Fn", "Properties", "Code", 0, "Ref", 9)) == (8, 20)


def test_yaml_template_records_key_and_item_positions():
    template = load_template(
        HEADER + "Resources:\n  Fn:\n    Type: X::Y\n    Properties:\n"
        "      List:\n        - a\n        - !Ref P\n",
        filename="t.yml",
    )
    assert template.format == "yaml"
    source_map = template.source_map
    assert source_map.locate(("Resources", "Fn", "Type")) == (4, 5)
    assert source_map.locate(("Resources", "Fn", "Properties", "List", 1)) == (8, 11)
    assert source_map.locate(("Resources", "Fn", "Properties", "List", 1, "Ref")) == (8, 11)


def test_error_in_json_names_file_line_column_and_path():
    bad = JSON_TEMPLATE.replace('"Timeout": 30,', '"Timeout": 30,\n        "Timeout": 31,')
    err = only_error(lambda: load_template(bad, filename="dup.json"))
    assert err.code == INVALID_TEMPLATE_FORMAT
    assert (err.file, err.line, err.col) == ("dup.json", 8, 9)
    assert err.path == ("Resources", "Fn", "Properties", "Timeout")
    assert "duplicate key 'Timeout'" in err.message and "line 7" in err.message


@pytest.mark.parametrize(
    "text, line, col",
    [
        ('{"ROSTemplateFormatVersion": "2015-09-01",\n "Resources": {"A": }}', 2, 21),
        ('{"ROSTemplateFormatVersion": "2015-09-01", "Resources": [1, 2,]}', 1, 63),
        ('{"ROSTemplateFormatVersion": "2015-09-01"} trailing', 1, 44),
        ('{"ROSTemplateFormatVersion": "2015-09-01", "X": NaN}', 1, 49),
    ],
)
def test_json_syntax_errors_are_located(text, line, col):
    err = only_error(lambda: load_template(text))
    assert err.code == INVALID_TEMPLATE_FORMAT
    assert (err.line, err.col) == (line, col)


def test_duplicate_yaml_key_is_rejected_with_both_lines():
    err = only_error(lambda: load_template(HEADER + "Resources:\n  A:\n    Type: X\n  A:\n    Type: Y\n"))
    assert err.code == INVALID_TEMPLATE_FORMAT
    assert err.path == ("Resources", "A") and err.line == 5
    assert "first defined on line 3" in err.message


@pytest.mark.parametrize("tag", SHORT_TAGS)
def test_every_short_tag_becomes_a_one_key_mapping(tag):
    template = load_template(
        HEADER + f"Metadata:\n  Scalar: !{tag} x\n  List: !{tag} [a, b]\n  Map: !{tag} {{k: v}}\n"
    )
    name = "Ref" if tag == "Ref" else f"Fn::{tag}"
    metadata = template.data["Metadata"]
    assert metadata["List"] == {name: ["a", "b"]}
    assert metadata["Map"] == {name: {"k": "v"}}
    assert metadata["Scalar"] == {name: "x"}


def test_get_att_dotted_short_form_splits_like_ros():
    template = load_template(
        HEADER + "Metadata:\n  A: !GetAtt Vpc.VpcId\n  B: !GetAtt my.res.Arn\n"
        "  C: !GetAtt Nested.Outputs.Name\n  D: !GetAtt a.b.Outputs.c\n"
    )
    metadata = template.data["Metadata"]
    assert metadata["A"] == {"Fn::GetAtt": ["Vpc", "VpcId"]}
    assert metadata["B"] == {"Fn::GetAtt": ["my.res", "Arn"]}
    assert metadata["C"] == {"Fn::GetAtt": ["Nested", "Outputs.Name"]}
    assert metadata["D"] == {"Fn::GetAtt": ["a.b", "Outputs.c"]}


def test_short_tag_scalars_keep_their_yaml_type_except_names():
    metadata = load_template(HEADER + "Metadata:\n  A: !Str 123\n  B: !Str '123'\n  C: !Ref 123\n").data[
        "Metadata"
    ]
    assert metadata == {"A": {"Fn::Str": 123}, "B": {"Fn::Str": "123"}, "C": {"Ref": "123"}}


def test_short_tags_may_nest_inside_sequences():
    data = load_template(
        HEADER + "Metadata:\n  X: !Join [',', [!Ref A, !Select [0, !Split [',', 'a,b']]]]\n"
    ).data
    assert data["Metadata"]["X"] == {
        "Fn::Join": [",", [{"Ref": "A"}, {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}]]
    }


def test_two_directly_nested_short_tags_are_an_error():
    err = only_error(
        lambda: load_template(HEADER + "Metadata:\n  X: !Base64Encode !Sub '${A}'\n", filename="n.yml")
    )
    assert err.code == INVALID_FUNCTION
    assert err.line == 3
    assert "!Base64Encode !Sub" in err.message and "long form" in err.message


def test_unknown_tag_is_an_error():
    err = only_error(lambda: load_template(HEADER + "Metadata:\n  X: !Frobnicate 1\n"))
    assert err.code == INVALID_FUNCTION and "!Frobnicate" in err.message
    assert err.path == ("Metadata", "X") and err.line == 3


def test_unquoted_version_date_is_normalised_and_other_dates_stay_strings():
    template = load_template(
        "ROSTemplateFormatVersion: 2015-09-01\nMetadata:\n  When: 2021-04-07 08:09:10\n  Day: 2020-01-01\n"
    )
    assert template.data["ROSTemplateFormatVersion"] == "2015-09-01"
    assert template.data["Metadata"] == {"When": "2021-04-07 08:09:10", "Day": "2020-01-01"}


def test_mapping_keys_are_the_text_written():
    data = load_template(HEADER + "Mappings:\n  M:\n    32: {on: 1, 1.0: x}\n").data
    assert data["Mappings"] == {"M": {"32": {"on": 1, "1.0": "x"}}}


def test_anchors_and_merge_keys_work():
    data = load_template(
        HEADER + "Metadata:\n  Base: &b {a: 1, b: 2}\n  Copy: *b\n  Merged: {<<: *b, b: 3}\n"
    ).data["Metadata"]
    assert data["Copy"] == {"a": 1, "b": 2}
    assert data["Merged"] == {"a": 1, "b": 3}


@pytest.mark.parametrize(
    "source, fragment",
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\x01\x02\x03binary", "binary"),
        (bytes(range(256)) * 4, "UTF-8"),
        ("ROSTemplateFormatVersion: '2015-09-01'".encode("utf-16"), "UTF-16"),
        (b"- just\n- a list\n", "mapping"),
        (b"just text", "mapping"),
        (b"a: [1\n", "invalid YAML"),
        (b"---\na: 1\n---\nb: 2\n", "single YAML document"),
        (b"a: !!binary aGk=\n", "!!binary"),
        (b"a: *nowhere\n", "anchor"),
        (b"? [complex]\n: key\n", "complex keys"),
    ],
)
def test_garbage_input_gives_template_errors(source, fragment):
    err = errors_from(lambda: load_template(source, filename="g"))[0]
    assert err.code == INVALID_TEMPLATE_FORMAT
    assert fragment in err.message
    assert err.file == "g"


@pytest.mark.parametrize("text", ["[" * 100_000, "- " * 100_000 + "x", '{"a":' * 50_000 + "1" + "}" * 50_000])
def test_deep_nesting_is_refused_not_crashed(text):
    """Refused as a located limit error: our own depth limit (``MAX_DEPTH``) is checked before
    PyYAML's scanner would refuse deep flow collections in its own, version-dependent words."""
    err = errors_from(lambda: load_template(text, max_size=None))[0]
    assert err.code == TEMPLATE_LIMIT_EXCEEDED
    assert f"deeper than {MAX_DEPTH}" in err.message
    assert (err.file, err.line) == ("<template>", 1)
    assert err.col is not None and err.col > MAX_DEPTH


def test_alias_bomb_is_refused():
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for previous, name in zip("abcdefg", "bcdefgh", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    err = errors_from(lambda: load_template("\n".join(lines)))[0]
    assert "expands to more than" in err.message


def test_ten_megabytes_is_refused_by_size_and_parses_when_allowed():
    body = json.dumps(
        {"ROSTemplateFormatVersion": "2015-09-01", "Metadata": {f"k{i}": "x" * 90 for i in range(100_000)}}
    )
    assert len(body) > 10_000_000
    err = only_error(lambda: load_template(body))
    assert "ROS accepts at most 524,288 bytes" in err.message
    assert len(load_template(body, max_size=None).data["Metadata"]) == 100_000


def test_wrong_types_everywhere_never_crash():
    text = (
        HEADER
        + """
Description: [1]
Parameters: {P: 1, Q: {Type: 5}, R: {Type: String, MinLength: x, AllowedPattern: "("}}
Mappings: {M: [1], N: {a: 1}}
Conditions: {C: 1}
Resources: {A: 1, B: {Type: [1], Properties: 1, DependsOn: {x: 1}, Count: abc, Condition: [1], Metadata: 1}}
Outputs: {O: 1, P: {Value: 1, Condition: 1}}
Rules: {R: 1, S: {Assertions: 1}, T: {Assertions: [1]}}
Locals: {L: 1, M: {Type: 1}}
"""
    )
    errors = errors_from(lambda: load_template(text))
    assert len(errors) >= 20
    assert all(err.line is not None and err.file for err in errors)
    assert INTERNAL_ERROR not in {err.code for err in errors}


def test_file_path_source_and_missing_file(tmp_path: Path):
    path = tmp_path / "stack.yml"
    path.write_text(HEADER + "Resources: {}\n")
    assert load_template(path).filename == str(path)
    err = only_error(lambda: load_template(tmp_path / "missing.yml"))
    assert "cannot read" in err.message and err.file.endswith("missing.yml")


def test_text_starting_with_a_brace_is_strict_json():
    err = only_error(lambda: load_template('{"ROSTemplateFormatVersion": "2015-09-01", "Resources": {},}'))
    assert err.code == INVALID_TEMPLATE_FORMAT and "expected a quoted key" in err.message
