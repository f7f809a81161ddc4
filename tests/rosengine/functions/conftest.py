"""A miniature evaluator so the functions can be tested without ``rosengine.template``.

It walks a node the way the real evaluator does (one-key mappings are function calls; eager
functions get evaluated arguments; Unknown short-circuits unless ``accepts_unknown``; NoValue is
dropped from containers) and answers ``ref``/``get_att``/``condition`` from plain dicts. It also
records every name it resolves, so tests can prove that lazy functions do not evaluate what they
must skip.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from rosengine.errors import INVALID_TEMPLATE_ATTRIBUTE, INVALID_TEMPLATE_REFERENCE, Path, TemplateError
from rosengine.functions import registry
from rosengine.functions.base import (
    NO_VALUE,
    FunctionContext,
    FunctionError,
    StackOutputReader,
    Unknown,
    contains_unknown,
)

FIXED_NOW = dt.datetime(2021, 4, 7, 8, 9, 10, tzinfo=dt.UTC)


@dataclass
class Harness:
    parameters: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)  # logical id -> physical id
    attributes: dict[tuple[str, str], Any] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)  # name -> bool or expression
    mappings: dict[str, Any] = field(default_factory=dict)
    region: str = "cn-hangzhou"
    zones: Any = None
    stack_outputs: StackOutputReader | None = None
    static: bool = False
    resolved: list[str] = field(default_factory=list)

    def context(self) -> FunctionContext:
        return FunctionContext(
            evaluate=self.evaluate_node,
            ref=self.ref,
            get_att=self.get_att,
            condition=self.condition,
            mappings=self.mappings,
            region=self.region,
            now=lambda: FIXED_NOW,
            zones=self.zones,
            stack_outputs=self.stack_outputs,
            static=self.static,
        )

    def __call__(self, node: Any) -> Any:
        return self.evaluate_node(node, ("Outputs", "Out", "Value"))

    def evaluate_node(self, node: Any, path: Path) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            key = next(iter(node))
            fn = registry.get(key)
            if fn is not None:
                return self._call(fn, key, node[key], path)
        if isinstance(node, dict):
            out = {k: self.evaluate_node(v, (*path, k)) for k, v in node.items()}
            return {k: v for k, v in out.items() if v is not NO_VALUE}
        if isinstance(node, list):
            items = [self.evaluate_node(v, (*path, i)) for i, v in enumerate(node)]
            return [v for v in items if v is not NO_VALUE]
        return node

    def _call(self, fn: Any, key: str, args: Any, path: Path) -> Any:
        try:
            if fn.lazy:
                return fn.evaluate(args, self.context(), path)
            values = self.evaluate_node(args, (*path, key))
            if contains_unknown(values) and not fn.accepts_unknown:
                return Unknown(fn.result_type, key)
            return fn.evaluate(values, self.context(), path)
        except FunctionError as err:
            raise TemplateError(err.code, err.message, (*path, key, *err.sub_path)) from err

    def error(self, node: Any) -> TemplateError:
        """Evaluate ``node`` expecting a TemplateError, and return it."""
        with pytest.raises(TemplateError) as info:
            self(node)
        return info.value

    def ref(self, name: str, path: Path) -> Any:
        self.resolved.append(name)
        pseudo = {
            "ALIYUN::Region": self.region,
            "ALIYUN::StackName": "stack",
            "ALIYUN::StackId": "0f1e2d3c-0000-4000-8000-000000000000",
            "ALIYUN::AccountId": "1234567890123456",
            "ALIYUN::TenantId": "1234567890123456",
            "ALIYUN::ResourceGroupId": "rg-default",
        }
        for table in (pseudo, self.parameters, self.resources):
            if name in table:
                return table[name]
        raise TemplateError(
            INVALID_TEMPLATE_REFERENCE, f'The specified reference "{name}" is incorrect.', path
        )

    def get_att(self, resource: str, attribute: str, path: Path) -> Any:
        self.resolved.append(f"{resource}.{attribute}")
        if (resource, attribute) in self.attributes:
            return self.attributes[(resource, attribute)]
        raise TemplateError(
            INVALID_TEMPLATE_ATTRIBUTE,
            f"The Referenced Attribute ({resource} {attribute}) is incorrect.",
            path,
        )

    def condition(self, name: str, path: Path) -> bool:
        self.resolved.append(f"condition:{name}")
        if name not in self.conditions:
            raise TemplateError(INVALID_TEMPLATE_REFERENCE, f"The condition {name!r} is not defined.", path)
        value = self.conditions[name]
        return value if isinstance(value, bool | Unknown) else self.evaluate_node(value, ("Conditions", name))


@dataclass
class FakeOutputs:
    """A StackOutputReader over a dict {(stack, output, region): value}."""

    outputs: dict[tuple[str, str, str | None], Any]
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)

    def get_stack_output(self, stack_name_or_id: str, output_name: str, region: str | None) -> Any:
        self.calls.append((stack_name_or_id, output_name, region))
        return self.outputs.get((stack_name_or_id, output_name, region))


@pytest.fixture
def ev() -> Harness:
    """A harness with no parameters/resources: for functions that need no context."""
    return Harness()


@pytest.fixture
def make() -> type[Harness]:
    """The Harness class, for tests that need parameters, attributes or conditions."""
    return Harness


@pytest.fixture
def fake_outputs() -> type[FakeOutputs]:
    return FakeOutputs
