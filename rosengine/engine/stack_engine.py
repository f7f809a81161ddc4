"""The stack engine's public face: create, update, delete, continue, rollback, preview and
change sets over a state store.

Why this shape: each public method validates first (nothing starts on a bad template: the
caller gets TemplateErrors or a StackError), then takes the stack's lock, runs the operation with
a heartbeat, and returns the stack record in its final status. A failed operation is not an
exception: the record says ``*_FAILED`` / ``*_ROLLBACK_*`` and why, as ROS does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resource_types import registry
from rosengine.engine.clients import ClientFactory, ServiceClient
from rosengine.engine.create import create_resources, failure_reason, register_pending
from rosengine.engine.delete import delete_resources
from rosengine.engine.diff import normalise
from rosengine.engine.errors import (
    INVALID_STACK_STATE,
    NOT_SUPPORTED,
    STACK_VALIDATION_FAILED,
    StackError,
    stack_not_found,
)
from rosengine.engine.identity import identity_dict, new_stack_id, pseudo_parameters, stack_identity
from rosengine.engine.nested import NestedStacks, nested_template_errors, nesting_depth
from rosengine.engine.operation import Heartbeat, OperationContext, describe_error, provider_type
from rosengine.engine.outputs import evaluate_outputs
from rosengine.engine.placeholders import placeholder_signallers, with_placeholders
from rosengine.engine.preflight import merged, missing_providers, static_errors
from rosengine.engine.progress import NullListener, ProgressListener
from rosengine.errors import TemplateError, TemplateErrors
from rosengine.state import open_store
from rosengine.state.models import ROLE_CURRENT, ResourceRecord, StackRecord
from rosengine.state.owner import Owner
from rosengine.state.statuses import Action, Phase, Status
from rosengine.state.store import StateStore
from rosengine.template import PreparedTemplate, load_template, prepare
from rosengine.transform.render import processed_text

UPDATABLE = (Status.CREATE_COMPLETE, Status.UPDATE_COMPLETE, Status.UPDATE_FAILED, Status.ROLLBACK_COMPLETE)
DEFAULT_TIMEOUT_MINS = 60
DEFAULT_CONCURRENCY = 8
_STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")


@dataclass
class StackOptions:
    """Options persisted on the stack (and reused by later operations unless overridden)."""

    disable_rollback: bool = False
    timeout_mins: float = DEFAULT_TIMEOUT_MINS
    concurrency: int = DEFAULT_CONCURRENCY
    # UNCONFIRMED deviation: ROS defaults ReplacementOption to Disabled; locally, replacing a
    # resource whose create-only property changed is what a developer iterating expects.
    replacement: bool = True
    # Deploy types with no local twin as marked placeholders (only when asked: --placeholders).
    placeholders: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> StackOptions:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)


def check_stack_name(name: str) -> None:
    if not _STACK_NAME.match(name or ""):
        raise StackError(
            STACK_VALIDATION_FAILED,
            f"Invalid stack name {name!r}: up to 255 letters, digits, '-' or '_', starting with a "
            "letter or digit.",
        )


def stack_name_from_file(path: str) -> str:
    """A valid stack name from a template file's stem (the default of ``ros stack create``):
    each run of characters a stack name cannot hold becomes '-', leading '-'/'_' are dropped,
    at most 255 characters; ``stack`` when nothing usable is left (``my rules.yml`` -> ``my-rules``)."""
    stem = Path(path).stem
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).lstrip("-_")[:255].rstrip("-")
    return name or "stack"


def check_timeout(minutes: float) -> None:
    if minutes <= 0:
        raise StackError(STACK_VALIDATION_FAILED, f"TimeoutInMinutes must be positive, got {minutes}.")


class StackEngine:
    def __init__(
        self,
        store: StateStore | None = None,
        *,
        listener: ProgressListener | None = None,
        ensure_backend: Callable[[], object] | None = None,
        owner: Owner | None = None,
        client_builders: dict[str, Callable[[], ServiceClient]] | None = None,
    ):
        self.store = store or open_store()
        self.listener = listener or NullListener()
        # Called before the first client of the backend is built: the CLI starts the backend there.
        self.ensure_backend = ensure_backend
        self.owner = owner or Owner.current()
        self.client_builders = client_builders

    # -- lookups --------------------------------------------------------------------------------
    def _refuse_nested(self, stack: StackRecord, verb: str) -> None:
        """A nested stack changes only with its parent (as in ROS), while the parent lives."""
        if not stack.parent_stack_id:
            return
        parent = self.store.find_stack(stack.parent_stack_id)
        if parent is not None and parent.status != "DELETE_COMPLETE":
            raise StackError(
                INVALID_STACK_STATE,
                f"Stack {stack.name} is nested in stack {parent.name}: it is {verb} with its parent "
                f"(update or delete {parent.name} instead).",
            )

    def read_oss(self, bucket: str, key: str) -> bytes:
        """An object of the local object store (a nested stack's ``oss://`` TemplateURL)."""
        clients = ClientFactory(self.ensure_backend, builders=self.client_builders)
        try:
            return bytes(clients("oss").get_object(bucket, key))
        finally:
            clients.close()

    def get_stack(self, name_or_id: str) -> StackRecord:
        stack = self.store.find_stack(name_or_id)
        if stack is None:
            raise stack_not_found(name_or_id)
        return stack

    def _prepare(
        self,
        stack: StackRecord,
        body: str,
        filename: str,
        parameters: dict[str, Any],
        previous: dict[str, Any] | None = None,
        *,
        check: bool = True,
        creatable: bool = True,
        placeholders: bool = False,
    ) -> PreparedTemplate:
        template = load_template(body, filename=filename or None)
        ident = stack_identity(stack.name, stack.id, stack.identity)
        static = static_errors(template, parameters) if check else []
        nested_missing: dict[str, list[str]] = {}
        if check:
            provided = registry.provider_types()
            nested_static, nested_missing = nested_template_errors(
                template,
                depth=nesting_depth(self, stack),
                read_oss=self.read_oss,
                creatable=lambda kind: (
                    placeholders
                    or provider_type(kind) in provided
                    or registry.schema(provider_type(kind)) is None
                ),
            )
            static = merged(static, nested_static)
        try:
            prepared = prepare(
                template, parameters, identity=ident, stack_outputs=self.store, previous_parameters=previous
            )
        except (TemplateError, TemplateErrors) as exc:
            # Report every problem at once, as ros validate would; what prepare found stays too
            # (a static check cannot see everything a real one does: a parameter's real value).
            found = [template.locate(e) for e in (exc.errors if isinstance(exc, TemplateErrors) else [exc])]
            raise TemplateErrors(merged(static or static_errors(template, parameters), found)) from None
        refuse_missing = check and creatable and not placeholders
        unprovided = (
            missing_providers(prepared, registry.provider_types(), nested_missing) if refuse_missing else None
        )
        if static or unprovided:
            raise TemplateErrors(static + ([unprovided] if unprovided else []))
        return prepared

    @staticmethod
    def display_parameters(prepared: PreparedTemplate) -> dict[str, Any]:
        shown = dict(pseudo_parameters(prepared.identity))
        shown.update(prepared.parameters)
        return shown

    @contextmanager
    def _running(
        self,
        stack: StackRecord,
        options: StackOptions,
        template: Any = None,
        rows: list[ResourceRecord] | None = None,
    ) -> Iterator[OperationContext]:
        """Heartbeat + runtime for a stack this engine already holds; the lock is released and
        clients closed at the end whatever happens (the stack as the release left it is
        ``rt.released``: see :meth:`_result`). ``rows``: its resource rows, when just read."""
        clients = ClientFactory(self.ensure_backend, builders=self.client_builders)
        rt = OperationContext(
            self.store,
            stack,
            self.listener,
            owner=self.owner,
            concurrency=options.concurrency,
            timeout_mins=options.timeout_mins,
            clients=clients,
            placeholders=options.placeholders,
            template=template,
            rows=rows,
        )
        clients.add_builder("ros-stacks", lambda: NestedStacks(self, rt, options, self.read_oss))
        try:
            with Heartbeat(self.store, stack.id, self.owner):
                yield rt
                rt.recorder.flush()  # what an operation deferred and nothing committed since
        finally:
            clients.close()
            last = rt.release_batch
            if last is not None and last.released:
                rt.released = last.released_stack
            else:
                rt.released = self.store.release(stack.id, self.owner)

    def _result(self, rt: OperationContext) -> StackRecord:
        """The stack an operation left: as its release returned it (no read of its own), or
        read when another owner had taken it over meanwhile."""
        return rt.released or self.get_stack(rt.stack.id)

    def _guard(self, rt: OperationContext, action: Action, body: Callable[[], None]) -> None:
        """Run an operation body; an unexpected error (a bug, a broken provider contract) still
        ends the operation in ``<ACTION>_FAILED`` with a reason instead of leaving it running."""
        try:
            body()
        except Exception as exc:
            rt.recorder.stack_status(Status.of(action, Phase.FAILED), f"InternalError: {describe_error(exc)}")

    # -- create ---------------------------------------------------------------------------------
    def create_stack(
        self,
        name: str,
        template_body: str,
        *,
        filename: str = "",
        parameters: dict[str, Any] | None = None,
        options: StackOptions | None = None,
        parent: StackRecord | None = None,
    ) -> StackRecord:
        """CreateStack. ``parent``: the stack whose ALIYUN::ROS::Stack resource this one is."""
        options = options or StackOptions()
        check_stack_name(name)
        check_timeout(options.timeout_mins)
        existing = self.store.find_stack(name)
        if existing is not None and existing.status != Status.REVIEW_IN_PROGRESS:
            from rosengine.state.errors import stack_exists

            raise stack_exists(name)
        if existing is not None:  # a stack made by a CREATE change set, now executed
            stack = existing
            stack.status = Status.CREATE_IN_PROGRESS
        else:
            stack = StackRecord(id=new_stack_id(), name=name, status=Status.CREATE_IN_PROGRESS)
        if parent is not None:
            stack.parent_stack_id = parent.id
            stack.root_stack_id = parent.root_stack_id or parent.id
            stack.identity = dict(parent.identity)
        prepared = self._prepare(
            stack, template_body, filename, dict(parameters or {}), placeholders=options.placeholders
        )
        stack.template_body, stack.template_filename = template_body, filename
        stack.processed_template = processed_text(prepared.template)
        stack.parameters = dict(parameters or {})
        stack.resolved_parameters = self.display_parameters(prepared)
        stack.no_echo = sorted(prepared.no_echo)
        stack.identity = identity_dict(prepared.identity)
        stack.options = options.as_dict()
        stack.description = str(prepared.template.data.get("Description") or "")
        stack.operation = {"action": Action.CREATE}
        stack.owner_pid, stack.owner_host, stack.owner_started = (
            self.owner.pid,
            self.owner.host,
            self.owner.started,
        )
        stack.heartbeat = time.time()
        if existing is None:
            self.store.insert_stack(stack)
            return self._run_create(stack, prepared, options, rows=[])
        else:
            self.store.acquire(stack.id, self.owner)
            self.store.update_stack(
                stack.id,
                template_body=stack.template_body,
                template_filename=filename,
                processed_template=stack.processed_template,
                parameters=stack.parameters,
                resolved_parameters=stack.resolved_parameters,
                no_echo=stack.no_echo,
                identity=stack.identity,
                options=stack.options,
                description=stack.description,
                operation=stack.operation,
            )
        return self._run_create(stack, prepared, options)

    def _run_create(
        self,
        stack: StackRecord,
        prepared: PreparedTemplate,
        options: StackOptions,
        *,
        started_reason: str = "Stack CREATE started",
        rows: list[ResourceRecord] | None = None,
    ) -> StackRecord:
        """``rows``: the stack's resource rows when known (none: a stack just inserted)."""
        with self._running(stack, options, prepared.template, rows) as rt:
            self._guard(rt, Action.CREATE, lambda: self._create_body(rt, prepared, options, started_reason))
        return self._result(rt)

    def _create_body(
        self, rt: OperationContext, prepared: PreparedTemplate, options: StackOptions, started_reason: str
    ) -> None:
        order = list(prepared.graph.creation_order())
        # The stack's status and the pending rows go with the first wave's commit.
        rt.recorder.defer(lambda: rt.recorder.stack_status(Status.CREATE_IN_PROGRESS, started_reason))
        register_pending(rt, prepared, order)
        rt.placeholder_signallers = placeholder_signallers(prepared, rt.is_placeholder_type)
        todo = [lid for lid in order if rt.resources[lid].status != Status.CREATE_COMPLETE]
        result = create_resources(rt, prepared, todo)
        reason = ""
        if result.ok:
            try:
                outputs = evaluate_outputs(rt, prepared)
            except Exception as exc:
                reason = f"Outputs could not be evaluated: {describe_error(exc)}"
            else:
                done = with_placeholders("Stack CREATE completed successfully", rt.resources.values())
                with rt.recorder.grouped():  # the outputs, the final status, the unlock: one commit
                    with self.store.batch() as batch:
                        batch.set_outputs(rt.stack.id, outputs)
                    rt.recorder.stack_status(Status.CREATE_COMPLETE, done, operation=None)
                    rt.release_with_last_commit()
                return
        reason = reason or failure_reason(rt, result, Action.CREATE)
        rt.recorder.stack_status(Status.CREATE_FAILED, reason)
        if not options.disable_rollback:
            self._rollback_create(rt, reason)

    def _rollback_create(self, rt: OperationContext, reason: str) -> None:
        rt.restart_deadline()
        rt.recorder.stack_status(Status.CREATE_ROLLBACK_IN_PROGRESS, f"Rollback started: {reason}")
        result = delete_resources(rt, self.store.get_resources(rt.stack.id))
        with rt.recorder.grouped():  # the outputs cleared, the final status, the unlock: one commit
            with self.store.batch() as batch:
                batch.set_outputs(rt.stack.id, [])
            if result.ok:
                rt.recorder.stack_status(
                    Status.CREATE_ROLLBACK_COMPLETE, f"Rolled back: {reason}", operation=None
                )
            else:
                rt.recorder.stack_status(
                    Status.CREATE_ROLLBACK_FAILED, failure_reason(rt, result, Action.DELETE)
                )
            rt.release_with_last_commit()

    # -- delete ---------------------------------------------------------------------------------
    def delete_stack(
        self,
        name_or_id: str,
        *,
        retain: Iterable[str] = (),
        options: StackOptions | None = None,
        as_nested: bool = False,
    ) -> StackRecord:
        stack = self.get_stack(name_or_id)
        if not as_nested:
            self._refuse_nested(stack, "deleted")
        stack = self.store.acquire(stack.id, self.owner, allow_interrupted=True, seen=stack)
        opts = options or StackOptions.from_dict(stack.options)
        rows = self.store.get_resources(stack.id)  # every role: a delete removes them all
        with self._running(stack, opts, rows=rows) as rt:
            self._guard(rt, Action.DELETE, lambda: self._delete_body(rt, rows, frozenset(retain)))
        return self._result(rt)

    def _delete_body(self, rt: OperationContext, rows: list[ResourceRecord], retain: frozenset[str]) -> None:
        rt.recorder.defer(  # with the first wave's commit
            lambda: rt.recorder.stack_status(
                Status.DELETE_IN_PROGRESS, "Stack DELETE started", operation={"action": Action.DELETE}
            )
        )
        result = delete_resources(rt, rows, retain=retain)
        with rt.recorder.grouped():  # the outputs cleared, the final status, the unlock: one commit
            if result.ok:
                with self.store.batch() as batch:
                    batch.set_outputs(rt.stack.id, [])
                rt.recorder.stack_status(Status.DELETE_COMPLETE, "Stack successfully deleted", operation=None)
            else:
                rt.recorder.stack_status(Status.DELETE_FAILED, failure_reason(rt, result, Action.DELETE))
            rt.release_with_last_commit()

    # -- continue / rollback after a failure or a dead process --------------------------------
    def continue_create(self, name_or_id: str, *, options: StackOptions | None = None) -> StackRecord:
        """ContinueCreateStack (Mode Recreate): retry failed and not-created resources; a create
        that was started but never recorded is looked up with the provider's read() and adopted
        when found, else created again."""
        stack = self.get_stack(name_or_id)
        if stack.status not in (Status.CREATE_FAILED, Status.CREATE_IN_PROGRESS):
            raise StackError(
                INVALID_STACK_STATE,
                f"Stack {stack.name} is {stack.status}; only a failed or interrupted create can be "
                "continued.",
            )
        stack = self.store.acquire(stack.id, self.owner, allow_interrupted=True)
        opts = options or StackOptions.from_dict(stack.options)
        prepared = self._prepare(
            stack,
            stack.template_body,
            stack.template_filename,
            stack.parameters,
            check=False,
            placeholders=opts.placeholders,
        )
        with self._running(stack, opts, prepared.template) as rt:
            self._guard(rt, Action.CREATE, lambda: self._continue_body(rt, prepared, opts))
        return self._result(rt)

    def _continue_body(self, rt: OperationContext, prepared: PreparedTemplate, options: StackOptions) -> None:
        for record in list(rt.resources.values()):
            if record.status == Status.CREATE_IN_PROGRESS and not record.physical_id:
                found = rt.find_unrecorded(record)
                if found:
                    record.physical_id = found
                    rt.recorder.resource(
                        record,
                        Status.CREATE_COMPLETE,
                        "Found by the provider after the interrupted create; adopted",
                    )
        self._create_body(rt, prepared, options, "Stack CREATE continued")

    def rollback_stack(self, name_or_id: str) -> StackRecord:
        """Undo a failed or interrupted create (delete what exists) or update (back to the
        previous template and parameters)."""
        stack = self.get_stack(name_or_id)
        action = stack.action
        if action in (Action.CREATE, Action.CREATE_ROLLBACK):
            if stack.status == Status.CREATE_COMPLETE or stack.status == Status.CREATE_ROLLBACK_COMPLETE:
                raise StackError(
                    INVALID_STACK_STATE, f"Stack {stack.name} is {stack.status}; nothing to roll back."
                )
            stack = self.store.acquire(stack.id, self.owner, allow_interrupted=True)
            opts = StackOptions.from_dict(stack.options)
            reason = stack.reason or "the create was interrupted"
            with self._running(stack, opts) as rt:
                self._guard(rt, Action.CREATE_ROLLBACK, lambda: self._rollback_create(rt, reason))
            return self._result(rt)
        if action in (Action.UPDATE, Action.ROLLBACK) and stack.status not in (
            Status.UPDATE_COMPLETE,
            Status.ROLLBACK_COMPLETE,
        ):
            from rosengine.engine.update import run_update_rollback

            stack = self.store.acquire(stack.id, self.owner, allow_interrupted=True)
            opts = StackOptions.from_dict(stack.options)
            with self._running(stack, opts) as rt:
                self._guard(
                    rt, Action.ROLLBACK, lambda: run_update_rollback(self, rt, stack.reason or "interrupted")
                )
            return self._result(rt)
        raise StackError(INVALID_STACK_STATE, f"Stack {stack.name} is {stack.status}; nothing to roll back.")

    # -- update ---------------------------------------------------------------------------------
    def _update_inputs(
        self,
        stack: StackRecord,
        template_body: str | None,
        filename: str | None,
        parameters: dict[str, Any] | None,
        use_previous_parameters: bool,
        creatable: bool = True,
        placeholders: bool = False,
    ) -> tuple[Any, str, str, dict]:
        """Prepare the new template; returns (prepared, body, filename, raw parameters to store)."""
        body = template_body if template_body is not None else stack.template_body
        name = filename if filename is not None else stack.template_filename
        given = dict(parameters or {})
        previous = dict(stack.parameters) if use_previous_parameters else None
        prepared = self._prepare(
            stack, body, name, given, previous, creatable=creatable, placeholders=placeholders
        )
        declared = set(prepared.parameters)
        stored = {k: v for k, v in {**(previous or {}), **given}.items() if k in declared}
        return prepared, body, name, stored

    def plan(
        self,
        name_or_id: str | None,
        template_body: str | None,
        *,
        filename: str | None = None,
        parameters: dict[str, Any] | None = None,
        use_previous_parameters: bool = True,
        stack_name: str | None = None,
        preview: bool = False,
        placeholders: bool = False,
    ) -> tuple[StackRecord | None, Any, list[Any]]:
        """The changes a create (no such stack) or update would make: (stack, prepared, changes).

        ``preview=True`` (PreviewStack changes nothing) also plans types that have no local
        provider: they are shown as they would be created, with a note, instead of refused."""
        from rosengine.engine.plan import plan_create, plan_update

        stack = self.store.find_stack(name_or_id) if name_or_id else None
        if stack is None or stack.status == Status.REVIEW_IN_PROGRESS:
            if template_body is None:
                raise stack_not_found(name_or_id or "")
            name = stack_name or name_or_id or "stack"
            probe = stack or StackRecord(id=new_stack_id(), name=name, status=Status.REVIEW_IN_PROGRESS)
            prepared = self._prepare(
                probe,
                template_body,
                filename or "",
                dict(parameters or {}),
                creatable=not preview,
                placeholders=placeholders,
            )
            return None, prepared, plan_create(prepared)
        prepared, _, _, _ = self._update_inputs(
            stack,
            template_body,
            filename,
            parameters,
            use_previous_parameters,
            creatable=not preview,
            placeholders=placeholders,
        )
        current = {r.logical_id: r for r in self.store.get_resources(stack.id, role=ROLE_CURRENT)}
        return stack, prepared, plan_update(prepared, current)

    def update_stack(
        self,
        name_or_id: str,
        *,
        template_body: str | None = None,
        filename: str | None = None,
        parameters: dict[str, Any] | None = None,
        use_previous_parameters: bool = True,
        options: StackOptions | None = None,
        as_nested: bool = False,
    ) -> StackRecord:
        """UpdateStack. ``template_body=None`` reuses the current template; parameters not given
        keep their previous values (UsePreviousParameters). An update that would change nothing
        raises StackError(NotSupported) and touches nothing. A nested stack is updated only by its
        parent (``as_nested``)."""
        from rosengine.engine.plan import has_changes, plan_update
        from rosengine.engine.update import finish_update

        stack = self.get_stack(name_or_id)
        if not as_nested:
            self._refuse_nested(stack, "updated")
        if stack.status not in UPDATABLE:
            if stack.in_progress:
                self.store.acquire(stack.id, self.owner)  # raises ActionInProgress / interrupted
            raise StackError(
                INVALID_STACK_STATE,
                f"Stack {stack.name} is {stack.status}; it cannot be updated in this state.",
            )
        opts = options or StackOptions.from_dict(stack.options)
        check_timeout(opts.timeout_mins)
        prepared, body, filename, stored = self._update_inputs(
            stack,
            template_body,
            filename,
            parameters,
            use_previous_parameters,
            placeholders=opts.placeholders,
        )
        current = {r.logical_id: r for r in self.store.get_resources(stack.id, role=ROLE_CURRENT)}
        display = self.display_parameters(prepared)
        changes = plan_update(prepared, current)
        if (
            not has_changes(changes)
            and body == stack.template_body
            and normalise(display) == normalise(stack.resolved_parameters)
        ):
            raise StackError(
                NOT_SUPPORTED,
                f"Update of stack {stack.name} is not needed: the template, "
                "parameters and resolved properties are unchanged.",
            )
        stack = self.store.acquire(stack.id, self.owner)
        previous = {
            "template_body": stack.template_body,
            "template_filename": stack.template_filename,
            "processed_template": stack.processed_template,
            "parameters": stack.parameters,
            "resolved_parameters": stack.resolved_parameters,
            "no_echo": stack.no_echo,
            "description": stack.description,
        }
        with self._running(stack, opts, prepared.template) as rt:

            def body_() -> None:
                rt.recorder.stack_status(
                    Status.UPDATE_IN_PROGRESS,
                    "Stack UPDATE started",
                    operation={"action": Action.UPDATE, "previous": previous},
                    template_body=body,
                    template_filename=filename,
                    processed_template=processed_text(prepared.template),
                    parameters=stored,
                    resolved_parameters=display,
                    no_echo=sorted(prepared.no_echo),
                    description=str(prepared.template.data.get("Description") or ""),
                    options={
                        **stack.options,
                        "timeout_mins": opts.timeout_mins,
                        "concurrency": opts.concurrency,
                        "replacement": opts.replacement,
                        "placeholders": opts.placeholders,
                    },
                )
                finish_update(self, rt, prepared, opts)

            self._guard(rt, Action.UPDATE, body_)
        return self._result(rt)

    # -- signals --------------------------------------------------------------------------------
    def signal_resource(
        self,
        name_or_id: str,
        logical_id: str,
        *,
        status: str,
        unique_id: str | None = None,
        reason: str | None = None,
        data: Any = None,
    ) -> dict[str, Any]:
        """SignalResource: send a WaitConditionHandle a signal by hand (``logical_id`` names the
        handle, or a WaitCondition waiting on it). The signal goes where the handle's URL would
        take it: the provider hands it to the backend's ROS callbacks service."""
        from rosengine.engine.signals import send_signal

        stack = self.get_stack(name_or_id)
        return send_signal(
            self,
            stack,
            logical_id,
            {"status": status, "id": unique_id, "reason": reason, "data": data},
        )

    # -- reading --------------------------------------------------------------------------------
    def resources(self, name_or_id: str) -> list[Any]:
        stack = self.get_stack(name_or_id)
        return self.store.get_resources(stack.id, role=ROLE_CURRENT)
