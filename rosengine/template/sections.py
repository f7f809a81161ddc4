"""Structural checks of every top-level section (docs/reference/ros-template-language.md).

These need no parameter values, so they run when a template loads and every problem is
collected (``ros validate`` shows them all at once). Section-level shape problems use ROS's
``InvalidTemplateSection``/``InvalidTemplateVersion``; problems inside an entry use
``StackValidationFailed``, the code ROS gives template validation failures in general.
"""

from __future__ import annotations

import difflib
from typing import Any

from rosengine.errors import (
    INVALID_TEMPLATE_SECTION,
    INVALID_TEMPLATE_VERSION,
    NOT_SUPPORTED,
    STACK_VALIDATION_FAILED,
    Path,
    TemplateError,
)
from rosengine.template.nodes import find_function, function_name

VERSION = "2015-09-01"
SECTIONS = (
    "ROSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Mappings",
    "Conditions",
    "Resources",
    "Outputs",
    "Rules",
    "Locals",
)
# Transform is handled (expanded, or refused with its own message) before these checks run.
UNSUPPORTED_SECTIONS = ("Workspace",)
RESOURCE_KEYS = (
    "Type",
    "Properties",
    "DependsOn",
    "Condition",
    "DeletionPolicy",
    "Count",
    "Metadata",
    "Description",
)
# Official templates pin module/data-source versions with a `Version` key (`Version: default`).
VERSIONED_TYPES = ("MODULE::", "DATASOURCE::")
OUTPUT_KEYS = ("Value", "Description", "Condition", "Label", "NoEcho")
RULE_KEYS = ("RuleCondition", "Assertions")
ASSERTION_KEYS = ("Assert", "AssertDescription")
LOCAL_KEYS = ("Type", "Value", "Properties")
DELETION_POLICIES = ("Delete", "Retain")
MAX_ASSERTIONS = 100


class _Collector:
    def __init__(self) -> None:
        self.errors: list[TemplateError] = []

    def add(self, message: str, path: Path, code: str = STACK_VALIDATION_FAILED) -> None:
        self.errors.append(TemplateError(code, message, path))

    def unknown_keys(
        self,
        entry: dict[str, Any],
        allowed: tuple[str, ...],
        path: Path,
        owner: str,
        *,
        show_allowed: bool = False,
        ignored: tuple[str, ...] = (),
    ) -> None:
        """One error per key of ``entry`` outside ``allowed`` (with a did-you-mean), at the key."""
        listed = f" (allowed: {', '.join(allowed)})" if show_allowed else ""
        for key in entry:
            if key not in allowed and key not in ignored:
                self.add(f"{owner} has an unknown key {key!r}{_suggest(key, allowed)}{listed}", path + (key,))


def check_sections(data: dict[str, Any]) -> list[TemplateError]:
    """Every structural problem of the template (Parameters are checked by parameters.py)."""
    out = _Collector()
    for key in data:
        if key == "Transform":
            continue
        if key in UNSUPPORTED_SECTIONS:
            if "Transform" in data:
                continue  # the Transform's own error says why (Terraform's Workspace)
            out.add(
                f"the {key} section is not supported yet by rosengine "
                f"({key}: {_short(data[key])}); expand it with the cloud tooling first",
                (key,),
                NOT_SUPPORTED,
            )
        elif key not in SECTIONS:
            out.add(
                f"The template section is invalid: {key}.{_suggest(key, SECTIONS)}",
                (key,),
                INVALID_TEMPLATE_SECTION,
            )
    _check_version(data, out)
    if "Transform" in data:
        return out.errors  # the rest is written in the transform's own dialect
    for name in (
        "Metadata",
        "Parameters",
        "Mappings",
        "Conditions",
        "Resources",
        "Outputs",
        "Rules",
        "Locals",
    ):
        if name in data and data[name] is not None and not isinstance(data[name], dict):
            out.add(
                f"the {name} section must be a mapping, not {_kind(data[name])}",
                (name,),
                INVALID_TEMPLATE_SECTION,
            )
    description = data.get("Description")
    if description is not None and not isinstance(description, str | dict):
        out.add("Description must be text", ("Description",))
    _check_mappings(_mapping(data, "Mappings"), out)
    _check_conditions(_mapping(data, "Conditions"), out)
    _check_resources(_mapping(data, "Resources"), out)
    _check_outputs(_mapping(data, "Outputs"), out)
    _check_rules(_mapping(data, "Rules"), out)
    _check_locals(_mapping(data, "Locals"), out)
    _check_name_clashes(data, out)
    return out.errors


