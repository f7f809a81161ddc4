"""The resource dependency graph (docs/reference/ros-template-language.md#resources): edges from Ref,
Fn::GetAtt, Fn::Sub and DependsOn.

An edge ``A -> B`` means B depends on A (A is created first). A cycle is reported once per
strongly connected component with every resource on it, so the user sees the whole loop, not
just the first pair found.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from rosengine.errors import CIRCULAR_DEPENDENCY, TemplateError


class DependencyGraph:
    def __init__(self, graph: nx.DiGraph | None = None):
        self.graph: nx.DiGraph = graph if graph is not None else nx.DiGraph()

    def add_resource(self, logical_id: str) -> None:
        self.graph.add_node(logical_id)

    def add_dependency(self, resource: str, depends_on: str, **reason: Any) -> None:
        """``resource`` needs ``depends_on`` first."""
        self.graph.add_edge(depends_on, resource, **reason)

    def dependencies(self, logical_id: str) -> set[str]:
        """Resources ``logical_id`` directly depends on."""
        return set(self.graph.predecessors(logical_id))

    def dependents(self, logical_id: str) -> set[str]:
        """Resources that directly depend on ``logical_id``."""
        return set(self.graph.successors(logical_id))

    def generations(self) -> list[list[str]]:
        """Sets creatable in parallel, in order (each sorted for stable output)."""
        return [sorted(generation) for generation in nx.topological_generations(self.graph)]

    def creation_order(self) -> list[str]:
        return [name for generation in self.generations() for name in generation]

    def deletion_order(self) -> list[str]:
        return [name for generation in reversed(self.generations()) for name in generation]

    def cycles(self) -> list[list[str]]:
        """Each dependency cycle as the list of its members, in cycle order when possible."""
        found: list[list[str]] = []
        for component in nx.strongly_connected_components(self.graph):
            if len(component) == 1:
                (only,) = component
                if self.graph.has_edge(only, only):
                    found.append([only])
                continue
            found.append(_cycle_order(self.graph.subgraph(component), component))
        return sorted(found)

    def cycle_errors(self) -> list[TemplateError]:
        errors = []
        for members in self.cycles():
            loop = " -> ".join(members + [members[0]])
            errors.append(
                TemplateError(
                    CIRCULAR_DEPENDENCY,
                    f"Circular Dependency Found: {', '.join(sorted(members))} depend on each other ({loop}).",
                    ("Resources", _source_name(members[0])),
                    details={"members": sorted(members)},
                )
            )
        return errors


def _cycle_order(subgraph: nx.DiGraph, component: set[str]) -> list[str]:
    """A walk through the component that visits members in dependency order: the cycle networkx
    finds from the smallest name, then any members it missed."""
    start = min(component)
    try:
        edges = nx.find_cycle(subgraph, source=start)
        ordered = [edge[0] for edge in edges]
    except nx.NetworkXNoCycle:  # pragma: no cover - a strongly connected component has a cycle
        ordered = []
    ordered += sorted(component.difference(ordered))
    return ordered


def _source_name(logical_id: str) -> str:
    """``A[2]`` -> ``A``: errors point at the resource as written."""
    return logical_id.split("[", 1)[0] if logical_id.endswith("]") else logical_id
