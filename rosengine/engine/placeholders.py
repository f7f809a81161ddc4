"""What deploying placeholders means for the rest of a stack: which WaitConditions nothing real can
ever signal, and how the stack says how many of its resources are placeholders.

Why the engine decides the WaitCondition case: a WaitConditionHandle's URL usually goes into the
script of an ECS instance or a RunCommand. When every resource that reads the handle is a
placeholder, no signal will ever come; waiting for the timeout (often an hour) helps nobody. The
engine finds those conditions from the dependency graph before anything starts and tells their
provider (``ProviderContext.placeholder_signallers``), which signals SUCCESS itself and flags it.
A handle read by anything real (a function's environment, a custom resource) is waited on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rosengine.state.models import ResourceRecord
from rosengine.template.prepare import PreparedTemplate

WAIT_CONDITION = "ALIYUN::ROS::WaitCondition"
WAIT_CONDITION_HANDLE = "ALIYUN::ROS::WaitConditionHandle"


def placeholder_signallers(
    prepared: PreparedTemplate, is_placeholder: Callable[[str], bool]
) -> dict[str, tuple[str, ...]]:
    """For each WaitCondition whose handles are read only by placeholders (and read by at least
    one resource), those placeholders as ``"<logical id> (<type>)"``."""
    found: dict[str, tuple[str, ...]] = {}
    resources = prepared.resources
    for logical_id, definition in resources.items():
        if definition.type != WAIT_CONDITION:
            continue
        handles = [
            dep
            for dep in prepared.graph.dependencies(logical_id)
            if dep in resources and resources[dep].type == WAIT_CONDITION_HANDLE
        ]
        readers = {
            reader
            for handle in handles
            for reader in prepared.graph.dependents(handle)
            if reader in resources and resources[reader].type != WAIT_CONDITION
        }
        if readers and all(is_placeholder(resources[r].type) for r in readers):
            found[logical_id] = tuple(sorted(f"{r} ({resources[r].type})" for r in readers))
    return found


def placeholder_summary(records: Iterable[ResourceRecord]) -> str:
    """``"2 of 9 resources are placeholders (no local twin): Vm (ALIYUN::ECS::Instance), ..."``;
    empty when there are none."""
    rows = list(records)
    held = [r for r in rows if r.placeholder]
    if not held:
        return ""
    listed = ", ".join(f"{r.logical_id} ({r.type})" for r in held)
    noun = "resource is a placeholder" if len(rows) == 1 else "resources are placeholders"
    return f"{len(held)} of {len(rows)} {noun} (no local twin): {listed}"


def with_placeholders(reason: str, records: Iterable[ResourceRecord]) -> str:
    """A completed operation's StatusReason, with how many resources are placeholders."""
    summary = placeholder_summary(records)
    return f"{reason}; {summary}" if summary else reason
