"""``prepare``: from a loaded template and parameter values to what the engine executes.

Order (docs/reference/ros-template-language.md#evaluation-order): bind parameters -> Rules -> Conditions ->
Locals -> Count expansion -> dependency graph. Every stage keeps going after a problem so one run reports all
of them; the collected errors are raised together as :class:`~rosengine.errors.TemplateErrors`, each located
(file:line:col) through the template's source map.

``static=True`` is ``ros validate``: parameters without a value become :class:`Unknown`, and so
does whatever depends on them; conditions that cannot be decided keep their resources (so they
are validated) and make ``Fn::If`` check both branches; an undecidable Count gives one copy.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from typing import Any

from rosengine.errors import (
    INTERNAL_ERROR,
    INVALID_TEMPLATE_REFERENCE,
    STACK_VALIDATION_FAILED,
    Path,
    TemplateError,
    TemplateErrors,
)
from rosengine.functions.base import NO_VALUE, FunctionContext, StackOutputReader, Unknown
from rosengine.template.count import MAX_EXPANDED, copy_name, count_value, substitute_index
from rosengine.template.evaluator import evaluate
from rosengine.template.graph import DependencyGraph
from rosengine.template.model import OutputDefinition, ResourceDefinition, StackIdentity, Template
from rosengine.template.oos import OosParameterStore
from rosengine.template.parameters import bind_parameters
from rosengine.template.references import (
    EMBEDDED_TEMPLATE_PROPERTY,
    embedded_template,
    scan,
    without_embedded_template,
)
from rosengine.template.scope import INDEX, Attributes, PhysicalIds, Scope, as_boolean

AttributeNames = Callable[[str], "Container[str] | None"]


@dataclass
class PreparedTemplate:
    """A template bound to parameter values, ready for the engine (ARCHITECTURE.md)."""

    template: Template
    identity: StackIdentity
    parameters: dict[str, Any]
    no_echo: set[str]
    conditions: dict[str, bool]
    resources: dict[str, ResourceDefinition]
    outputs: dict[str, OutputDefinition]
    graph: DependencyGraph
    static: bool = False
    unknown_conditions: set[str] = field(default_factory=set)
    scope: Scope | None = field(default=None, repr=False)

    def resolve_properties(self, logical_id: str, attributes: Attributes, physical_ids: PhysicalIds) -> dict:
        """Evaluate a resource's Properties; NoValue entries removed; errors located."""
        resource = self.resources.get(logical_id)
        if resource is None:
            raise TemplateError(
                INVALID_TEMPLATE_REFERENCE,
                f"no resource {logical_id!r} in this stack",
                ("Resources",),
                file=self.template.filename,
            )
        if resource.properties is None:
            return {}
        path = resource.path + ("Properties",)
        properties = without_embedded_template(resource.properties)
        value = self.resolve(
            properties,
            path,
            attributes=attributes,
            physical_ids=physical_ids,
            referencer=f"Resources.{logical_id}",
            index=resource.index,
        )
        if value is NO_VALUE or isinstance(value, Unknown):
            return {}
        if not isinstance(value, dict):
            raise self.template.locate(
                TemplateError(
                    STACK_VALIDATION_FAILED,
                    f"Properties must evaluate to a mapping, not {type(value).__name__}",
                    path,
                )
            )
        if embedded_template(resource.properties):  # the nested stack evaluates its own template
            value[EMBEDDED_TEMPLATE_PROPERTY] = resource.properties[EMBEDDED_TEMPLATE_PROPERTY]
        return value

    def resolve_output(self, name: str, attributes: Attributes, physical_ids: PhysicalIds) -> Any:
        """One output's value (NO_VALUE when it evaluates to ALIYUN::NoValue)."""
        output = self.outputs[name]
        return self.resolve(
            output.value,
            output.path + ("Value",),
            attributes=attributes,
            physical_ids=physical_ids,
            referencer=f"Outputs.{name}",
            section="output",
        )

    def resolve_outputs(self, attributes: Attributes, physical_ids: PhysicalIds) -> dict[str, Any]:
        """Every output whose Condition holds (condition-false ones were dropped by prepare);
        raises the first TemplateError, located."""
        values: dict[str, Any] = {}
        for name in self.outputs:
            value = self.resolve_output(name, attributes, physical_ids)
            if value is not NO_VALUE:
                values[name] = value
        return values

    def resolve(
        self,
        node: Any,
        path: Path,
        *,
        attributes: Attributes | None,
        physical_ids: PhysicalIds | None,
        referencer: str,
        section: str = "resource",
        index: int | None = None,
    ) -> Any:
        """Evaluate any node of this template (for engine features beyond properties/outputs)."""
        assert self.scope is not None
        ctx = self.scope.context(
            section, referencer=referencer, attributes=attributes, physical_ids=physical_ids, index=index
        )
        try:
            return evaluate(node, tuple(path), ctx)
        except TemplateError as err:
            raise self.template.locate(err) from None
        except RecursionError:
            raise self.template.locate(
                TemplateError(STACK_VALIDATION_FAILED, "the expression nests too deeply", tuple(path))
            ) from None