def _check_version(data: dict[str, Any], out: _Collector) -> None:
    if "ROSTemplateFormatVersion" not in data:
        out.add(
            f"ROSTemplateFormatVersion is missing; add 'ROSTemplateFormatVersion: \"{VERSION}\"'",
            (),
            INVALID_TEMPLATE_VERSION,
        )
        return
    version = data["ROSTemplateFormatVersion"]
    if version != VERSION:
        out.add(
            f"The template version is invalid: {version!r}; the only supported version is '{VERSION}'",
            ("ROSTemplateFormatVersion",),
            INVALID_TEMPLATE_VERSION,
        )


def _check_mappings(mappings: dict[str, Any], out: _Collector) -> None:
    for name, table in mappings.items():
        path: Path = ("Mappings", name)
        found = find_function(table, path)
        if found is not None:
            out.add(f"functions cannot be used in Mappings ({found[1]} found)", found[0])
            continue
        if not isinstance(table, dict):
            out.add(
                f"mapping {name!r} must be a mapping of top-level keys to mappings, not {_kind(table)}", path
            )
            continue
        for top_key, second in table.items():
            if not isinstance(second, dict):
                out.add(
                    f"Mappings.{name}.{top_key} must be a mapping of second-level keys to values, "
                    f"not {_kind(second)}",
                    path + (top_key,),
                )


def _check_conditions(conditions: dict[str, Any], out: _Collector) -> None:
    for name, expression in conditions.items():
        if not (isinstance(expression, bool) or function_name(expression) is not None):
            out.add(
                f"condition {name!r} must be a condition function (Fn::Equals, Fn::And, Fn::Or, "
                f"Fn::Not …), not {_kind(expression)}",
                ("Conditions", name),
            )


def _check_resources(resources: dict[str, Any], out: _Collector) -> None:
    for logical_id, resource in resources.items():
        path: Path = ("Resources", logical_id)
        if not logical_id or "/" in logical_id:
            out.add(f"invalid logical ID {logical_id!r}: it must be non-empty and cannot contain '/'", path)
        if not isinstance(resource, dict):
            out.add(f"resource {logical_id!r} must be a mapping with a Type, not {_kind(resource)}", path)
            continue
        resource_type = resource.get("Type")
        versioned = isinstance(resource_type, str) and resource_type.startswith(VERSIONED_TYPES)
        out.unknown_keys(
            resource,
            RESOURCE_KEYS,
            path,
            f"resource {logical_id!r}",
            show_allowed=True,
            ignored=("Version",) if versioned else (),
        )
        if "Type" not in resource:
            out.add(f"resource {logical_id!r} has no Type", path)
        elif not isinstance(resource_type, str) or not resource_type:
            out.add(
                "Type must be a literal resource type name such as ALIYUN::FC::Function", path + ("Type",)
            )
        properties = resource.get("Properties")
        if properties is not None and not isinstance(properties, dict):
            out.add(f"Properties must be a mapping, not {_kind(properties)}", path + ("Properties",))
        if "DependsOn" in resource:
            depends = resource["DependsOn"]
            items = depends if isinstance(depends, list) else [depends]
            for index, item in enumerate(items):
                if not isinstance(item, str):
                    where = (
                        path + ("DependsOn", index) if isinstance(depends, list) else path + ("DependsOn",)
                    )
                    out.add("DependsOn must be a logical ID or a list of logical IDs", where)
        if "Condition" in resource and not isinstance(resource["Condition"], str):
            out.add("Condition must be the name of a condition", path + ("Condition",))
        if "DeletionPolicy" in resource and resource["DeletionPolicy"] not in DELETION_POLICIES:
            out.add(
                f"DeletionPolicy must be Delete or Retain, not {resource['DeletionPolicy']!r}",
                path + ("DeletionPolicy",),
            )
        if "Count" in resource:
            _check_count_literal(resource["Count"], path + ("Count",), out)
        if (
            "Metadata" in resource
            and resource["Metadata"] is not None
            and not isinstance(resource["Metadata"], dict)
        ):
            out.add("Metadata must be a mapping", path + ("Metadata",))
        if "Description" in resource and not isinstance(resource["Description"], str | dict | type(None)):
            out.add("Description must be text", path + ("Description",))


