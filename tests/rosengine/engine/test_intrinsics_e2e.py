"""End to end: a stack with only Parameters, Mappings, Conditions and Outputs needs no provider;
every intrinsic function is evaluated through `ros stack create` and read back with
`ros stack outputs -o json` (expected values: the documented examples summarised in
docs/reference/ros-template-language.md#intrinsic-functions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rosengine.cli import cli

VECTORS: dict[str, tuple[object, object]] = {
    "Join": ({"Fn::Join": [",", ["a", "b", "c"]]}, "a,b,c"),
    "Split": ({"Fn::Split": ["|", "a|b|c"]}, ["a", "b", "c"]),
    "Select": ({"Fn::Select": ["1", ["apples", "grapes", "oranges"]]}, "grapes"),
    "SelectNegative": ({"Fn::Select": ["-1", [1, 2, 3]]}, 3),
    "SelectSlice": ({"Fn::Select": ["::2", [1, 2, 3, 4, 5]]}, [1, 3, 5]),
    "SelectDefault": ({"Fn::Select": ["k", {"a": 1}, "dflt"]}, "dflt"),
    "SelectOutOfRange": ({"Fn::Select": ["7", ["a"]]}, ""),
    "Replace": ({"Fn::Replace": [{"print": "echo"}, "print hi; print x"]}, "echo hi; echo x"),
    "Base64Encode": ({"Fn::Base64Encode": "ALIYUN ROS"}, "QUxJWVVOIFJPUw==\n"),
    "Base64Decode": ({"Fn::Base64Decode": "QUxJWVVOIFJPUw=="}, "ALIYUN ROS"),
    "Str": ({"Fn::Str": 123456}, "123456"),
    "Indent": ({"Fn::Indent": ["a\nb", 1]}, "  a\n  b"),
    "Sub": ({"Fn::Sub": ["${A}-${ALIYUN::Region}", {"A": "x"}]}, "x-cn-hangzhou"),
    "SubLiteral": ({"Fn::Sub": "${!Literal}"}, "${Literal}"),
    "FindInMap": ({"Fn::FindInMap": ["M", "k1", "k2"]}, "v"),
    "Length": ({"Fn::Length": "length"}, 6),
    "Index": ({"Fn::Index": ["b", ["a", "b"]]}, 1),
    "IndexMissing": ({"Fn::Index": ["z", ["a", "b"]]}, ""),
    "ListMerge": ({"Fn::ListMerge": [[1, 2], [3]]}, [1, 2, 3]),
    "Add": ({"Fn::Add": [{"a": 1}, {"a": 2, "b": 3}]}, {"a": 2, "b": 3}),
    "Avg": ({"Fn::Avg": [1, [1, 2, 6]]}, 3.0),
    "Calculate": ({"Fn::Calculate": ["(2+3)/2*3-1", 1]}, 5),
    "CalculateFloat": ({"Fn::Calculate": ["(2.0+3)/2*3-1", 1]}, 6.5),
    "CalculatePlaceholders": ({"Fn::Calculate": ["({0}+{1})%3", 0, [5, 6]]}, 2),
    "Max": ({"Fn::Max": [1.1, 2, 3]}, 3),
    "Min": ({"Fn::Min": [1.1, 2, 3]}, 1.1),
    "MergeMapToList": (
        {"Fn::MergeMapToList": [{"k1": ["a", "b"]}, {"k2": ["x"]}]},
        [{"k1": "a", "k2": "x"}, {"k1": "b", "k2": "x"}],
    ),
    "SelectMapList": ({"Fn::SelectMapList": ["k", [{"k": 1}, {"j": 2}, {"k": 3}]]}, [1, 3]),
    "GetJsonValue": ({"Fn::GetJsonValue": ["1", '{"1":"x"}']}, "x"),
    "Cidr": ({"Fn::Cidr": ["192.168.0.0/24", 2, 5]}, ["192.168.0.0/27", "192.168.0.32/27"]),
    "Jq": ({"Fn::Jq": ["First", ".test", '{"test":"test"}']}, "test"),
    "GetStackOutputMissing": ({"Fn::GetStackOutput": ["nope", "X"]}, ""),
    "GetStackOutput": ({"Fn::GetStackOutput": ["producer", "Shared"]}, "from-producer"),
    "If": ({"Fn::If": ["IsProd", 1, 2]}, 2),
    "RefParameter": ({"Ref": "Env"}, "pre"),
    "RefList": ({"Ref": "Names"}, ["a", "b"]),
    "StackName": ({"Ref": "ALIYUN::StackName"}, "consumer"),
    "Region": ({"Ref": "ALIYUN::Region"}, "cn-hangzhou"),
}


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_every_function_through_stack_create_and_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROS_REGION", raising=False)
    producer = tmp_path / "producer.json"
    producer.write_text(
        json.dumps(
            {
                "ROSTemplateFormatVersion": "2015-09-01",
                "Outputs": {"Shared": {"Value": "from-producer", "NoEcho": True}},
            }
        )
    )
    code, _, err = _run("stack", "create", "-t", str(producer))
    assert code == 0, err
    outputs = {name: {"Value": expr} for name, (expr, _) in VECTORS.items()}
    outputs["OnlyInProd"] = {"Value": "x", "Condition": "IsProd"}
    outputs["Hidden"] = {"Value": {"Ref": "Token"}, "NoEcho": True}
    consumer = tmp_path / "consumer.json"
    consumer.write_text(
        json.dumps(
            {
                "ROSTemplateFormatVersion": "2015-09-01",
                "Parameters": {
                    "Env": {"Type": "String", "Default": "prod"},
                    "Names": {"Type": "CommaDelimitedList"},
                    "Token": {"Type": "String", "NoEcho": True},
                },
                "Mappings": {"M": {"k1": {"k2": "v"}}},
                "Conditions": {"IsProd": {"Fn::Equals": ["prod", {"Ref": "Env"}]}},
                "Outputs": outputs,
            },
            ensure_ascii=False,
        )
    )
    code, out, err = _run(
        "stack",
        "create",
        "-t",
        str(consumer),
        "-p",
        "Env=pre",
        "-p",
        "Names=a,b",
        "-p",
        "Token=s3cret",
        "-o",
        "json",
    )
    assert code == 0, err + out
    code, out, err = _run("stack", "outputs", "-n", "consumer", "-o", "json")
    assert code == 0, err
    got = {o["OutputKey"]: o["OutputValue"] for o in json.loads(out)}
    assert "OnlyInProd" not in got
    assert got.pop("Hidden") == "******" and "s3cret" not in out
    mismatches = {name: (got.get(name), want) for name, (_, want) in VECTORS.items() if got.get(name) != want}
    assert not mismatches
    code, out, _ = _run("stack", "outputs", "-n", "producer", "-o", "json")
    assert json.loads(out) == [{"OutputKey": "Shared", "OutputValue": "******"}]
