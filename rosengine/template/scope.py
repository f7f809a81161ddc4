"""What names mean while a template is evaluated: the callbacks behind ``FunctionContext``.

One :class:`Scope` per prepared stack holds the bound parameters, the stack identity, mappings,
conditions (evaluated lazily, memoised, cycles detected), locals (Macro re-evaluated at each use,
Eval once) and the resource names after Count expansion. :meth:`Scope.context` builds the
``FunctionContext`` for one section; sections restrict what ``Ref`` may name
(docs/reference/ros-template-language.md#sections):

* ``condition``/``rule``: parameters and pseudo parameters;
* ``local``/``count``: those plus locals;
* ``resource``/``output``: everything, resources through the caller's callbacks.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from typing import Any

from rosengine.errors import (
    CIRCULAR_DEPENDENCY,
    INVALID_TEMPLATE_ATTRIBUTE,
    INVALID_TEMPLATE_REFERENCE,
    STACK_VALIDATION_FAILED,
    Path,
    TemplateError,
)
from rosengine.functions.base import NO_VALUE, FunctionContext, StackOutputReader, Unknown
from rosengine.template.evaluator import bind_evaluate, evaluate
from rosengine.template.model import StackIdentity

INDEX = "ALIYUN::Index"
NO_VALUE_NAME = "ALIYUN::NoValue"
PSEUDO_PARAMETERS = (
    "ALIYUN::StackName",
    "ALIYUN::StackId",
    "ALIYUN::Region",
    "ALIYUN::AccountId",
    "ALIYUN::TenantId",
    "ALIYUN::ResourceGroupId",
    NO_VALUE_NAME,
    INDEX,
)
# Locals may reference locals "up to 5 levels deep" (docs/reference/ros-template-language.md#sections): a
# chain of six locals is fine.
MAX_LOCAL_DEPTH = 5
_RESOURCE_SECTIONS = ("resource", "output")
_LOCAL_SECTIONS = ("local", "count", "resource", "output")

Attributes = Callable[[str, str], Any]
PhysicalIds = Callable[[str], Any]
AttributeNames = Callable[[str], "Container[str] | None"]


def pseudo_values(identity: StackIdentity) -> dict[str, Any]:
    return {
        "ALIYUN::StackName": identity.stack_name,
        "ALIYUN::StackId": identity.stack_id,
        "ALIYUN::Region": identity.region,
        "ALIYUN::AccountId": identity.account_id,
        "ALIYUN::TenantId": identity.tenant_id,
        "ALIYUN::ResourceGroupId": identity.resource_group_id,
        NO_VALUE_NAME: NO_VALUE,
    }


@dataclass
class ResourceNames:
    """Resource names as evaluation sees them after conditions and Count."""

    types: dict[str, str] = field(default_factory=dict)  # live logical id -> type
    groups: dict[str, list[str]] = field(default_factory=dict)  # Count resource -> its copies
    group_types: dict[str, str] = field(default_factory=dict)
    inactive: dict[str, str] = field(default_factory=dict)  # condition-false id -> condition name

    def known(self, name: str) -> bool:
        return name in self.types or name in self.groups or name in self.inactive

    def type_of(self, name: str) -> str | None:
        return self.types.get(name) or self.group_types.get(name)


class Scope:
    def __init__(
        self,
        *,
        parameters: dict[str, Any],
        identity: StackIdentity,
        mappings: dict[str, Any],
        conditions: Mapping[str, Any],
        local_values: Mapping[str, Any],
        static: bool,
        now: Callable[[], _dt.datetime] | None,
        zones: Callable[[str], list[str]] | None,
        stack_outputs: StackOutputReader | None,
        attribute_names: AttributeNames | None = None,
    ):
        self.parameters = parameters
        self.identity = identity
        self.pseudo = pseudo_values(identity)
        self.mappings = mappings
        self.condition_definitions = conditions
        self.local_definitions = local_values
        self.static = static
        self.now = now
        self.zones = zones
        self.stack_outputs = stack_outputs
        self.attribute_names = attribute_names
        self.resources = ResourceNames()
        self.condition_values: dict[str, bool | Unknown] = {}
        self._conditions_in_progress: list[str] = []
        self._eval_locals: dict[str, Any] = {}
        self._locals_in_progress: list[str] = []

    # ------------------------------------------------------------------ contexts

    def context(
        self,
        section: str,
        *,
        referencer: str,
        attributes: Attributes | None = None,
        physical_ids: PhysicalIds | None = None,
        index: int | None = None,
    ) -> FunctionContext:
        """A ``FunctionContext`` for evaluating one section entry. ``referencer`` names it in
        messages (``Resources.Fn``); ``index`` is ``ALIYUN::Index`` inside a Count copy."""

        def ref(name: str, path: Path) -> Any:
            return self.ref(name, tuple(path), section, referencer, physical_ids, index)

        def get_att(resource: str, attribute: str, path: Path) -> Any:
            return self.get_att(resource, attribute, tuple(path), section, referencer, attributes)

        def condition(name: str, path: Path) -> Any:
            return self.condition(name, tuple(path))

        kwargs: dict[str, Any] = {}
        if self.now is not None:
            kwargs["now"] = self.now
        ctx = FunctionContext(
            evaluate=_evaluate_before_binding,  # bind_evaluate below points it at this context
            ref=ref,
            get_att=get_att,
            condition=condition,
            mappings=self.mappings,
            region=self.identity.region,
            account_id=self.identity.account_id,
            zones=self.zones,
            stack_outputs=self.stack_outputs,
            section=section,
            static=self.static,
            **kwargs,
        )
        return bind_evaluate(ctx)

    # ------------------------------------------------------------------ Ref

    def ref(
        self,
        name: str,
        path: Path,
        section: str,
        referencer: str,
        physical_ids: PhysicalIds | None,
        index: int | None,
    ) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name == INDEX:
            if index is not None:
                return index
            raise TemplateError(
                INVALID_TEMPLATE_REFERENCE,
                f"{INDEX} can only be used in the Properties of a resource that has Count (in {referencer})",
                path,
            )
        if name in self.parameters:
            return self.parameters[name]
        if name in self.local_definitions and section in _LOCAL_SECTIONS:
            return self.local_value(name, path)
        resources = self.resources
        if section in _RESOURCE_SECTIONS and resources.known(name):
            if name in resources.inactive:
                raise TemplateError(
                    INVALID_TEMPLATE_REFERENCE,
                    f'resource "{name}" (referenced in {referencer}) is not created because '
                    f"its condition {resources.inactive[name]!r} is false; guard the "
                    "reference with Fn::If",
                    path,
                )
            if physical_ids is None:
                return Unknown("string", f"Ref {name}")
            if name in resources.groups:
                return [physical_ids(copy) for copy in resources.groups[name]]
            return physical_ids(name)
        raise TemplateError(INVALID_TEMPLATE_REFERENCE, self._bad_reference(name, section, referencer), path)

    def _bad_reference(self, name: str, section: str, referencer: str) -> str:
        message = f'The specified reference "{name}" (in {referencer}) is incorrect.'
        if self.resources.known(name):
            return (
                message
                + f" {section.capitalize()}s can only reference parameters"
                + (" and locals." if section in _LOCAL_SECTIONS else ".")
            )
        if name in self.local_definitions:
            return message + " Locals cannot be referenced here."
        return message

    # ------------------------------------------------------------------ Fn::GetAtt

    def get_att(
        self,
        resource: str,
        attribute: str,
        path: Path,
        section: str,
        referencer: str,
        attributes: Attributes | None,
    ) -> Any:
        resources = self.resources
        if section not in _RESOURCE_SECTIONS or not resources.known(resource):
            raise TemplateError(
                INVALID_TEMPLATE_REFERENCE,
                f'The specified reference "{resource}" (in {referencer}) is incorrect.'
                + ("" if resources.known(resource) else " No such resource."),
                path,
            )
        if resource in resources.inactive:
            raise TemplateError(
                INVALID_TEMPLATE_REFERENCE,
                f'resource "{resource}" (referenced in {referencer}) is not created because '
                f"its condition {resources.inactive[resource]!r} is false",
                path,
            )
        self.check_attribute(resource, attribute, path)
        if attributes is None:
            return Unknown(None, f"Fn::GetAtt {resource}.{attribute}")
        if resource in resources.groups:
            return [attributes(copy, attribute) for copy in resources.groups[resource]]
        return attributes(resource, attribute)

    def check_attribute(self, resource: str, attribute: str, path: Path) -> None:
        """InvalidTemplateAttribute when the type's schema is known and lacks the attribute."""
        if self.attribute_names is None:
            return
        resource_type = self.resources.type_of(resource)
        names = self.attribute_names(resource_type) if resource_type else None
        if names is not None and attribute not in names:
            raise TemplateError(
                INVALID_TEMPLATE_ATTRIBUTE,
                f"The Referenced Attribute ({resource} {attribute}) is incorrect.",
                path,
                details={"type": resource_type},
            )

    # ------------------------------------------------------------------ Conditions

    def condition(self, name: str, path: Path) -> bool | Unknown:
        """The value of condition ``name`` (evaluated on first use). Statically unknown conditions
        are ``Unknown`` so Fn::If can check both branches."""
        if name in self.condition_values:
            return self.condition_values[name]
        if name not in self.condition_definitions:
            raise TemplateError(
                INVALID_TEMPLATE_REFERENCE, f"condition {name!r} is not defined in Conditions", path
            )
        if name in self._conditions_in_progress:
            cycle = self._conditions_in_progress[self._conditions_in_progress.index(name) :] + [name]
            raise TemplateError(
                CIRCULAR_DEPENDENCY,
                f"Circular Dependency Found: conditions {' -> '.join(cycle)}.",
                ("Conditions", name),
                details={"members": cycle[:-1]},
            )
        self._conditions_in_progress.append(name)
        try:
            where: Path = ("Conditions", name)
            ctx = self.context("condition", referencer=f"Conditions.{name}")
            value = as_boolean(
                evaluate(self.condition_definitions[name], where, ctx), f"condition {name!r}", where
            )
        finally:
            self._conditions_in_progress.pop()
        self.condition_values[name] = value
        return value

    def condition_is_true(self, name: str, path: Path) -> bool:
        """For resource/output ``Condition`` keys: unknown counts as true (validate it anyway)."""
        value = self.condition(name, path)
        return True if isinstance(value, Unknown) else value

    # ------------------------------------------------------------------ Locals

    def local_value(self, name: str, path: Path) -> Any:
        definition = self.local_definitions[name]
        local_type = definition.get("Type", "Macro") if isinstance(definition, dict) else "Macro"
        if local_type == "Eval" and name in self._eval_locals:
            return self._eval_locals[name]
        stack = self._locals_in_progress
        if name in stack:
            cycle = stack[stack.index(name) :] + [name]
            raise TemplateError(
                CIRCULAR_DEPENDENCY,
                f"Circular Dependency Found: locals {' -> '.join(cycle)}.",
                ("Locals", name),
                details={"members": cycle[:-1]},
            )
        if len(stack) > MAX_LOCAL_DEPTH:
            raise TemplateError(
                STACK_VALIDATION_FAILED,
                f"locals reference each other more than {MAX_LOCAL_DEPTH} levels deep "
                f"({' -> '.join(stack + [name])})",
                ("Locals", name),
            )
        stack.append(name)
        try:
            where: Path = ("Locals", name, "Value")
            ctx = self.context("local", referencer=f"Locals.{name}")
            value = evaluate(definition.get("Value"), where, ctx)
        finally:
            stack.pop()
        if local_type == "Eval":
            self._eval_locals[name] = value
        return value


def as_boolean(value: Any, what: str, path: Path) -> bool | Unknown:
    if isinstance(value, bool):
        return value
    if isinstance(value, Unknown):
        return Unknown("boolean", what)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise TemplateError(
        STACK_VALIDATION_FAILED, f"{what} must evaluate to true or false, not {value!r}", path
    )


def _evaluate_before_binding(node: Any, path: Path) -> Any:
    """``FunctionContext.evaluate`` until :func:`bind_evaluate` replaces it; never reached."""
    raise RuntimeError("FunctionContext.evaluate used before bind_evaluate")
