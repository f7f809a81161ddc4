"""UpdateStack: add, update in place, replace and remove resources; undo it all on failure.

Order (as ROS and CloudFormation do it): resources are visited in the new template's dependency
order, each resolved against the *current* attributes of what it references, so a change
cascades to dependants whose resolved properties change. Added and replacing resources are
created first; replaced old resources and removed resources are deleted only after everything
else succeeded (cleanup), in reverse dependency order. Before a resource is touched, a snapshot
of its row is kept in ``previous`` so a failed update can be rolled back exactly:
in-place changes are updated back, added and replacing resources are deleted, and the replaced
originals (never deleted before success) become current again.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from resource_types.base import ProviderError
from rosengine.engine.create import as_result, failure_reason, mark_placeholder, new_record
from rosengine.engine.delete import delete_resources
from rosengine.engine.diff import diff_properties, normalise
from rosengine.engine.executor import Outcome, Work, walk
from rosengine.engine.operation import OperationContext, describe_error
from rosengine.engine.outputs import evaluate_outputs
from rosengine.engine.placeholders import placeholder_signallers, with_placeholders
from rosengine.engine.preflight import require_valid_properties
from rosengine.engine.statuses import STATE_CHANGED
from rosengine.state.models import ROLE_CURRENT, ROLE_REPLACED, ResourceRecord

if TYPE_CHECKING:
    from rosengine.engine.stack_engine import StackEngine, StackOptions

_SNAPSHOT_FIELDS = (
    "type",
    "physical_id",
    "status",
    "reason",
    "properties",
    "attributes",
    "metadata",
    "description",
    "deletion_policy",
    "depends_on",
    "note",
    "placeholder",
)


def snapshot(record: ResourceRecord) -> dict[str, Any]:
    return {name: copy.deepcopy(getattr(record, name)) for name in _SNAPSHOT_FIELDS}


def restore(record: ResourceRecord, saved: dict[str, Any]) -> None:
    for name in _SNAPSHOT_FIELDS:
        if name in saved:  # a snapshot taken by an older rosengine lacks the newer fields
            setattr(record, name, copy.deepcopy(saved[name]))
    record.previous = None


def update_resources(rt: OperationContext, prepared: Any, options: StackOptions) -> Any:
    """Walk the new template; returns the walk result."""
    pending: dict[str, ResourceRecord] = {}
    kind: dict[str, str] = {}

    def start(logical_id: str) -> Work | None:
        definition = prepared.resources[logical_id]
        old = rt.resources.get(logical_id)
        fresh = new_record(rt, prepared, logical_id)
        if old is None or not old.physical_id:
            record = fresh
            record.previous = {"added": True}
            pending[logical_id], kind[logical_id] = record, "add"
            rt.resources[logical_id] = record
            record.properties = prepared.resolve_properties(logical_id, rt.attribute, rt.physical_id)
            require_valid_properties(record.type, record.properties, (*definition.path, "Properties"))
            provider = rt.provider(record.type)
            ctx = rt.context(record, rt.progress(record, "CREATE_IN_PROGRESS"))
            mark_placeholder(record, provider)
            rt.recorder.resource(record, "CREATE_IN_PROGRESS", record.note or STATE_CHANGED)
            request = copy.deepcopy(record.properties)
            return lambda: provider.create(ctx, request)
        pending[logical_id] = old
        props = prepared.resolve_properties(logical_id, rt.attribute, rt.physical_id)
        changed = diff_properties(definition.type, old.properties, props)
        replace_reasons = (
            ["Type"] if old.type != definition.type else changed.replacing + changed.replacing_dynamic
        )
        meta_changed = (
            normalise(fresh.metadata) != normalise(old.metadata)
            or fresh.deletion_policy != old.deletion_policy
            or fresh.depends_on != old.depends_on
            or fresh.description != old.description
        )
        if not changed.any and not replace_reasons:
            kind[logical_id] = "none"
            if meta_changed:
                if old.previous is None:
                    old.previous = snapshot(old)
                old.metadata, old.deletion_policy = fresh.metadata, fresh.deletion_policy
                old.depends_on, old.description = fresh.depends_on, fresh.description
                rt.store.put_resource(old)
            return None
        require_valid_properties(definition.type, props, (*definition.path, "Properties"))
        if replace_reasons:
            if not options.replacement:
                raise ProviderError(
                    f"Update requires replacing {logical_id} (create-only properties changed: "
                    f"{', '.join(replace_reasons)}) but replacement is disabled",
                    code="NotSupported",
                )
            return _start_replace(rt, prepared, logical_id, old, fresh, props, replace_reasons, pending, kind)
        kind[logical_id] = "modify"
        previous_props, previous_attrs = copy.deepcopy(old.properties), copy.deepcopy(old.attributes)
        if old.previous is None:
            old.previous = snapshot(old)
        old.properties = props
        old.metadata, old.deletion_policy = fresh.metadata, fresh.deletion_policy
        old.depends_on, old.description = fresh.depends_on, fresh.description
        provider, ctx = rt.record_provider(old), rt.context(old, rt.progress(old, "UPDATE_IN_PROGRESS"))
        physical_id = old.physical_id or ""
        rt.recorder.resource(old, "UPDATE_IN_PROGRESS", old.note or STATE_CHANGED)
        request = copy.deepcopy(props)
        return lambda: provider.update(ctx, physical_id, request, previous_props, previous_attrs)

    def finish(logical_id: str, outcome: Outcome) -> bool:
        record = pending.get(logical_id)
        if record is None:
            return outcome.ok
        how = kind.get(logical_id, "none")
        if how == "none":
            return outcome.ok
        action = "CREATE" if how == "add" else "UPDATE"
        if outcome.ok:
            try:
                result = as_result(outcome.value)
            except TypeError as exc:
                outcome.error = exc
            else:
                record.physical_id = str(result.physical_id or record.physical_id)
                if how == "modify":
                    record.attributes = {**record.attributes, **result.attributes}
                else:
                    record.attributes = dict(result.attributes)
                record.note = result.note or record.note
                reason = record.note or STATE_CHANGED
                if how == "replace":
                    old_id = (record.previous or {}).get("old_physical_id", "")
                    reason = (
                        f"Replaced: new physical resource {record.physical_id} created; the old one "
                        f"({old_id}) is deleted when the update completes"
                    )
                rt.recorder.resource(record, f"{action}_COMPLETE", reason)
                return True
        assert outcome.error is not None
        rt.recorder.resource(record, f"{action}_FAILED", describe_error(outcome.error))
        return False

    order = list(prepared.graph.creation_order())
    dependencies = {lid: prepared.graph.dependencies(lid) for lid in order}
    result = walk(order, dependencies, start, finish, concurrency=rt.concurrency, deadline=rt.deadline)
    for logical_id in result.timed_out:
        record = pending[logical_id]
        action = "CREATE" if kind.get(logical_id) == "add" else "UPDATE"
        rt.recorder.resource(
            record,
            f"{action}_FAILED",
            f"Timeout: still running when the stack timeout ({rt.deadline.describe()}) passed",
        )
    return result


def _start_replace(
    rt: OperationContext,
    prepared: Any,
    logical_id: str,
    old: ResourceRecord,
    fresh: ResourceRecord,
    props: dict[str, Any],
    reasons: list[str],
    pending: dict[str, ResourceRecord],
    kind: dict[str, str],
) -> Work:
    """Park the old row as ``replaced`` and create the new resource under the logical id."""
    why = (
        "the resource type changed"
        if reasons == ["Type"]
        else f"create-only properties changed: {', '.join(reasons)}"
    )
    with rt.store.transaction():
        rt.store.delete_resource(old.stack_id, logical_id, ROLE_CURRENT)
        old.role = ROLE_REPLACED
        rt.store.put_resource(old)
        fresh.properties = props
        fresh.previous = {"replaced": True, "old_physical_id": old.physical_id}
        pending[logical_id], kind[logical_id] = fresh, "replace"
        rt.resources[logical_id] = fresh
        provider, ctx = rt.provider(fresh.type), rt.context(fresh)
        mark_placeholder(fresh, provider)
        rt.recorder.resource(fresh, "UPDATE_IN_PROGRESS", f"Requires replacement: {why}")
    request = copy.deepcopy(props)
    return lambda: provider.create(ctx, request)


def cleanup(rt: OperationContext, prepared: Any) -> list[str]:
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
    return [f"{node}: {describe_error(err)}" for node, err in result.errors.items()] + list(result.timed_out)


def finish_update(engine: StackEngine, rt: OperationContext, prepared: Any, options: StackOptions) -> None:
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
            problems = cleanup(rt, prepared)
            with rt.store.transaction():
                for record in rt.store.get_resources(rt.stack.id):
                    if record.previous is not None:
                        record.previous = None
                        rt.store.put_resource(record)
                rt.store.set_outputs(rt.stack.id, outputs)
            note = f" (cleanup could not delete: {'; '.join(problems)})" if problems else ""
            done = with_placeholders(
                f"Stack successfully updated{note}", rt.store.get_resources(rt.stack.id, role=ROLE_CURRENT)
            )
            rt.recorder.stack_status("UPDATE_COMPLETE", done, operation=None)
            return
    reason = reason or failure_reason(rt, result, "UPDATE")
    rt.recorder.stack_status("UPDATE_FAILED", reason)
    run_update_rollback(engine, rt, reason)


def run_update_rollback(engine: StackEngine, rt: OperationContext, reason: str) -> None:
    """ROLLBACK_IN_PROGRESS → ROLLBACK_COMPLETE | ROLLBACK_FAILED: back to the previous template,
    parameters and resources."""
    rt.restart_deadline()
    rt.recorder.stack_status("ROLLBACK_IN_PROGRESS", f"Rollback started: {reason}")
    rows = rt.store.get_resources(rt.stack.id)
    current = {r.logical_id: r for r in rows if r.role == ROLE_CURRENT}
    rt.resources = dict(current)
    problems: list[str] = []

    # 1. Revert in-place changes, in the previous dependency order.
    reverts = {lid: r for lid, r in current.items() if r.previous and "properties" in r.previous}
    calls: dict[str, ResourceRecord] = {}

    def start(logical_id: str) -> Work | None:
        record = reverts[logical_id]
        saved = record.previous or {}
        if record.status not in ("UPDATE_COMPLETE", "UPDATE_FAILED", "UPDATE_IN_PROGRESS") or normalise(
            saved["properties"]
        ) == normalise(record.properties):
            restore(record, saved)
            rt.store.put_resource(record)
            return None
        provider, ctx = rt.record_provider(record), rt.context(record)
        target, now_props, now_attrs = (
            copy.deepcopy(saved["properties"]),
            dict(record.properties),
            dict(record.attributes),
        )
        physical_id = record.physical_id or ""
        calls[logical_id] = record
        rt.recorder.resource(record, "UPDATE_IN_PROGRESS", "Rolling back to the previous properties")
        return lambda: provider.update(ctx, physical_id, target, now_props, now_attrs)

    def finish(logical_id: str, outcome: Outcome) -> bool:
        record = calls.get(logical_id)
        if record is None:
            return outcome.ok
        if outcome.ok:
            saved = record.previous or {}
            restore(record, saved)
            try:
                record.attributes = {**saved["attributes"], **as_result(outcome.value).attributes}
            except TypeError:
                pass
            rt.recorder.resource(record, "UPDATE_COMPLETE", "Rolled back to the previous properties")
            return True
        assert outcome.error is not None
        rt.recorder.resource(record, "UPDATE_FAILED", describe_error(outcome.error))
        return False

    revert_deps = {lid: set((r.previous or {}).get("depends_on", [])) for lid, r in reverts.items()}
    reverted = walk(
        list(reverts), revert_deps, start, finish, concurrency=rt.concurrency, deadline=rt.deadline
    )
    problems += [f"{n}: {describe_error(e)}" for n, e in reverted.errors.items()] + reverted.timed_out

    # 2. Delete what the update created (added resources and new replacements).
    created = [
        r for r in current.values() if r.previous and (r.previous.get("added") or r.previous.get("replaced"))
    ]
    if created:
        deleted = delete_resources(rt, created, honour_retain=False)
        problems += [f"{n}: {describe_error(e)}" for n, e in deleted.errors.items()] + deleted.timed_out

    # 3. The replaced originals become current again.
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
                if "properties" in record.previous and record.logical_id not in calls:
                    restore(record, record.previous)
                record.previous = None
                rt.store.put_resource(record)

    previous = (rt.stack.operation or {}).get("previous") or {}
    restored = {
        k: previous[k]
        for k in (
            "template_body",
            "template_filename",
            "processed_template",
            "parameters",
            "resolved_parameters",
            "no_echo",
            "description",
        )
        if k in previous
    }
    if problems:
        rt.recorder.stack_status("ROLLBACK_FAILED", f"Rollback failed: {'; '.join(problems)}", **restored)
    else:
        rt.recorder.stack_status("ROLLBACK_COMPLETE", f"Rolled back: {reason}", operation=None, **restored)