def prepare(
    template: Template,
    parameters: Mapping[str, Any] | None = None,
    *,
    identity: StackIdentity | None = None,
    static: bool = False,
    previous_parameters: Mapping[str, Any] | None = None,
    stack_outputs: StackOutputReader | None = None,
    now: Callable[[], _dt.datetime] | None = None,
    attribute_names: AttributeNames | None = None,
    oos_store: OosParameterStore | None = None,
    zones: Callable[[str], list[str]] | None = None,
) -> PreparedTemplate:
    """Bind, check and expand ``template`` (see module docstring); raise TemplateErrors.

    ``attribute_names(type)`` returns the attribute names ``Fn::GetAtt`` may use for a resource
    type (any container supporting ``in``), or None for a type whose schema is unknown.
    """
    try:
        return _Preparation(template, identity or StackIdentity(), static, attribute_names).run(
            parameters, previous_parameters, stack_outputs, now, oos_store, zones
        )
    except TemplateErrors:
        raise
    except TemplateError as err:
        raise TemplateErrors([template.locate(err)]) from None
    except RecursionError:
        raise TemplateErrors(
            [
                template.locate(
                    TemplateError(STACK_VALIDATION_FAILED, "the template nests too deeply to evaluate")
                )
            ]
        ) from None


class _Preparation:
    """One run of prepare(); methods are the stages, ``errors`` collects across them."""

    def __init__(
        self,
        template: Template,
        identity: StackIdentity,
        static: bool,
        attribute_names: AttributeNames | None,
    ):
        self.template = template
        self.identity = identity
        self.static = static
        self.attribute_names = attribute_names
        self.errors: list[TemplateError] = []

    def run(
        self,
        parameters: Mapping[str, Any] | None,
        previous: Mapping[str, Any] | None,
        stack_outputs: StackOutputReader | None,
        now: Callable[[], _dt.datetime] | None,
        oos_store: OosParameterStore | None,
        zones: Callable[[str], list[str]] | None,
    ) -> PreparedTemplate:
        template = self.template
        specs = template.parameter_specs
        values, errors = bind_parameters(
            specs, parameters, previous=previous, static=self.static, oos_store=oos_store
        )
        self.errors.extend(errors)
        self.scope = scope = Scope(
            parameters=values,
            identity=self.identity,
            mappings=template.mappings,
            conditions=template.conditions,
            local_values=template.locals,
            static=self.static,
            now=now,
            zones=zones,
            stack_outputs=stack_outputs,
            attribute_names=self.attribute_names,
        )
        self._register_resource_names()
        self._check_rules()
        conditions = self._evaluate_conditions()
        self._check_locals()
        resources = self._expand_resources()
        outputs = self._outputs()
        graph = self._build_graph(resources, outputs)
        prepared = PreparedTemplate(
            template=template,
            identity=self.identity,
            parameters=values,
            no_echo={name for name, spec in specs.items() if spec.no_echo},
            conditions={
                name: value is True or isinstance(value, Unknown) for name, value in conditions.items()
            },
            resources=resources,
            outputs=outputs,
            graph=graph,
            static=self.static,
            unknown_conditions={name for name, value in conditions.items() if isinstance(value, Unknown)},
            scope=scope,
        )
        if self.errors:
            # The partial result lets `ros validate` still check every resource's properties.
            raise TemplateErrors(
                unique_errors([template.locate(err) for err in self.errors]),
                partial=prepared if self.static else None,
            )
        return prepared

    def _attempt(self, action: Callable[..., Any], *args: Any) -> Any:
        """Run one stage step, ``action(*args)``; a TemplateError is collected and None returned."""
        try:
            return action(*args)
        except TemplateError as err:
            self.errors.append(err)
        except TemplateErrors as errs:
            self.errors.extend(errs.errors)
        except RecursionError:
            self.errors.append(TemplateError(STACK_VALIDATION_FAILED, "an expression nests too deeply"))
        except Exception as exc:  # never a traceback at the user
            self.errors.append(TemplateError(INTERNAL_ERROR, f"unexpected {type(exc).__name__}: {exc}"))
        return None

    # ------------------------------------------------------------------ stages

    def _register_resource_names(self) -> None:
        """Before conditions are known every resource counts as live, for messages."""
        for logical_id, resource in self.template.resources.items():
            if isinstance(resource, dict) and isinstance(resource.get("Type"), str):
                self.scope.resources.types[logical_id] = resource["Type"]

    def _check_rules(self) -> None:
        for name, rule in self.template.rules.items():
            self._attempt(self._check_rule, name, rule)

    def _check_rule(self, name: str, rule: dict[str, Any]) -> None:
        path: Path = ("Rules", name)
        ctx = self.scope.context("rule", referencer=f"Rules.{name}")
        if "RuleCondition" in rule:
            where = path + ("RuleCondition",)
            applies = as_boolean(
                evaluate(rule["RuleCondition"], where, ctx), f"RuleCondition of rule {name!r}", where
            )
            if applies is not True:  # false, or unknown in static validation
                return
        for index, assertion in enumerate(rule.get("Assertions") or []):
            where = path + ("Assertions", index, "Assert")
            holds = self._attempt(
                _evaluate_boolean, assertion["Assert"], where, ctx, f"Assert of rule {name!r}"
            )
            if holds is False:
                description = assertion.get("AssertDescription")
                text = f": {description}" if description else f" (assertion {index} is false)"
                self.errors.append(
                    TemplateError(
                        STACK_VALIDATION_FAILED, f"Rule {name} failed{text}", where, details={"rule": name}
                    )
                )

    def _evaluate_conditions(self) -> dict[str, bool | Unknown]:
        values: dict[str, bool | Unknown] = {}
        for name in self.template.conditions:
            value = self._attempt(self.scope.condition, name, ("Conditions", name))
            values[name] = value if value is not None else Unknown("boolean", f"condition {name}")
        return values

    def _check_locals(self) -> None:
        scope = self.scope
        for name, local in self.template.locals.items():
            if not isinstance(local, dict):
                continue
            for reference in scan(local.get("Value"), ("Locals", name, "Value")):
                if reference.kind == "getatt" or (
                    reference.name not in scope.parameters
                    and reference.name not in scope.pseudo
                    and reference.name not in scope.local_definitions
                ):
                    self.errors.append(
                        TemplateError(
                            INVALID_TEMPLATE_REFERENCE,
                            f'The specified reference "{reference.name}" (in Locals.{name}) is incorrect. '
                            "Locals can only reference parameters and other locals.",
                            reference.path,
                        )
                    )
            if local.get("Type") == "Eval":
                self._attempt(scope.local_value, name, ("Locals", name))

    def _expand_resources(self) -> dict[str, ResourceDefinition]:
        scope = self.scope
        names = scope.resources
        live: list[tuple[str, dict[str, Any]]] = []
        names.types.clear()
        for logical_id, resource in self.template.resources.items():
            if not isinstance(resource, dict):
                continue
            condition = resource.get("Condition")
            if isinstance(condition, str):
                holds = self._attempt(
                    scope.condition_is_true, condition, ("Resources", logical_id, "Condition")
                )
                if holds is False:
                    names.inactive[logical_id] = condition
                    continue
            live.append((logical_id, resource))
        counts: dict[str, int] = {}
        for logical_id, resource in live:
            if "Count" in resource:
                path: Path = ("Resources", logical_id, "Count")
                ctx = scope.context("count", referencer=f"Resources.{logical_id}")
                number = self._attempt(_evaluate_count, resource["Count"], path, ctx, self.static)
                counts[logical_id] = 1 if number is None else number
        for logical_id, number in counts.items():
            names.groups[logical_id] = [copy_name(logical_id, index) for index in range(number)]
            names.group_types[logical_id] = str(dict(live)[logical_id].get("Type"))
        definitions: dict[str, ResourceDefinition] = {}
        for logical_id, resource in live:
            if logical_id in counts:
                for index, copy in enumerate(names.groups[logical_id]):
                    if copy in self.template.resources:
                        self.errors.append(
                            TemplateError(
                                STACK_VALIDATION_FAILED,
                                f"Count expansion of {logical_id!r} produces {copy!r}, "
                                "which is already a resource of the template",
                                ("Resources", logical_id, "Count"),
                            )
                        )
                        continue
                    definitions[copy] = self._definition(copy, logical_id, resource, index)
            else:
                definitions[logical_id] = self._definition(logical_id, logical_id, resource, None)
        for logical_id, definition in definitions.items():
            names.types[logical_id] = definition.type
        if counts and len(definitions) > MAX_EXPANDED:
            self.errors.append(
                TemplateError(
                    STACK_VALIDATION_FAILED,
                    f"Count expansion gives {len(definitions)} resources; a template may "
                    f"have at most {MAX_EXPANDED} after expansion",
                    ("Resources",),
                )
            )
        return definitions

    def _definition(
        self, logical_id: str, source_id: str, resource: dict[str, Any], index: int | None
    ) -> ResourceDefinition:
        properties = resource.get("Properties")
        if index is not None and properties is not None:
            properties = substitute_index(properties, index, self.scope.resources.groups)
        depends = resource.get("DependsOn", [])
        depends_list = (
            [depends]
            if isinstance(depends, str)
            else [d for d in depends if isinstance(d, str)]
            if isinstance(depends, list)
            else []
        )
        return ResourceDefinition(
            logical_id=logical_id,
            type=str(resource.get("Type")),
            properties=properties,
            depends_on=depends_list,
            condition=resource.get("Condition"),
            deletion_policy=resource.get("DeletionPolicy", "Delete"),
            metadata=resource.get("Metadata"),
            description=resource.get("Description"),
            path=("Resources", source_id),
            count_of=source_id if index is not None else None,
            index=index,
        )

    def _outputs(self) -> dict[str, OutputDefinition]:
        outputs: dict[str, OutputDefinition] = {}
        for name, output in self.template.outputs.items():
            if not isinstance(output, dict):
                continue
            condition = output.get("Condition")
            if isinstance(condition, str):
                holds = self._attempt(self.scope.condition_is_true, condition, ("Outputs", name, "Condition"))
                if holds is False:
                    continue
            no_echo = output.get("NoEcho")
            outputs[name] = OutputDefinition(
                name=name,
                value=output.get("Value"),
                description=output.get("Description"),
                condition=condition,
                label=output.get("Label"),
                no_echo=no_echo is True or (isinstance(no_echo, str) and no_echo.lower() == "true"),
                path=("Outputs", name),
            )
        return outputs

    # ------------------------------------------------------------------ graph

    def _build_graph(
        self, resources: dict[str, ResourceDefinition], outputs: dict[str, OutputDefinition]
    ) -> DependencyGraph:
        graph = DependencyGraph()
        for logical_id in resources:
            graph.add_resource(logical_id)
        for logical_id, resource in resources.items():
            referencer = f"Resources.{resource.path[1]}"
            properties = without_embedded_template(resource.properties)
            for reference in scan(properties, resource.path + ("Properties",)):
                for target in self._targets(reference, referencer, resource.index is not None):
                    graph.add_dependency(logical_id, target, via=reference.kind)
            for position, name in enumerate(resource.depends_on):
                path = resource.path + ("DependsOn",)
                if isinstance(self.template.resources[str(resource.path[1])].get("DependsOn"), list):
                    path += (position,)
                for target in self._resource_targets(name, path, f"DependsOn of {referencer}"):
                    graph.add_dependency(logical_id, target, via="DependsOn")
        for name, output in outputs.items():
            for reference in scan(output.value, output.path + ("Value",)):
                self._targets(reference, f"Outputs.{name}", False)
        self.errors.extend(graph.cycle_errors())
        return graph

    def _targets(self, reference: Any, referencer: str, in_count_copy: bool) -> list[str]:
        """Resources a reference depends on; reports references to nothing."""
        scope = self.scope
        name = reference.name
        if reference.kind != "getatt":
            if name == INDEX:
                if not in_count_copy:
                    self.errors.append(
                        TemplateError(
                            INVALID_TEMPLATE_REFERENCE,
                            f"{INDEX} can only be used in the Properties of a "
                            f"resource that has Count (in {referencer})",
                            reference.path,
                        )
                    )
                return []
            if name in scope.pseudo or name in scope.parameters:
                return []
            if name in scope.local_definitions:
                if reference.kind == "sub":
                    self.errors.append(
                        TemplateError(
                            INVALID_TEMPLATE_REFERENCE,
                            f"local {name!r} cannot be referenced with ${{}} in "
                            f"Fn::Sub (in {referencer}); use Ref or a Fn::Sub variable",
                            reference.path,
                        )
                    )
                return []
        targets = self._resource_targets(name, reference.path, referencer)
        if reference.kind == "getatt" and targets and reference.attribute is not None:
            self._attempt(lambda: scope.check_attribute(name, reference.attribute, reference.path))
        return targets

    def _resource_targets(self, name: str, path: Path, referencer: str) -> list[str]:
        names = self.scope.resources
        if name in names.groups:
            return list(names.groups[name])
        if name in names.types:
            return [name]
        if name in names.inactive:
            return []  # allowed: a condition-false dependency is ignored (guarded by Fn::If)
        self.errors.append(
            TemplateError(
                INVALID_TEMPLATE_REFERENCE,
                f'The specified reference "{name}" (in {referencer}) is incorrect.',
                path,
                details={"reference": name},
            )
        )
        return []


def unique_errors(errors: list[TemplateError]) -> list[TemplateError]:
    """Count copies share their source lines: report each problem (code, message, place) once."""
    seen: set[tuple[str, str, Path]] = set()
    unique = []
    for err in errors:
        key = (err.code, err.message, tuple(err.path))
        if key not in seen:
            seen.add(key)
            unique.append(err)
    return unique


def _evaluate_boolean(node: Any, path: Path, ctx: FunctionContext, what: str) -> Any:
    """Evaluate a rule's condition or assertion to True/False (Unknown in static validation)."""
    return as_boolean(evaluate(node, path, ctx), what, path)


def _evaluate_count(node: Any, path: Path, ctx: FunctionContext, static: bool) -> int | None:
    """Evaluate a resource's ``Count`` to the number of copies."""
    return count_value(evaluate(node, path, ctx), path, static)
