"""Change sets (docs/reference/ros-template-language.md#change-sets): a reviewed plan stored with its template
and parameters, executed later.

A CREATE change set creates the stack record in ``REVIEW_IN_PROGRESS`` (nothing is created until
it is executed); an UPDATE change set stores the changes ``preview`` would show. Executing one
marks the stack's other change sets ``OBSOLETE``. At most 20 per stack
(docs/reference/ros-template-language.md#limits).

NoEcho (issue 3: masked in every output): a change set is shown with the NoEcho parameters of
its *own* template masked, together with those of its stack, so neither a review stack nor a
CREATE change set (whose stack knew nothing of NoEcho before execution) ever shows them.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from rosengine.engine.errors import CHANGE_SET_NOT_FOUND, INVALID_STACK_STATE, StackError
from rosengine.engine.identity import new_stack_id
from rosengine.engine.plan import ChangeAction, has_changes
from rosengine.state.models import ChangeSetRecord, StackRecord
from rosengine.state.statuses import ChangeSetType, ExecutionStatus, Status
from rosengine.template import load_template

if TYPE_CHECKING:
    from rosengine.engine.stack_engine import StackEngine, StackOptions

MAX_CHANGE_SETS = 20


def _not_found(name: str) -> StackError:
    return StackError(CHANGE_SET_NOT_FOUND, f"The ChangeSet ({name}) could not be found.")


def create_change_set(
    engine: StackEngine,
    stack_name: str,
    change_set_name: str,
    *,
    template_body: str | None,
    filename: str = "",
    parameters: dict[str, Any] | None = None,
    use_previous_parameters: bool = True,
    change_set_type: str | None = None,
    options: StackOptions | None = None,
    description: str = "",
) -> ChangeSetRecord:
    from rosengine.engine.stack_engine import StackOptions, check_stack_name

    existing = engine.store.find_stack(stack_name)
    kind = _change_set_type(change_set_type, existing)
    if kind == ChangeSetType.CREATE and existing is not None and existing.status != Status.REVIEW_IN_PROGRESS:
        from rosengine.state.errors import stack_exists

        raise stack_exists(stack_name)
    if kind == ChangeSetType.UPDATE and (existing is None or existing.status == Status.REVIEW_IN_PROGRESS):
        from rosengine.state.errors import stack_not_found

        raise stack_not_found(stack_name)
    if kind == ChangeSetType.CREATE and template_body is None:
        raise StackError("InvalidParameter", "A CREATE change set needs a template.")
    check_stack_name(stack_name)
    opts = options or (StackOptions.from_dict(existing.options) if existing else StackOptions())
    stack, prepared, changes = engine.plan(
        stack_name,
        template_body,
        filename=filename,
        parameters=parameters,
        use_previous_parameters=use_previous_parameters,
        stack_name=stack_name,
        placeholders=opts.placeholders,
    )
    if stack is None:
        stack = existing
        if stack is None:
            stack = StackRecord(
                id=new_stack_id(),
                name=stack_name,
                status=Status.REVIEW_IN_PROGRESS,
                template_body=template_body or "",
                template_filename=filename,
                parameters=dict(parameters or {}),
                options=opts.as_dict(),
                no_echo=sorted(prepared.no_echo),
            )
            engine.store.insert_stack(stack)
        elif stack.status == Status.REVIEW_IN_PROGRESS:
            hidden = sorted(set(stack.no_echo) | set(prepared.no_echo))
            if hidden != stack.no_echo:
                engine.store.update_stack(stack.id, no_echo=hidden)
                stack.no_echo = hidden
        stored_params = dict(parameters or {})
    else:
        previous = dict(stack.parameters) if use_previous_parameters else {}
        stored_params = {
            k: v for k, v in {**previous, **(parameters or {})}.items() if k in prepared.parameters
        }
    if len(engine.store.list_change_sets(stack.id)) >= MAX_CHANGE_SETS:
        raise StackError("LimitExceeded", f"Stack {stack_name} already has {MAX_CHANGE_SETS} change sets.")
    record = ChangeSetRecord(
        id=str(uuid.uuid4()),
        stack_id=stack.id,
        stack_name=stack.name,
        name=change_set_name,
        type=kind,
        template_body=template_body if template_body is not None else stack.template_body,
        template_filename=filename or stack.template_filename,
        parameters=stored_params,
        options=opts.as_dict(),
        changes=[c.as_change(opts.placeholders) for c in changes if c.action != ChangeAction.NONE],
        description=description,
    )
    if (
        kind == ChangeSetType.UPDATE
        and not has_changes(changes)
        and record.template_body == stack.template_body
        and stored_params == stack.parameters
    ):
        record.status, record.execution_status = Status.CREATE_FAILED, ExecutionStatus.UNAVAILABLE
        record.reason = "The submitted information didn't contain changes."
    engine.store.insert_change_set(record)
    return record


def _change_set_type(given: str | None, existing: StackRecord | None) -> ChangeSetType:
    """ChangeSetType as given (any case), else UPDATE for a stack that exists and CREATE otherwise."""
    if not given:
        exists = existing is not None and existing.status != Status.REVIEW_IN_PROGRESS
        return ChangeSetType.UPDATE if exists else ChangeSetType.CREATE
    try:
        return ChangeSetType(given.upper())
    except ValueError:
        raise StackError(
            "InvalidParameter", f"ChangeSetType must be CREATE or UPDATE, got {given.upper()}."
        ) from None


def declared_no_echo(template_body: str, filename: str = "") -> set[str] | None:
    """Names of the parameters a template declares ``NoEcho: true``; ``None`` when the template
    cannot be read any more (then the caller must mask everything: never show a secret by accident)."""
    try:
        parameters = load_template(template_body, filename=filename or None).data.get("Parameters") or {}
    except Exception:
        return None
    if not isinstance(parameters, dict):
        return set()
    return {
        name for name, spec in parameters.items() if isinstance(spec, dict) and _truthy(spec.get("NoEcho"))
    }


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def change_set_view(engine: StackEngine, record: ChangeSetRecord) -> dict[str, Any]:
    """GetChangeSet's shape with NoEcho parameters masked (those of the change set's template and
    of its stack)."""
    stack = engine.store.find_stack(record.stack_id)
    hidden = set(stack.no_echo) if stack else set()
    declared = declared_no_echo(record.template_body, record.template_filename)
    hidden |= set(record.parameters) if declared is None else declared
    return record.as_api(sorted(hidden))


def find_change_set(engine: StackEngine, name_or_id: str, stack_name: str | None) -> ChangeSetRecord:
    stack_id = None
    if stack_name:
        stack = engine.get_stack(stack_name)
        stack_id = stack.id
    found = engine.store.find_change_set(name_or_id, stack_id)
    if found is None:
        raise _not_found(name_or_id)
    return found


def execute_change_set(engine: StackEngine, name_or_id: str, stack_name: str | None) -> StackRecord:
    from rosengine.engine.stack_engine import StackOptions

    change_set = find_change_set(engine, name_or_id, stack_name)
    if change_set.execution_status != ExecutionStatus.AVAILABLE:
        raise StackError(
            INVALID_STACK_STATE,
            f"The ChangeSet ({change_set.name}) is {change_set.execution_status} and cannot be executed.",
        )
    options = StackOptions.from_dict(change_set.options)
    engine.store.update_change_set(change_set.id, execution_status=ExecutionStatus.EXECUTE_IN_PROGRESS)
    if change_set.type == ChangeSetType.CREATE:
        stack = engine.create_stack(
            change_set.stack_name,
            change_set.template_body,
            filename=change_set.template_filename,
            parameters=change_set.parameters,
            options=options,
        )
        ok = stack.status == Status.CREATE_COMPLETE
    else:
        stack = engine.update_stack(
            change_set.stack_id,
            template_body=change_set.template_body,
            filename=change_set.template_filename,
            parameters=change_set.parameters,
            use_previous_parameters=False,
            options=options,
        )
        ok = stack.status == Status.UPDATE_COMPLETE
    with engine.store.transaction():
        engine.store.update_change_set(
            change_set.id,
            execution_status=ExecutionStatus.EXECUTE_COMPLETE if ok else ExecutionStatus.EXECUTE_FAILED,
        )
        for other in engine.store.list_change_sets(stack.id):
            if other.id != change_set.id and other.execution_status == ExecutionStatus.AVAILABLE:
                engine.store.update_change_set(other.id, execution_status=ExecutionStatus.OBSOLETE)
    return stack


def delete_change_set(engine: StackEngine, name_or_id: str, stack_name: str | None) -> None:
    change_set = find_change_set(engine, name_or_id, stack_name)
    if change_set.execution_status == ExecutionStatus.EXECUTE_IN_PROGRESS:
        raise StackError(INVALID_STACK_STATE, f"The ChangeSet ({change_set.name}) is being executed.")
    engine.store.delete_change_set(change_set.id)
    stack = engine.store.find_stack(change_set.stack_id)
    if (
        stack is not None
        and stack.status == Status.REVIEW_IN_PROGRESS
        and not engine.store.list_change_sets(stack.id)
    ):
        engine.store.remove_stack(stack.id)  # the review stack existed only for this change set
