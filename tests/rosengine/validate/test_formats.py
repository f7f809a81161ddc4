"""The four report formats parse as what they claim to be and carry every finding."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest

from rosengine.errors import Finding, Severity
from rosengine.validate import render

FILES = ["stacks/a.yml", "stacks/b.json", "stacks/clean.yml"]
FINDINGS = [
    Finding(
        "InvalidTemplatePropertyType",
        Severity.ERROR,
        "'Timeout' must be an integer, got string 'x'",
        "stacks/a.yml",
        12,
        7,
        "Resources.Fn.Properties.Timeout",
    ),
    Finding(
        "UnknownResourceType",
        Severity.WARNING,
        "resource type 'ALIYUN::ECS::VPC' is not known",
        "stacks/a.yml",
        20,
        5,
        "Resources.Vpc.Type",
    ),
    Finding("InvalidTemplateFormat", Severity.ERROR, "not YAML <&>", "stacks/b.json", None, None, ""),
]


def test_text_lines_and_summary():
    lines = render(FINDINGS, FILES, "text").splitlines()
    assert lines[0] == (
        "stacks/a.yml:12:7: error InvalidTemplatePropertyType: 'Timeout' must be an integer, "
        "got string 'x' [Resources.Fn.Properties.Timeout]"
    )
    assert lines[1].startswith("stacks/a.yml:20:5: warning UnknownResourceType: ")
    assert lines[2] == "stacks/b.json: error InvalidTemplateFormat: not YAML <&>"
    assert lines[-1] == "2 errors, 1 warning in 3 files"


def test_json_report():
    document = json.loads(render(FINDINGS, FILES, "json"))
    assert document["summary"] == {"files": 3, "errors": 2, "warnings": 1, "notes": 0}
    assert document["files"] == FILES
    first = document["findings"][0]
    assert first == {
        "ruleId": "InvalidTemplatePropertyType",
        "severity": "error",
        "message": "'Timeout' must be an integer, got string 'x'",
        "file": "stacks/a.yml",
        "line": 12,
        "column": 7,
        "path": "Resources.Fn.Properties.Timeout",
    }


def test_sarif_report():
    document = json.loads(render(FINDINGS, FILES, "sarif"))
    assert document["version"] == "2.1.0"
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({f.rule_id for f in FINDINGS})
    results = run["results"]
    assert [r["level"] for r in results] == ["error", "warning", "error"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    location = results[0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"] == {"uri": "stacks/a.yml", "uriBaseId": "SRCROOT"}
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"].startswith("file:///")
    assert location["physicalLocation"]["region"] == {"startLine": 12, "startColumn": 7}
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "Resources.Fn.Properties.Timeout"
    assert "region" not in results[2]["locations"][0]["physicalLocation"]


def test_sarif_matches_the_official_schema_shape():
    jsonschema = pytest.importorskip("jsonschema")
    # The parts of the SARIF 2.1.0 schema a consumer relies on, restated minimally.
    shape = {
        "type": "object",
        "required": ["version", "runs"],
        "properties": {
            "version": {"const": "2.1.0"},
            "runs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["tool", "results"],
                    "properties": {
                        "results": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["message"],
                                "properties": {
                                    "level": {"enum": ["none", "note", "warning", "error"]},
                                    "message": {"type": "object", "required": ["text"]},
                                },
                            },
                        }
                    },
                },
            },
        },
    }
    jsonschema.validate(json.loads(render(FINDINGS, FILES, "sarif")), shape)


def test_junit_report():
    root = ET.fromstring(render(FINDINGS, FILES, "junit"))
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == FILES
    assert suite.get("tests") == "3" and suite.get("failures") == "2"
    a_failures = cases[0].findall("failure")
    assert [f.get("type") for f in a_failures] == ["InvalidTemplatePropertyType"]
    assert "UnknownResourceType" in cases[0].find("system-out").text
    assert cases[1].find("failure").get("message") == "not YAML <&>"
    assert cases[2].find("failure") is None


def test_empty_report_and_unknown_format():
    assert render([], ["x.yml"], "text") == "0 errors, 0 warnings in 1 file"
    with pytest.raises(ValueError, match="unknown format"):
        render([], [], "xml")


def test_sarif_encodes_relative_paths_and_junit_has_one_failure_per_file():
    odd = [
        Finding(
            rule_id="InvalidFunction",
            severity=Severity.ERROR,
            message=f"bad {i}",
            file="dir x/中 a#1.yml",
            line=i + 1,
            col=1,
            path="",
        )
        for i in range(3)
    ]
    sarif = json.loads(render(odd, ["dir x/中 a#1.yml"], "sarif"))
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "dir%20x/%E4%B8%AD%20a%231.yml"
    case = ET.fromstring(render(odd, ["dir x/中 a#1.yml"], "junit")).find("testsuite/testcase")
    failures = case.findall("failure")
    assert len(failures) == 1 and failures[0].get("message") == "bad 0 (and 2 more errors)"
    assert failures[0].text.count("InvalidFunction") == 3
