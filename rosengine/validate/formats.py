"""Output formats of ``ros validate``: text, JSON, SARIF 2.1.0 and JUnit XML.

Why four: text is for people (``file:line:col: severity RuleId: message [Json.Path]``, the shape
editors and terminals turn into links); JSON is for scripts; SARIF is what code-scanning UIs
(GitHub, GitLab, VS Code) show inline; JUnit XML is what every CI shows as a test report.

JUnit choice: one ``testcase`` per file with at most one ``failure`` (the JUnit schema allows one,
and CI viewers show only the first): its message is the first error and the count, its text every
error, one per line. Warnings and notes go to the test case's ``system-out`` instead: a warning (a
retired property, say) must not turn a CI run red unless ``--strict`` asks for that.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rosengine.errors import Finding, Severity

FORMATS = ("text", "json", "sarif", "junit")

# What each rule id means, for SARIF's rule table (ids not listed get a generic text).
RULE_DESCRIPTIONS: dict[str, str] = {
    "InvalidTemplateFormat": "The file is not a well-formed JSON or YAML template.",
    "TemplateNotFound": "A path given to ros validate matched no template file.",
    "InvalidTemplateSection": "A template section is unknown or malformed.",
    "InvalidTemplateVersion": "ROSTemplateFormatVersion must be 2015-09-01.",
    "InvalidTemplateReference": "Ref, Fn::GetAtt, DependsOn or Condition names something that "
    "does not exist.",
    "InvalidTemplateAttribute": "Fn::GetAtt names an attribute the resource type does not have.",
    "InvalidTemplatePropertyType": "A resource property has the wrong type.",
    "InvalidSchema": "A parameter, output or resource declaration is malformed.",
    "InvalidFunction": "An intrinsic function is unknown or has bad arguments.",
    "CircularDependency": "Resources depend on each other in a cycle.",
    "StackValidationFailed": "A resource property is missing, unknown or outside its allowed values.",
    "UnknownUserParameter": "A parameter value was given for a parameter the template does not declare.",
    "UserParameterMissing": "A parameter without a default was given no value.",
    "UnknownResourceType": "The resource type is not one ROS supports (or is retired, or a module).",
    "InternalError": "rosengine failed while validating this file (a bug: please report it).",
}

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


@dataclass(frozen=True)
class Summary:
    files: int
    errors: int
    warnings: int
    infos: int

    @classmethod
    def of(cls, findings: Sequence[Finding], files: Sequence[str]) -> Summary:
        count = {s: 0 for s in Severity}
        for finding in findings:
            count[finding.severity] += 1
        return cls(len(files), count[Severity.ERROR], count[Severity.WARNING], count[Severity.INFO])

    def text(self) -> str:
        def plural(n: int, word: str) -> str:
            return f"{n} {word}{'' if n == 1 else 's'}"

        parts = [plural(self.errors, "error"), plural(self.warnings, "warning")]
        if self.infos:
            parts.append(plural(self.infos, "note"))
        return f"{', '.join(parts)} in {plural(self.files, 'file')}"


def _version() -> str:
    from importlib import metadata  # ~20 ms to import: only SARIF needs the version

    try:
        return metadata.version("rosengine")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def finding_location(finding: Finding) -> str:
    loc = finding.file
    if finding.line is not None:
        loc += f":{finding.line}"
        if finding.col is not None:
            loc += f":{finding.col}"
    return loc


def format_text(findings: Sequence[Finding], files: Sequence[str]) -> str:
    lines = []
    for f in findings:
        where = f" [{f.path}]" if f.path else ""
        lines.append(f"{finding_location(f)}: {f.severity.value} {f.rule_id}: {f.message}{where}")
    lines.append(Summary.of(findings, files).text())
    return "\n".join(lines)


def format_json(findings: Sequence[Finding], files: Sequence[str]) -> str:
    summary = Summary.of(findings, files)
    document = {
        "findings": [f.as_dict() for f in findings],
        "files": list(files),
        "summary": {
            "files": summary.files,
            "errors": summary.errors,
            "warnings": summary.warnings,
            "notes": summary.infos,
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


SRCROOT = "SRCROOT"


def _artifact_location(file: str) -> dict[str, str]:
    """A SARIF artifactLocation: absolute paths as ``file://`` URIs; relative ones percent-encoded
    (spaces, ``#``, non-ASCII) and resolved against ``SRCROOT``, the directory ``ros validate`` ran
    in (given in the run's ``originalUriBaseIds``)."""
    path = Path(file)
    if path.is_absolute():
        return {"uri": path.as_uri()}
    return {"uri": quote(path.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def format_sarif(findings: Sequence[Finding], files: Sequence[str]) -> str:
    rule_ids = sorted({f.rule_id for f in findings})
    rule_index = {rule: i for i, rule in enumerate(rule_ids)}
    rules = [
        {
            "id": rule,
            "name": rule,
            "shortDescription": {"text": RULE_DESCRIPTIONS.get(rule, rule)},
            "helpUri": "https://www.alibabacloud.com/help/en/ros/developer-reference/template-syntax",
        }
        for rule in rule_ids
    ]
    results: list[dict[str, Any]] = []
    for f in findings:
        physical: dict[str, Any] = {"artifactLocation": _artifact_location(f.file)}
        if f.line is not None and f.line >= 1:
            region: dict[str, int] = {"startLine": f.line}
            if f.col is not None and f.col >= 1:
                region["startColumn"] = f.col
            physical["region"] = region
        location: dict[str, Any] = {"physicalLocation": physical}
        if f.path:
            location["logicalLocations"] = [{"fullyQualifiedName": f.path, "kind": "member"}]
        results.append(
            {
                "ruleId": f.rule_id,
                "ruleIndex": rule_index[f.rule_id],
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [location],
            }
        )
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "rosengine",
                        "semanticVersion": _version(),
                        "informationUri": "https://github.com/rosengine/rosengine",
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
                "artifacts": [{"location": _artifact_location(file)} for file in files],
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def format_junit(findings: Sequence[Finding], files: Sequence[str]) -> str:
    from xml.etree import ElementTree as ET  # only JUnit reports are XML

    by_file: dict[str, list[Finding]] = {file: [] for file in files}
    for f in findings:
        by_file.setdefault(f.file, []).append(f)
    total_failures = sum(1 for f in findings if f.severity == Severity.ERROR)
    failing_cases = sum(1 for items in by_file.values() if any(f.severity == Severity.ERROR for f in items))
    root = ET.Element("testsuites", name="ros validate", tests=str(len(by_file)), failures=str(failing_cases))
    suite = ET.SubElement(
        root,
        "testsuite",
        name="ros validate",
        tests=str(len(by_file)),
        failures=str(failing_cases),
        errors="0",
        skipped="0",
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="findings", value=str(len(findings)))
    ET.SubElement(properties, "property", name="errorFindings", value=str(total_failures))
    for file, items in by_file.items():
        case = ET.SubElement(suite, "testcase", classname="ros validate", name=file, file=file)
        errors: list[tuple[Finding, str]] = []
        notes: list[tuple[Finding, str]] = []
        for f in items:
            text = f"{finding_location(f)}: {f.severity.value} {f.rule_id}: {f.message}"
            if f.path:
                text += f" [{f.path}]"
            (errors if f.severity == Severity.ERROR else notes).append((f, text))
        if errors:
            first = errors[0][0]
            more = (
                f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
                if len(errors) > 1
                else ""
            )
            failure = ET.SubElement(case, "failure", type=first.rule_id, message=first.message + more)
            failure.text = "\n".join(text for _, text in errors)
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(text for _, text in notes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


_FORMATTERS = {"text": format_text, "json": format_json, "sarif": format_sarif, "junit": format_junit}


def render(findings: Sequence[Finding], files: Sequence[str], fmt: str) -> str:
    """Render findings for ``files`` (every file checked, clean ones too) in format ``fmt``."""
    try:
        formatter = _FORMATTERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}") from None
    return formatter(findings, files)