def _check_count_literal(count: Any, path: Path, out: _Collector) -> None:
    if function_name(count) is not None:
        return  # evaluated in prepare
    if isinstance(count, bool) or not isinstance(count, int | str):
        out.add(f"Count must be a natural number, not {_kind(count)}", path)
    elif isinstance(count, str) and not count.strip().isdigit():
        out.add(f"Count must be a natural number, not {count!r}", path)
    elif isinstance(count, int) and count < 0:
        out.add(f"Count must be a natural number, not {count}", path)


def _check_outputs(outputs: dict[str, Any], out: _Collector) -> None:
    for name, output in outputs.items():
        path: Path = ("Outputs", name)
        if not isinstance(output, dict):
            out.add(f"output {name!r} must be a mapping with a Value", path)
            continue
        if "Value" not in output:
            out.add(f"output {name!r} has no Value", path)
        out.unknown_keys(output, OUTPUT_KEYS, path, f"output {name!r}", show_allowed=True)
        if "Condition" in output and not isinstance(output["Condition"], str):
            out.add("Condition must be the name of a condition", path + ("Condition",))


def _check_rules(rules: dict[str, Any], out: _Collector) -> None:
    for name, rule in rules.items():
        path: Path = ("Rules", name)
        if not isinstance(rule, dict):
            out.add(f"rule {name!r} must be a mapping with Assertions", path)
            continue
        out.unknown_keys(rule, RULE_KEYS, path, f"rule {name!r}")
        assertions = rule.get("Assertions")
        if not isinstance(assertions, list) or not assertions:
            out.add(
                f"rule {name!r} needs Assertions: a list of {{Assert, AssertDescription}}",
                path + ("Assertions",) if "Assertions" in rule else path,
            )
            continue
        if len(assertions) > MAX_ASSERTIONS:
            out.add(
                f"rule {name!r} has {len(assertions)} assertions; at most {MAX_ASSERTIONS} are allowed",
                path + ("Assertions",),
            )
        for index, assertion in enumerate(assertions):
            where = path + ("Assertions", index)
            if not isinstance(assertion, dict) or "Assert" not in assertion:
                out.add("each assertion must be a mapping with an Assert", where)
                continue
            for key in assertion:
                if key not in ASSERTION_KEYS:
                    out.add(f"unknown assertion key {key!r}{_suggest(key, ASSERTION_KEYS)}", where + (key,))


def _check_locals(local_values: dict[str, Any], out: _Collector) -> None:
    for name, local in local_values.items():
        path: Path = ("Locals", name)
        if not isinstance(local, dict):
            out.add(f"local {name!r} must be a mapping with Type and Value", path)
            continue
        out.unknown_keys(local, LOCAL_KEYS, path, f"local {name!r}")
        local_type = local.get("Type", "Macro")
        if not isinstance(local_type, str):
            out.add("the Type of a local must be Macro, Eval or a DATASOURCE:: type", path + ("Type",))
        elif local_type.startswith("DATASOURCE::"):
            out.add(
                f"local {name!r}: data-source locals ({local_type}) are not supported yet by rosengine",
                path + ("Type",),
                NOT_SUPPORTED,
            )
        elif local_type not in ("Macro", "Eval"):
            out.add(
                f"local {name!r} has an unknown Type {local_type!r} (expected Macro, Eval or a "
                "DATASOURCE:: type)",
                path + ("Type",),
            )
        elif "Value" not in local:
            out.add(f"local {name!r} of Type {local_type} needs a Value", path)


def _check_name_clashes(data: dict[str, Any], out: _Collector) -> None:
    parameters = _mapping(data, "Parameters")
    resources = _mapping(data, "Resources")
    for name in resources:
        if name in parameters:
            out.add(
                f"{name!r} is both a parameter and a resource; logical names must be unique",
                ("Resources", name),
            )
    for name in _mapping(data, "Locals"):
        if name in parameters or name in resources:
            other = "parameter" if name in parameters else "resource"
            out.add(f"local {name!r} has the same name as a {other}", ("Locals", name))


def _mapping(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _suggest(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", type(None): "null", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."
