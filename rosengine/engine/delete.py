"""Delete resources in reverse dependency order (DeleteStack, create rollback, update cleanup).

A resource is deleted only after every resource that depends on it is gone. ``Retain`` keeps
the physical resource and says so in its event; a provider reporting the resource already gone
(ResourceNotFound) counts as deleted; a create that was started but never recorded is looked up
with the provider's ``read`` before being declared "never created".
"""

from __future__ import annotations

from rosengine.engine.executor import Outcome, WalkResult, Work
from rosengine.engine.operation import OperationContext, describe_error
from rosengine.state.models import ROLE_CURRENT, ResourceRecord
from rosengine.state.statuses import STATE_CHANGED, Status


def _key(record: ResourceRecord) -> str:
    return record.logical_id if record.role == ROLE_CURRENT else f"{record.logical_id}#{record.role}"


def deletion_waits(records: list[ResourceRecord]) -> dict[str, set[str]]:
    """For each row's key, the keys of the rows that must be gone before it is deleted.

    Why rows of every role count: an update's clean-up removes replaced originals together with
    resources dropped from the template, and an old child still references its old (replaced)
    parent, so the parent must wait for it. A dependency is matched to the row of the same role
    when there is one (old rows reference old rows), else to every row of that logical id.
    An edge that would close a cycle (rows of different template versions pointing opposite
    ways) is left out: deleting in some order beats never deleting at all."""
    keys_by_id: dict[str, dict[str, str]] = {}
    for record in records:
        keys_by_id.setdefault(record.logical_id, {})[record.role] = _key(record)
    waits: dict[str, set[str]] = {_key(r): set() for r in records}
    for record in records:
        key = _key(record)
        for dep in record.depends_on:
            roles = keys_by_id.get(dep, {})
            targets = [roles[record.role]] if record.role in roles else list(roles.values())
            for target in targets:
                if target != key and not _waits_for(waits, key, target):
                    waits[target].add(key)
    return waits


def _waits_for(waits: dict[str, set[str]], start: str, goal: str) -> bool:
    """Whether ``start`` already waits (directly or not) for ``goal``."""
    seen: set[str] = set()
    stack = [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(waits.get(node, ()))
    return False


def _delete_note(record: ResourceRecord) -> str:
    """The reason of a delete event: a placeholder or a record says what (not) deleting it means."""
    if record.placeholder:
        return f"placeholder: nothing to delete (no local twin for {record.type})"
    if record.note.startswith("record:"):
        return f"{record.note} (record removed)"
    return STATE_CHANGED


def delete_resources(
    rt: OperationContext,
    records: list[ResourceRecord],
    *,
    retain: frozenset[str] = frozenset(),
    honour_retain: bool = True,
) -> WalkResult:
    """Delete ``records`` (rows are removed on success). ``retain`` names extra logical ids to
    keep (DeleteStack RetainResources)."""
    by_key = {_key(r): r for r in records}
    waits = deletion_waits(records)
    # Delete the most dependent first: reverse of creation (rows are stored in creation order).
    order = list(reversed(list(by_key)))

    def start(key: str) -> Work | None:
        record = by_key[key]
        if honour_retain and (record.deletion_policy == "Retain" or record.logical_id in retain):
            why = "DeletionPolicy is Retain" if record.deletion_policy == "Retain" else "asked to retain it"
            kept = f" {record.physical_id}" if record.physical_id else ""
            rt.recorder.forget(
                record,
                Status.DELETE_COMPLETE,
                f"Resource retained ({why}): the physical resource{kept} was kept",
            )
            if record.role == ROLE_CURRENT:
                rt.resources.pop(record.logical_id, None)
            return None
        if not record.physical_id:
            if record.status.in_progress:
                record.physical_id = rt.find_unrecorded(record)
            if not record.physical_id:
                if record.status == Status.INIT_COMPLETE:
                    with rt.store.batch() as batch:  # in the wave's batch (no event to tell)
                        batch.delete_resource(record.stack_id, record.logical_id, record.role)
                else:
                    rt.recorder.forget(
                        record, Status.DELETE_COMPLETE, "Nothing to delete: the resource was never created"
                    )
                if record.role == ROLE_CURRENT:
                    rt.resources.pop(record.logical_id, None)
                return None
        work = rt.delete_call(record)
        rt.recorder.resource(record, Status.DELETE_IN_PROGRESS, _delete_note(record))
        return work

    def finish(key: str, outcome: Outcome) -> bool:
        record = by_key[key]
        if outcome.ok:
            if record.status == Status.DELETE_IN_PROGRESS:
                rt.recorder.forget(record, Status.DELETE_COMPLETE, _delete_note(record))
                if record.role == ROLE_CURRENT:
                    rt.resources.pop(record.logical_id, None)
            return True
        assert outcome.error is not None
        rt.recorder.resource(record, Status.DELETE_FAILED, describe_error(outcome.error))
        return False

    result = rt.walk(order, waits, start, finish)
    with rt.recorder.grouped():
        for key in result.timed_out:
            rt.recorder.resource(
                by_key[key],
                Status.DELETE_FAILED,
                f"Timeout: the delete was still running when the stack timeout ({rt.deadline.describe()}) "
                "passed",
            )
    return result
