"""Create resources in dependency order, in parallel (CreateStack and ContinueCreateStack).

Intent is recorded before a provider is called (status CREATE_IN_PROGRESS with the resolved
properties = the request) and the result right after (physical id, attributes), each in one
transaction; so a process killed in between leaves a row that recovery can find and check. The
resources a wave of the walk starts share that transaction (and so do results settled together:
:func:`rosengine.engine.executor.walk`), always committed before any of their providers runs.
"""

from __future__ import annotations

import copy
import dataclasses

from resource_types.base import ProviderResult, ResourceProvider
from resource_types.placeholder import PlaceholderProvider
from rosengine.engine.executor import Outcome, WalkResult, Work
from rosengine.engine.operation import OperationContext, describe_error
from rosengine.engine.preflight import require_valid_properties
from rosengine.state.models import ResourceRecord
from rosengine.state.statuses import STATE_CHANGED, Action, Phase, Status
from rosengine.template.prepare import PreparedTemplate


def new_record(rt: OperationContext, prepared: PreparedTemplate, logical_id: str) -> ResourceRecord:
    definition = prepared.resources[logical_id]
    return ResourceRecord(
        stack_id=rt.stack.id,
        logical_id=logical_id,
        type=definition.type,
        status=Status.INIT_COMPLETE,
        metadata=definition.metadata,
        description=definition.description,
        deletion_policy=definition.deletion_policy or "Delete",
        depends_on=sorted(prepared.graph.dependencies(logical_id)),
    )


def register_pending(rt: OperationContext, prepared: PreparedTemplate, logical_ids: list[str]) -> None:
    """Rows for resources not created yet (INIT_COMPLETE), so `resources` and recovery see them:
    the operation knows them at once; they are stored with the recorder's next commit (the first
    wave's, whose resources they are before it starts them), not in a commit of their own."""
    records = [new_record(rt, prepared, lid) for lid in logical_ids if lid not in rt.resources]
    for record in records:
        rt.resources[record.logical_id] = record

    def store() -> None:
        with rt.store.batch() as batch:
            for record in records:
                batch.put_resource(record)

    if records:
        rt.recorder.defer(store)


def returned_result(outcome: Outcome) -> ProviderResult | None:
    """The :class:`ProviderResult` a create or update call returned; None when the call failed.

    A call that returned anything else broke the provider contract: that counts as its failure,
    and ``outcome.error`` says so (the resource is recorded as failed with that reason)."""
    if outcome.error is not None:
        return None
    if isinstance(outcome.value, ProviderResult):
        return outcome.value
    outcome.error = TypeError(f"provider returned {type(outcome.value).__name__}, expected ProviderResult")
    return None


def mark_placeholder(record: ResourceRecord, provider: ResourceProvider) -> None:
    """Mark the row before its provider runs: a placeholder says so in every event from its
    first; any other resource starts without a note (its provider may give one)."""
    if isinstance(provider, PlaceholderProvider):
        record.placeholder, record.note = True, provider.note
    else:
        record.placeholder, record.note = False, ""


def create_resources(
    rt: OperationContext,
    prepared: PreparedTemplate,
    logical_ids: list[str],
    *,
    action: Action = Action.CREATE,
) -> WalkResult:
    """Create ``logical_ids`` (in the prepared template's creation order), each after the
    resources it depends on. Returns the walk result; failed rows are recorded ``*_FAILED``."""
    pending: dict[str, ResourceRecord] = {}

    def start(logical_id: str) -> Work:
        record = rt.resources.get(logical_id) or new_record(rt, prepared, logical_id)
        fresh = new_record(rt, prepared, logical_id)
        record.type, record.metadata, record.description = fresh.type, fresh.metadata, fresh.description
        record.deletion_policy, record.depends_on = fresh.deletion_policy, fresh.depends_on
        record.physical_id, record.attributes = None, {}
        pending[logical_id] = record
        rt.resources[logical_id] = record
        record.properties = prepared.resolve_properties(logical_id, rt.attribute, rt.physical_id)
        # Resolved values are checked as the static check checks literals: a record (or anything
        # else) never gets a value its schema refuses from a parameter or another resource.
        require_valid_properties(
            record.type, record.properties, (*prepared.resources[logical_id].path, "Properties")
        )
        provider = rt.provider(record.type)
        ctx = rt.context(record, rt.progress(record, Status.of(action, Phase.IN_PROGRESS)))
        sources = placeholder_sources(rt, prepared, logical_id)
        if sources:
            ctx = dataclasses.replace(ctx, placeholder_sources=sources)
        mark_placeholder(record, provider)
        rt.recorder.resource(record, Status.of(action, Phase.IN_PROGRESS), record.note or STATE_CHANGED)
        request = copy.deepcopy(record.properties)
        return lambda: provider.create(ctx, request)

    def finish(logical_id: str, outcome: Outcome) -> bool:
        record = pending[logical_id]
        result = returned_result(outcome)
        if result is not None:
            record.physical_id = str(result.physical_id)
            record.attributes = dict(result.attributes)
            record.note = result.note or record.note
            record.placeholder = record.placeholder or result.placeholder
            rt.recorder.resource(record, Status.of(action, Phase.COMPLETE), record.note or STATE_CHANGED)
            return True
        assert outcome.error is not None
        rt.recorder.resource(record, Status.of(action, Phase.FAILED), describe_error(outcome.error))
        return False

    order = [lid for lid in prepared.graph.creation_order() if lid in set(logical_ids)]
    dependencies = {lid: prepared.graph.dependencies(lid) for lid in order}
    result = rt.walk(order, dependencies, start, finish)
    with rt.recorder.grouped():
        for logical_id in result.timed_out:
            record = pending[logical_id]
            rt.recorder.resource(
                record,
                Status.of(action, Phase.FAILED),
                f"Timeout: the {action.lower()} was still running when the stack timeout "
                f"({rt.deadline.describe()}) passed; the provider call was abandoned",
            )
    return result


def placeholder_sources(rt: OperationContext, prepared: PreparedTemplate, logical_id: str) -> tuple[str, ...]:
    """The placeholders ``logical_id`` depends on (see ``ProviderContext.placeholder_sources``)."""
    if not rt.placeholders:
        return ()
    found = []
    for dependency in sorted(prepared.graph.dependencies(logical_id)):
        record = rt.resources.get(dependency)
        if record is not None and record.placeholder:
            found.append(f"{dependency} ({record.type})")
    return tuple(found)


def failure_reason(rt: OperationContext, result: WalkResult, action: Action) -> str:
    """The stack's StatusReason for a failed walk: the first failing resource, or the timeout."""
    for node in result.failed:
        error = result.errors.get(node)
        detail = describe_error(error) if error is not None else "failed"
        return f"Resource {action} failed: resources.{node.split('#')[0]}: {detail}"
    if result.deadline_passed or result.timed_out:
        running = f" ({', '.join(result.timed_out)} still running)" if result.timed_out else ""
        return f"Stack {action} timed out after {rt.deadline.describe()}{running}"
    return f"Stack {action} failed"
