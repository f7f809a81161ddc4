"""The per-template pipeline of ``check_template`` with a hand-made prepared template, so the
validator's own logic (types, attributes, dedupe of Count copies, strict mode, error placement)
is tested independently of the template core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

import rosengine.template as template_api
from rosengine.errors import (
    UNKNOWN_RESOURCE_TYPE,
    Severity,
    TemplateError,
    TemplateErrors,
)
from rosengine.functions.base import Unknown
from rosengine.validate import check_template


@dataclass
class FakeTemplate:
    lines: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    filename: str = "t.yml"
    warnings: list = field(default_factory=list)

    def locate(self, err: TemplateError) -> TemplateError:
        err.file = err.file or self.filename
        for end in range(len(err.path), -1, -1):
            if tuple(err.path[:end]) in self.lines:
                err.line, err.col = self.lines[tuple(err.path[:end])]
                break
        return err


@dataclass
class FakeResource:
    logical_id: str
    type: str
    properties: Any
    path: tuple


class FakePrepared:
    """Resolves properties by calling the attribute callback for {"GetAtt": [id, attr]} values."""

    def __init__(self, resources: list[FakeResource], outputs: dict | None = None):
        self.resources = {r.logical_id: r for r in resources}
        self.outputs = outputs or {}

    def _eval(self, node: Any, attributes, physical_ids) -> Any:
        if isinstance(node, dict) and set(node) == {"GetAtt"}:
            return attributes(*node["GetAtt"])
        if isinstance(node, dict) and set(node) == {"Ref"}:
            return physical_ids(node["Ref"])
        if isinstance(node, dict):
            return {k: self._eval(v, attributes, physical_ids) for k, v in node.items()}
        return node

    def resolve_properties(self, logical_id, attributes, physical_ids):
        return self._eval(self.resources[logical_id].properties, attributes, physical_ids)

    def resolve_output(self, name, attributes, physical_ids):
        return self._eval(self.outputs[name], attributes, physical_ids)


@pytest.fixture
def use_prepared(monkeypatch):
    def install(prepared: Any) -> None:
        def fake_prepare(template, parameters=None, **kwargs):
            assert kwargs.get("static") is True
            if isinstance(prepared, Exception):
                raise prepared
            return prepared

        monkeypatch.setattr(template_api, "prepare", fake_prepare, raising=False)

    return install


SERVICE = FakeResource("Svc", "ALIYUN::FC::Service", {"ServiceName": "s"}, ("Resources", "Svc"))


def test_getatt_types_flow_into_property_checks(use_prepared):
    fn = FakeResource(
        "Fn",
        "ALIYUN::FC::Function",
        {
            "ServiceName": {"GetAtt": ["Svc", "ServiceName"]},
            "FunctionName": "f",
            "Handler": "h",
            "Runtime": "r",
            "MemorySize": {"GetAtt": ["Svc", "Tags"]},  # an array where an integer is needed
        },
        ("Resources", "Fn"),
    )
    use_prepared(FakePrepared([SERVICE, fn]))
    template = FakeTemplate({("Resources", "Fn", "Properties", "MemorySize"): (9, 7)})
    errors = check_template(template)
    assert [(e.path, e.line) for e in errors] == [(("Resources", "Fn", "Properties", "MemorySize"), 9)]
    assert "unknown array" in errors[0].message


def test_errors_in_one_resource_do_not_hide_the_others(use_prepared):
    fn = FakeResource(
        "Fn", "ALIYUN::FC::Function", {"ServiceName": {"GetAtt": ["Svc", "Nope"]}}, ("Resources", "Fn")
    )
    alias = FakeResource("A", "ALIYUN::FC::Alias", {"ServiceName": "s"}, ("Resources", "A"))
    use_prepared(FakePrepared([SERVICE, fn, alias]))
    errors = check_template(FakeTemplate())
    assert {e.path for e in errors} == {("Resources", "Fn", "Properties"), ("Resources", "A", "Properties")}
    assert any("FunctionName" in e.message for e in errors) and any("AliasName" in e.message for e in errors)


def test_nested_stack_outputs_and_custom_attributes_are_open(use_prepared):
    stack = FakeResource("Stack", "ALIYUN::ROS::Stack", {"TemplateURL": "u"}, ("Resources", "Stack"))
    custom = FakeResource("C", "Custom::Thing", {"ServiceToken": "t"}, ("Resources", "C"))
    use_prepared(
        FakePrepared(
            [stack, custom],
            outputs={"A": {"GetAtt": ["Stack", "Outputs.VpcId"]}, "B": {"GetAtt": ["C", "AnyKey"]}},
        )
    )
    assert check_template(FakeTemplate()) == []


def test_unknown_type_warns_once_per_count_resource_and_strict_makes_it_an_error(use_prepared):
    copies = [
        FakeResource(
            f"Vpc[{i}]", "ALIYUN::ECS::VPC", {"X": {"GetAtt": ["Svc", "Whatever"]}}, ("Resources", "Vpc")
        )
        for i in range(3)
    ]
    use_prepared(FakePrepared(copies))
    errors = check_template(FakeTemplate())
    assert [(e.code, e.severity, e.path) for e in errors] == [
        (UNKNOWN_RESOURCE_TYPE, Severity.WARNING, ("Resources", "Vpc", "Type"))
    ]
    strict = check_template(FakeTemplate(), strict=True)
    assert [(e.code, e.severity) for e in strict] == [(UNKNOWN_RESOURCE_TYPE, Severity.ERROR)]


def test_count_copies_with_the_same_problem_report_it_once(use_prepared):
    copies = [
        FakeResource(f"V[{i}]", "ALIYUN::FC::Version", {"ServiceName": "s", "Bogus": 1}, ("Resources", "V"))
        for i in range(4)
    ]
    use_prepared(FakePrepared(copies))
    errors = check_template(FakeTemplate())
    assert [e.path for e in errors] == [("Resources", "V", "Properties", "Bogus")]


def test_prepare_errors_are_all_returned_located(use_prepared):
    use_prepared(
        TemplateErrors(
            [
                TemplateError("InvalidTemplateReference", "no X", ("Resources", "A")),
                TemplateError("CircularDependency", "loop", ("Resources", "B")),
            ]
        )
    )
    template = FakeTemplate(
        {("Resources", "A"): (3, 3)},
        warnings=[TemplateError("InvalidSchema", "odd key", ("Parameters", "P"), severity=Severity.WARNING)],
    )
    errors = check_template(template)
    assert [e.code for e in errors] == ["InvalidSchema", "InvalidTemplateReference", "CircularDependency"]
    assert errors[1].line == 3 and errors[1].file == "t.yml"


def test_properties_resolving_to_unknown_are_skipped(use_prepared):
    fn = FakeResource("Fn", "ALIYUN::FC::Version", Unknown("object"), ("Resources", "Fn"))
    use_prepared(FakePrepared([fn]))
    assert check_template(FakeTemplate()) == []
