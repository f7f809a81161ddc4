"""A tiny stand-in for the Template API (ARCHITECTURE.md), used only while ``rosengine.template``
does not provide ``prepare`` yet. It knows Parameters (String/Number/CommaDelimitedList/Json,
Default, NoEcho), Resources (Type, Properties, DependsOn, DeletionPolicy, Condition=name of a
boolean parameter), Outputs, and the functions Ref, Fn::GetAtt, Fn::Join, Fn::Sub."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from rosengine.errors import (
    INVALID_TEMPLATE_FORMAT,
    UNKNOWN_USER_PARAMETER,
    USER_PARAMETER_MISSING,
    TemplateError,
    TemplateErrors,
)


@dataclass
class Template:
    data: dict
    filename: str = ""

    def locate(self, err: TemplateError) -> TemplateError:
        err.file = self.filename or None
        return err


@dataclass
class StackIdentity:
    stack_name: str = "stack"
    stack_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    region: str = "cn-hangzhou"
    account_id: str = "1234567890123456"
    tenant_id: str = "1234567890123456"
    resource_group_id: str = "rg-default"


@dataclass
class ResourceDefinition:
    logical_id: str
    type: str
    properties: Any
    depends_on: list[str]
    condition: str | None
    deletion_policy: str
    metadata: Any
    description: str | None
    path: tuple


@dataclass
class OutputDefinition:
    name: str
    value: Any
    condition: str | None


class DependencyGraph:
    def __init__(self, graph: nx.DiGraph):
        self.graph = graph

    def dependencies(self, logical_id: str) -> set[str]:
        return set(self.graph.predecessors(logical_id))

    def dependents(self, logical_id: str) -> set[str]:
        return set(self.graph.successors(logical_id))

    def generations(self) -> list[list[str]]:
        return [sorted(g) for g in nx.topological_generations(self.graph)]

    def creation_order(self) -> list[str]:
        return list(nx.lexicographical_topological_sort(self.graph))

    def deletion_order(self) -> list[str]:
        return list(reversed(self.creation_order()))


def load_template(source: Any, *, filename: str | None = None) -> Template:
    if isinstance(source, Path):
        filename = filename or str(source)
        source = source.read_text()
    if isinstance(source, bytes):
        source = source.decode()
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        raise TemplateErrors([TemplateError(INVALID_TEMPLATE_FORMAT, str(exc), file=filename)]) from exc
    if not isinstance(data, dict):
        raise TemplateErrors([TemplateError(INVALID_TEMPLATE_FORMAT, "template is not a mapping", file=filename)])
    return Template(data, filename or "")


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if set(node) == {"Ref"}:
            found.add(node["Ref"])
        elif set(node) == {"Fn::GetAtt"}:
            found.add(node["Fn::GetAtt"][0])
        elif set(node) == {"Fn::Sub"}:
            found.update(m.split(".")[0] for m in re.findall(r"\$\{([^}]+)\}", node["Fn::Sub"]))
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _coerce(kind: str, value: Any) -> Any:
    if kind == "Number" and isinstance(value, str):
        return float(value) if "." in value else int(value)
    if kind == "CommaDelimitedList" and isinstance(value, str):
        return value.split(",")
    if kind == "Json" and isinstance(value, str):
        return json.loads(value)
    return value


class PreparedTemplate:
    def __init__(self, template: Template, parameters: dict, identity: StackIdentity, stack_outputs: Any):
        self.template = template
        self.identity = identity
        self.stack_outputs = stack_outputs
        declared = template.data.get("Parameters") or {}
        self.no_echo = {k for k, v in declared.items() if str(v.get("NoEcho", "")).lower() == "true"}
        self.parameters: dict[str, Any] = {}
        errors = []
        for name in parameters:
            if name not in declared:
                errors.append(TemplateError(UNKNOWN_USER_PARAMETER, f"Unknown parameter {name}", ("Parameters",)))
        for name, spec in declared.items():
            if name in parameters:
                self.parameters[name] = _coerce(spec.get("Type", "String"), parameters[name])
            elif "Default" in spec:
                self.parameters[name] = spec["Default"]
            else:
                errors.append(TemplateError(USER_PARAMETER_MISSING, f"The Parameter ({name}) was not provided.",
                                            ("Parameters", name)))
        if errors:
            raise TemplateErrors(errors)
        self.conditions: dict[str, bool] = {}
        self.resources: dict[str, ResourceDefinition] = {}
        for lid, body in (template.data.get("Resources") or {}).items():
            cond = body.get("Condition")
            if cond and str(self.parameters.get(cond, "true")).lower() != "true":
                continue
            depends = body.get("DependsOn") or []
            self.resources[lid] = ResourceDefinition(
                lid, body["Type"], body.get("Properties") or {},
                [depends] if isinstance(depends, str) else list(depends), cond,
                body.get("DeletionPolicy", "Delete"), body.get("Metadata"), body.get("Description"),
                ("Resources", lid),
            )
        graph = nx.DiGraph()
        graph.add_nodes_from(self.resources)
        for lid, definition in self.resources.items():
            for dep in (_refs(definition.properties) | set(definition.depends_on)) & set(self.resources):
                graph.add_edge(dep, lid)
        self.graph = DependencyGraph(graph)
        self.outputs = {
            k: OutputDefinition(k, v.get("Value"), v.get("Condition"))
            for k, v in (template.data.get("Outputs") or {}).items()
        }

    def _eval(self, node: Any, attributes: Any, physical_ids: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                if arg in self.parameters:
                    return self.parameters[arg]
                if arg == "ALIYUN::StackName":
                    return self.identity.stack_name
                if arg == "ALIYUN::StackId":
                    return self.identity.stack_id
                return physical_ids(arg)
            if key == "Fn::GetAtt":
                return attributes(arg[0], arg[1])
            if key == "Fn::Join":
                sep, items = arg
                return sep.join(str(self._eval(i, attributes, physical_ids)) for i in items)
            if key == "Fn::Sub":
                def sub(match: re.Match) -> str:
                    name = match.group(1)
                    if "." in name:
                        res, att = name.split(".", 1)
                        return str(attributes(res, att))
                    return str(self._eval({"Ref": name}, attributes, physical_ids))
                return re.sub(r"\$\{([^}]+)\}", sub, arg)
            if key == "Fn::GetStackOutput":
                return self.stack_outputs.get_stack_output(arg[0], arg[1], None)
        if isinstance(node, dict):
            return {k: self._eval(v, attributes, physical_ids) for k, v in node.items()}
        if isinstance(node, list):
            return [self._eval(v, attributes, physical_ids) for v in node]
        return node

    def resolve_properties(self, logical_id: str, attributes: Any, physical_ids: Any) -> dict:
        return self._eval(self.resources[logical_id].properties, attributes, physical_ids)

    def resolve_outputs(self, attributes: Any, physical_ids: Any) -> dict:
        out = {}
        for name, definition in self.outputs.items():
            cond = definition.condition
            if cond and str(self.parameters.get(cond, "true")).lower() != "true":
                continue
            out[name] = self._eval(definition.value, attributes, physical_ids)
        return out


def prepare(template: Template, parameters: Any = None, *, identity: StackIdentity | None = None,
            static: bool = False, previous_parameters: Any = None, stack_outputs: Any = None,
            now: Any = None) -> PreparedTemplate:
    merged = dict(previous_parameters or {})
    declared = template.data.get("Parameters") or {}
    merged = {k: v for k, v in merged.items() if k in declared}
    merged.update(parameters or {})
    return PreparedTemplate(template, merged, identity or StackIdentity(), stack_outputs)
