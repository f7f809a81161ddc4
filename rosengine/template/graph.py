"""The resource dependency graph (docs/reference/ros-template-language.md#resources): edges from Ref,
Fn::GetAtt, Fn::Sub and DependsOn.

An edge ``A -> B`` means B depends on A (A is created first). A cycle is reported once per
strongly connected component with every resource on it, so the user sees the whole loop, not
just the first pair found.

Why two libraries: ordering an acyclic graph is the standard library's ``graphlib``, which every
``ros`` command can afford; networkx (strongly connected components, a cycle through them) takes
longer to import than most commands take to run, so it is imported only to explain a cycle.
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING, Any

from rosengine.errors import CIRCULAR_DEPENDENCY, TemplateError

if TYPE_CHECKING:
    import networkx as nx


class DependencyGraph:
    def __init__(self) -> None:
        self._dependencies: dict[str, set[str]] = {}  # resource -> what it needs first
        self._dependents: dict[str, set[str]] = {}  # resource -> what needs it
        self._reasons: dict[tuple[str, str], dict[str, Any]] = {}  # (needed, needing) -> why

    def add_resource(self, logical_id: str) -> None:
        self._dependencies.setdefault(logical_id, set())
        self._dependents.setdefault(logical_id, set())

    def add_dependency(self, resource: str, depends_on: str, **reason: Any) -> None:
        """``resource`` needs ``depends_on`` first."""
        self.add_resource(resource)
        self.add_resource(depends_on)
        self._dependencies[resource].add(depends_on)
        self._dependents[depends_on].add(resource)
        self._reasons.setdefault((depends_on, resource), {}).update(reason)

    def dependencies(self, logical_id: str) -> set[str]:
        """Resources ``logical_id`` directly depends on."""
        return set(self._dependencies[logical_id])

    def dependents(self, logical_id: str) -> set[str]:
        """Resources that directly depend on ``logical_id``."""
        return set(self._dependents[logical_id])

    def generations(self) -> list[list[str]]:
        """Sets creatable in parallel, in order (each sorted for stable output). Raises
        ``graphlib.CycleError`` for a graph with a cycle (:meth:`cycles` says which)."""
        sorter = TopologicalSorter(self._dependencies)
        sorter.prepare()
        found: list[list[str]] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready())
            found.append(ready)
            sorter.done(*ready)
        return found

    def creation_order(self) -> list[str]:
        return [name for generation in self.generations() for name in generation]

    def deletion_order(self) -> list[str]:
        return [name for generation in reversed(self.generations()) for name in generation]

    def cycles(self) -> list[list[str]]:
        """Each dependency cycle as the list of its members, in cycle order when possible."""
        try:
            TopologicalSorter(self._dependencies).prepare()
            return []
        except CycleError:
            pass
        import networkx as nx  # only a graph with a cycle pays for networkx (see the module docstring)

        graph: nx.DiGraph[str] = nx.DiGraph()
        graph.add_nodes_from(self._dependencies)
        graph.add_edges_from(self._reasons)
        found: list[list[str]] = []
        for component in nx.strongly_connected_components(graph):
            if len(component) == 1:
                (only,) = component
                if graph.has_edge(only, only):
                    found.append([only])
                continue
            found.append(_cycle_order(graph.subgraph(component), component))
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


def _cycle_order(subgraph: nx.DiGraph[str], component: set[str]) -> list[str]:
    """A walk through the component that visits members in dependency order: the cycle networkx
    finds from the smallest name, then any members it missed."""
    import networkx as nx

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
