"""UpdateStack: add, update in place, replace and remove resources; undo it all on failure.

Order (as ROS and CloudFormation do it): resources are visited in the new template's dependency
order, each resolved against the *current* attributes of what it references, so a change
cascades to dependants whose resolved properties change. Added and replacing resources are
created first; replaced old resources and removed resources are deleted only after everything
else succeeded (cleanup), in reverse dependency order. Before a resource is touched, what a
rollback needs is kept in its row's ``previous`` (:data:`~rosengine.state.models.UpdateUndo`), so
a failed update can be rolled back exactly: in-place changes are updated back, added and
replacing resources are deleted, and the replaced originals (never deleted before success)
become current again.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult
from rosengine.engine.create import (
    failure_reason,
    mark_placeholder,
    new_record,
    placeholder_sources,
    returned_result,
)
from rosengine.engine.delete import delete_resources
from rosengine.engine.diff import diff_properties, normalise
from rosengine.engine.executor import Outcome, WalkResult, Work
from rosengine.engine.operation import OperationContext, describe_error
from rosengine.engine.outputs import evaluate_outputs
from rosengine.engine.placeholders import placeholder_signallers, with_placeholders
from rosengine.engine.preflight import require_valid_properties
from rosengine.state.models import (
    ROLE_CURRENT,
    ROLE_REPLACED,
    AddedByUpdate,
    ChangedInPlace,
    ReplacementOf,
    ResourceRecord,
)
from rosengine.state.statuses import STATE_CHANGED, Action, Status
from rosengine.template.prepare import PreparedTemplate

if TYPE_CHECKING:
    from rosengine.engine.stack_engine import StackEngine, StackOptions

# What a failed update restores on the stack record (besides its status).
_STACK_FIELDS_RESTORED = (
    "template_body",
    "template_filename",
    "processed_template",
    "parameters",
    "resolved_parameters",
    "no_echo",
    "description",
)


class UpdateStep(Enum):
    """What the update walk does to one resource of the new template."""

    ADD = "add"  # not in the stack yet: create it
    MODIFY = "modify"  # properties changed: update in place
    REPLACE = "replace"  # a create-only property (or the type) changed: create a new one
    UNCHANGED = "unchanged"  # nothing for the provider (metadata may still change)


@dataclass
class _Started:
    """A resource the walk has started: its row (the new one for a replacement) and the step."""

    record: ResourceRecord
    step: UpdateStep | None = None  # None until the step is known (a failure before that records nothing)


def update_resources(rt: OperationContext, prepared: PreparedTemplate, options: StackOptions) -> WalkResult:
    """Walk the new template in dependency order, adding, updating and replacing resources;
    returns the walk result (failed and timed-out resources are recorded ``*_FAILED``)."""
    walker = _UpdateWalk(rt, prepared, options)
    order = list(prepared.graph.creation_order())
    dependencies = {lid: prepared.graph.dependencies(lid) for lid in order}
    result = rt.walk(order, dependencies, walker.start, walker.finish)
    with rt.recorder.grouped():
        for logical_id in result.timed_out:
            walker.timed_out(logical_id)
    return result


class _UpdateWalk:
    """``start`` and ``finish`` of the update walk (see :func:`rosengine.engine.executor.walk`)."""

    def __init__(self, rt: OperationContext, prepared: PreparedTemplate, options: StackOptions):
        self.rt, self.prepared, self.options = rt, prepared, options
        self.started: dict[str, _Started] = {}

    # -- start: decide the step, record the intent, return the provider call -------------------
    def start(self, logical_id: str) -> Work | None:
        old = self.rt.resources.get(logical_id)
        if old is None or not old.physical_id:
            return self._add(logical_id)
        self.started[logical_id] = _Started(old)
        definition = self.prepared.resources[logical_id]
        fresh = new_record(self.rt, self.prepared, logical_id)
        props = self.prepared.resolve_properties(logical_id, self.rt.attribute, self.rt.physical_id)
        changed = diff_properties(definition.type, old.properties, props)
        reasons = ["Type"] if old.type != definition.type else changed.replacing + changed.replacing_dynamic
        if not changed.any and not reasons:
            self.started[logical_id].step = UpdateStep.UNCHANGED
            self._keep(old, fresh)
            return None
        require_valid_properties(definition.type, props, (*definition.path, "Properties"))
        if reasons:
            return self._replace(logical_id, old, fresh, props, reasons)
        return self._modify(logical_id, old, fresh, props)

    def _add(self, logical_id: str) -> Work:
        record = new_record(self.rt, self.prepared, logical_id)
        record.previous = AddedByUpdate()
        self.started[logical_id] = _Started(record, UpdateStep.ADD)
        self.rt.resources[logical_id] = record
        record.properties = self.prepared.resolve_properties(
            logical_id, self.rt.attribute, self.rt.physical_id
        )
        require_valid_properties(
            record.type, record.properties, (*self.prepared.resources[logical_id].path, "Properties")
        )
        call = self._create_call(record, Status.CREATE_IN_PROGRESS)
        self.rt.recorder.resource(record, Status.CREATE_IN_PROGRESS, record.note or STATE_CHANGED)
        return call

    def _keep(self, old: ResourceRecord, fresh: ResourceRecord) -> None:
        """No provider call; the template-only fields (metadata, deletion policy, dependencies,
        description) are stored when they changed, undone like an in-place change on failure."""
        if not _template_fields_differ(old, fresh):
            return
        _remember_in_place(old)
        _take_template_fields(old, fresh)
        with self.rt.store.batch() as batch:  # in the wave's batch
            batch.put_resource(old)

    def _modify(
        self, logical_id: str, old: ResourceRecord, fresh: ResourceRecord, props: dict[str, Any]
    ) -> Work:
        self.started[logical_id].step = UpdateStep.MODIFY
        previous_props, previous_attrs = copy.deepcopy(old.properties), copy.deepcopy(old.attributes)
        _remember_in_place(old)
        old.properties = props
        _take_template_fields(old, fresh)
        provider = self.rt.record_provider(old)
        ctx = self._context(old, Status.UPDATE_IN_PROGRESS)
        physical_id = old.physical_id or ""
        self.rt.recorder.resource(old, Status.UPDATE_IN_PROGRESS, old.note or STATE_CHANGED)
        request = copy.deepcopy(props)
        return lambda: provider.update(ctx, physical_id, request, previous_props, previous_attrs)

    def _replace(
        self,
        logical_id: str,
        old: ResourceRecord,
        fresh: ResourceRecord,
        props: dict[str, Any],
        reasons: list[str],
    ) -> Work:
        """Park the old row as ``replaced`` and create the new resource under the logical id."""
        if not self.options.replacement:
            raise ProviderError(
                f"Update requires replacing {logical_id} (create-only properties changed: "
                f"{', '.join(reasons)}) but replacement is disabled",
                code="NotSupported",
            )
        why = (
            "the resource type changed"
            if reasons == ["Type"]
            else f"create-only properties changed: {', '.join(reasons)}"
        )
        # The old row parked and the new one's intent in one batch (the wave's): all or nothing.
        with self.rt.store.batch() as batch:
            batch.delete_resource(old.stack_id, logical_id, ROLE_CURRENT)
            old.role = ROLE_REPLACED
            batch.put_resource(old)
            fresh.properties = props
            fresh.previous = ReplacementOf(old.physical_id or "")
            self.started[logical_id] = _Started(fresh, UpdateStep.REPLACE)
            self.rt.resources[logical_id] = fresh
            call = self._create_call(fresh, Status.UPDATE_IN_PROGRESS)
            self.rt.recorder.resource(fresh, Status.UPDATE_IN_PROGRESS, f"Requires replacement: {why}")
        return call

    def _create_call(self, record: ResourceRecord, status: Status) -> Work:
        """The provider's create for ``record``, which is marked as a placeholder when its
        provider is one (before its first event, so every event says so)."""
        provider = self.rt.provider(record.type)
        ctx = self._context(record, status)
        mark_placeholder(record, provider)
        request = copy.deepcopy(record.properties)
        return lambda: provider.create(ctx, request)

    def _context(self, record: ResourceRecord, status: Status) -> ProviderContext:
        """The provider's context, naming the placeholders the resource depends on (as a create's
        does), so an update can keep, or turn real, a stand-in that a placeholder caused."""
        ctx = self.rt.context(record, self.rt.progress(record, status))
        sources = placeholder_sources(self.rt, self.prepared, record.logical_id)
        return replace(ctx, placeholder_sources=sources) if sources else ctx

    # -- finish: record the outcome -------------------------------------------------------------
    def finish(self, logical_id: str, outcome: Outcome) -> bool:
        started = self.started.get(logical_id)
        if started is None or started.step in (None, UpdateStep.UNCHANGED):
            return outcome.ok
        record, step = started.record, started.step
        action = Action.CREATE if step is UpdateStep.ADD else Action.UPDATE
        result = returned_result(outcome)
        if result is None:
            assert outcome.error is not None
            failed = Status.CREATE_FAILED if action is Action.CREATE else Status.UPDATE_FAILED
            self.rt.recorder.resource(record, failed, describe_error(outcome.error))
            return False
        self._take_result(record, step, result)
        done = Status.CREATE_COMPLETE if action is Action.CREATE else Status.UPDATE_COMPLETE
        self.rt.recorder.resource(record, done, _completion_reason(record, step))
        return True

    @staticmethod
    def _take_result(record: ResourceRecord, step: UpdateStep, result: ProviderResult) -> None:
        """An in-place update reports the attributes it changed; a create reports them all."""
        record.physical_id = str(result.physical_id or record.physical_id)
        if step is UpdateStep.MODIFY:
            record.attributes = {**record.attributes, **result.attributes}
        else:
            record.attributes = dict(result.attributes)
        if step is UpdateStep.MODIFY:  # an update can turn a stand-in into the real thing, or back
            record.note, record.placeholder = result.note, result.placeholder
        else:
            record.note = result.note or record.note
            record.placeholder = record.placeholder or result.placeholder

    def timed_out(self, logical_id: str) -> None:
        started = self.started[logical_id]
        failed = Status.CREATE_FAILED if started.step is UpdateStep.ADD else Status.UPDATE_FAILED
        self.rt.recorder.resource(
            started.record,
            failed,
            f"Timeout: still running when the stack timeout ({self.rt.deadline.describe()}) passed",
        )


def _completion_reason(record: ResourceRecord, step: UpdateStep) -> str:
    if step is UpdateStep.REPLACE and isinstance(record.previous, ReplacementOf):
        return (
            f"Replaced: new physical resource {record.physical_id} created; the old one "
            f"({record.previous.old_physical_id}) is deleted when the update completes"
        )
    return record.note or STATE_CHANGED


def _template_fields_differ(old: ResourceRecord, fresh: ResourceRecord) -> bool:
    return (
        normalise(fresh.metadata) != normalise(old.metadata)
        or fresh.deletion_policy != old.deletion_policy
        or fresh.depends_on != old.depends_on
        or fresh.description != old.description
    )


def _take_template_fields(record: ResourceRecord, fresh: ResourceRecord) -> None:
    record.metadata, record.deletion_policy = fresh.metadata, fresh.deletion_policy
    record.depends_on, record.description = fresh.depends_on, fresh.description


def _remember_in_place(record: ResourceRecord) -> None:
    """Keep the row as it is before its first in-place change of this update."""
    if record.previous is None:
        record.previous = ChangedInPlace.of(record)


def cleanup(rt: OperationContext, prepared: PreparedTemplate) -> list[str]:
    """Delete replaced originals and removed resources; returns failures (they do not fail the
    update, as in CloudFormation's cleanup phase; the rows stay and a later update retries)."""
    rows = rt.store.get_resources(rt.stack.id)
    doomed = [
        r
        for r in rows
        if r.role == ROLE_REPLACED or (r.role == ROLE_CURRENT and r.logical_id not in prepared.resources)
    ]
    if not doomed:
        return []
    result = delete_resources(rt, doomed)
    return _problems(result)


def _problems(result: WalkResult) -> list[str]:
    return [f"{node}: {describe_error(err)}" for node, err in result.errors.items()] + list(result.timed_out)


def finish_update(
    engine: StackEngine, rt: OperationContext, prepared: PreparedTemplate, options: StackOptions
) -> None:
    """Run the update walk, then outputs and cleanup, or roll back."""
    rt.placeholder_signallers = placeholder_signallers(prepared, rt.is_placeholder_type)
    result = update_resources(rt, prepared, options)
    reason = ""
    if result.ok:
        try:
            outputs = evaluate_outputs(rt, prepared)
        except Exception as exc:
            reason = f"Outputs could not be evaluated: {describe_error(exc)}"
        else:
            _complete(rt, outputs, cleanup(rt, prepared))
            return
    reason = reason or failure_reason(rt, result, Action.UPDATE)
    rt.recorder.stack_status(Status.UPDATE_FAILED, reason)
    run_update_rollback(engine, rt, reason)


def _complete(rt: OperationContext, outputs: Any, problems: list[str]) -> None:
    """The update stands: nothing is left to undo; new outputs; UPDATE_COMPLETE."""
    rows = rt.store.get_resources(rt.stack.id)
    note = f" (cleanup could not delete: {'; '.join(problems)})" if problems else ""
    done = with_placeholders(f"Stack successfully updated{note}", [r for r in rows if r.role == ROLE_CURRENT])
    with rt.recorder.grouped():  # the settled rows, the outputs and the final status: one commit
        with rt.store.batch() as batch:
            for record in rows:
                if record.previous is not None:
                    record.previous = None
                    batch.put_resource(record)
            batch.set_outputs(rt.stack.id, outputs)
        rt.recorder.stack_status(Status.UPDATE_COMPLETE, done, operation=None)


def run_update_rollback(engine: StackEngine, rt: OperationContext, reason: str) -> None:
    """ROLLBACK_IN_PROGRESS → ROLLBACK_COMPLETE | ROLLBACK_FAILED: back to the previous template,
    parameters and resources."""
    rt.restart_deadline()
    rt.recorder.stack_status(Status.ROLLBACK_IN_PROGRESS, f"Rollback started: {reason}")
    rows = rt.store.get_resources(rt.stack.id)
    current = {r.logical_id: r for r in rows if r.role == ROLE_CURRENT}
    rt.resources = dict(current)
    # 1. Revert in-place changes, in the previous dependency order.
    reverted, problems = _revert_in_place(rt, current)
    # 2. Delete what the update created (added resources and new replacements).
    created = [r for r in current.values() if isinstance(r.previous, AddedByUpdate | ReplacementOf)]
    if created:
        problems += _problems(delete_resources(rt, created, honour_retain=False))
    # 3. The replaced originals become current again.
    _reinstate_originals(rt, reverted)
    previous = (rt.stack.operation or {}).get("previous") or {}
    restored = {k: previous[k] for k in _STACK_FIELDS_RESTORED if k in previous}
    if problems:
        rt.recorder.stack_status(
            Status.ROLLBACK_FAILED, f"Rollback failed: {'; '.join(problems)}", **restored
        )
    else:
        rt.recorder.stack_status(
            Status.ROLLBACK_COMPLETE, f"Rolled back: {reason}", operation=None, **restored
        )


# Statuses of a row whose provider may have seen the new properties (its update started).
_UPDATE_REACHED_PROVIDER = (Status.UPDATE_COMPLETE, Status.UPDATE_FAILED, Status.UPDATE_IN_PROGRESS)


def _revert_in_place(rt: OperationContext, current: dict[str, ResourceRecord]) -> tuple[set[str], list[str]]:
    """Update rows changed in place back to their saved properties; returns the logical ids a
    provider was asked to revert, and the failures."""
    reverts = {lid: r for lid, r in current.items() if isinstance(r.previous, ChangedInPlace)}
    calls: dict[str, tuple[ResourceRecord, ChangedInPlace]] = {}

    def start(logical_id: str) -> Work | None:
        record = reverts[logical_id]
        saved = record.previous
        assert isinstance(saved, ChangedInPlace)
        if record.status not in _UPDATE_REACHED_PROVIDER or normalise(saved.properties) == normalise(
            record.properties
        ):
            saved.restore(record)
            record.previous = None
            with rt.store.batch() as batch:  # in the wave's batch
                batch.put_resource(record)
            return None
        provider, ctx = rt.record_provider(record), rt.context(record)
        target = copy.deepcopy(saved.properties)
        now_props, now_attrs = dict(record.properties), dict(record.attributes)
        physical_id = record.physical_id or ""
        calls[logical_id] = (record, saved)
        rt.recorder.resource(record, Status.UPDATE_IN_PROGRESS, "Rolling back to the previous properties")
        return lambda: provider.update(ctx, physical_id, target, now_props, now_attrs)

    def finish(logical_id: str, outcome: Outcome) -> bool:
        if logical_id not in calls:
            return outcome.ok
        record, saved = calls[logical_id]
        if outcome.error is not None:
            rt.recorder.resource(record, Status.UPDATE_FAILED, describe_error(outcome.error))
            return False
        saved.restore(record)
        record.previous = None
        rt.recorder.resource(record, Status.UPDATE_COMPLETE, _reverted(record, outcome.value))
        return True

    dependencies = {
        lid: set(r.previous.depends_on)
        for lid, r in reverts.items()
        if isinstance(r.previous, ChangedInPlace)
    }
    result = rt.walk(list(reverts), dependencies, start, finish)
    return set(calls), _problems(result)


def _reverted(record: ResourceRecord, returned: object) -> str:
    """The reason of a reverted row. The provider's update went through, so the resource has its
    saved properties again and keeps its saved attributes, refreshed by what the provider
    reported; a provider that returned something other than a ProviderResult broke its contract
    but did revert: the saved attributes stand, and the reason says so."""
    if isinstance(returned, ProviderResult):
        record.attributes = {**record.attributes, **returned.attributes}
        return "Rolled back to the previous properties"
    return (
        "Rolled back to the previous properties (the provider returned "
        f"{type(returned).__name__}, expected ProviderResult: attributes kept from before the update)"
    )


def _reinstate_originals(rt: OperationContext, reverted: set[str]) -> None:
    """Replaced originals become current again; every row's undo record is cleared (rows changed
    only in their template fields, or never reverted by a provider, get their saved fields back)."""
    with rt.store.transaction():
        live = {r.logical_id for r in rt.store.get_resources(rt.stack.id, role=ROLE_CURRENT)}
        for record in rt.store.get_resources(rt.stack.id, role=ROLE_REPLACED):
            if record.logical_id in live:
                continue
            rt.store.delete_resource(record.stack_id, record.logical_id, ROLE_REPLACED)
            record.role, record.previous = ROLE_CURRENT, None
            rt.store.put_resource(record)
        for record in rt.store.get_resources(rt.stack.id, role=ROLE_CURRENT):
            if record.previous is not None:
                if isinstance(record.previous, ChangedInPlace) and record.logical_id not in reverted:
                    record.previous.restore(record)
                record.previous = None
                rt.store.put_resource(record)
