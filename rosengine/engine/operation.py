"""Everything one running operation shares: the locked stack, the recorder, the deadline, the
provider contexts, the heartbeat, and the resource rows as they change.

Why one object: create, update, delete and their rollbacks are separate modules, but they all
call providers the same way (on worker threads, with a context whose ``deadline()`` and
``clients()`` belong to this operation) and record results the same way.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from resource_types import registry
from resource_types.base import (
    ProviderContext,
    ProviderError,
    ResourceNotFound,
    ResourceProvider,
    found_by_properties,
)
from resource_types.placeholder import PlaceholderProvider
from rosengine.engine.clients import ClientFactory
from rosengine.engine.deadline import Deadline
from rosengine.engine.executor import Outcome, WalkResult, Work, walk
from rosengine.engine.progress import ProgressListener
from rosengine.engine.recorder import Recorder
from rosengine.errors import INVALID_TEMPLATE_ATTRIBUTE, TemplateError, TemplateErrors
from rosengine.state.models import ROLE_CURRENT, ResourceRecord, StackRecord
from rosengine.state.owner import Owner
from rosengine.state.statuses import Status
from rosengine.state.store import StateBatch, StateStore
from rosengine.template.model import Template
from rosengine.validate.resource_schemas import CUSTOM_PREFIX, CUSTOM_RESOURCE

HEARTBEAT_SECONDS = 5.0


def describe_error(exc: BaseException) -> str:
    """A one-line reason for the event log."""
    if isinstance(exc, ProviderError):
        return f"{exc.code}: {exc.message}"
    if isinstance(exc, TemplateErrors):
        return "; ".join(str(e) for e in exc.errors)
    if isinstance(exc, TemplateError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class Heartbeat:
    """Refreshes the owner's heartbeat so other commands can tell a live operation from a dead one."""

    def __init__(self, store: StateStore, stack_id: str, owner: Owner, every: float = HEARTBEAT_SECONDS):
        self._store, self._stack_id, self._owner, self._every = store, stack_id, owner, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ros-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._store.beat(self._stack_id, self._owner)
            except Exception:
                pass


def provider_type(type_name: str) -> str:
    """The type whose provider and schema serve ``type_name``: ``Custom::<Name>`` is a custom
    resource (ALIYUN::ROS::CustomResource), everything else itself."""
    return CUSTOM_RESOURCE if type_name.startswith(CUSTOM_PREFIX) else type_name


class OperationContext:
    def __init__(
        self,
        store: StateStore,
        stack: StackRecord,
        listener: ProgressListener,
        *,
        owner: Owner,
        concurrency: int,
        timeout_mins: float,
        clients: ClientFactory | None = None,
        placeholders: bool = False,
        template: Template | None = None,
        rows: Iterable[ResourceRecord] | None = None,
    ):
        """``rows``: the stack's resource rows when the caller has just read them (or knows there
        are none: a stack it has just inserted), so they are not read again; on a shared
        PostgreSQL every read is a round trip."""
        self.store = store
        self.stack = stack
        self.owner = owner
        self.recorder = Recorder(store, stack, listener)
        self.concurrency = max(1, concurrency)
        self.timeout_mins = timeout_mins
        self.deadline = Deadline(timeout_mins)
        self.clients = clients or ClientFactory()
        # Types with no local twin are deployed as placeholders (the user asked: --placeholders).
        self.placeholders = placeholders
        # The template this operation runs (None for deletes): where nested-stack problems are
        # located in the parent.
        self.template = template
        # The stack as releasing it at the end left it (set by the engine; None while running).
        self.released: StackRecord | None = None
        # The batch that unlocks the stack with the operation's last commit, once asked for.
        self.release_batch: StateBatch | None = None
        # WaitConditions only placeholders could signal -> those placeholders ("Id (Type)").
        self.placeholder_signallers: dict[str, tuple[str, ...]] = {}
        # Current rows by logical id: what Ref / GetAtt resolve against.
        if rows is None:
            rows = store.get_resources(stack.id, role=ROLE_CURRENT)
        self.resources: dict[str, ResourceRecord] = {r.logical_id: r for r in rows if r.role == ROLE_CURRENT}

    def release_with_last_commit(self) -> None:
        """Unlock the stack in the batch this thread has open: the operation's last commit (its
        final status), so unlocking costs no write of its own. Nothing after it writes to the
        stack; the engine unlocks the stack itself when that commit did not happen."""
        with self.store.batch() as batch:
            batch.release(self.stack.id, self.owner)
        self.release_batch = batch

    def restart_deadline(self) -> None:
        """A rollback gets the full timeout again (it must be able to finish)."""
        self.deadline = Deadline(self.timeout_mins)

    # -- providers ------------------------------------------------------------------------------
    def provider(self, type_name: str) -> ResourceProvider:
        """The type's provider (``Custom::<Name>`` is ``ALIYUN::ROS::CustomResource``); a
        :class:`PlaceholderProvider` for a type without one when this operation deploys
        placeholders."""
        found = registry.get(provider_type(type_name))
        if found is None:
            raise ProviderError(f"Unknown resource type {type_name}", code="UnknownResourceType")
        if found.provider is None:
            if self.placeholders:
                return PlaceholderProvider(found.schema)
            raise ProviderError(
                f"Resource type {type_name} has no local twin; deploy it as a placeholder with "
                "--placeholders",
                code="NotSupported",
            )
        return found.provider()

    def record_provider(self, record: ResourceRecord) -> ResourceProvider:
        """The provider for an existing row: a placeholder of a type without a provider stays one
        (deleting it never needs --placeholders again); a stand-in its own provider deployed (a
        function with placeholder code) goes back to that provider."""
        found = registry.get(provider_type(record.type))
        if record.placeholder and found is not None and found.provider is None:
            return PlaceholderProvider(found.schema)
        return self.provider(record.type)

    def walk(
        self,
        nodes: Iterable[str],
        dependencies: Mapping[str, Iterable[str]],
        start: Callable[[str], Work | None],
        finish: Callable[[str, Outcome], bool],
    ) -> WalkResult:
        """:func:`~rosengine.engine.executor.walk` with this operation's concurrency and deadline,
        each pass recorded in one state batch (the recorder's group)."""
        return walk(
            nodes,
            dependencies,
            start,
            finish,
            concurrency=self.concurrency,
            deadline=self.deadline,
            grouped=self.recorder.grouped,
        )

    def progress(self, record: ResourceRecord, status: Status) -> Callable[[str], None]:
        """What a provider's ``ctx.emit`` does: a progress event of ``record`` (its row unchanged)."""
        return lambda message: self.recorder.resource_event(record, status, message)

    def is_placeholder_type(self, type_name: str) -> bool:
        """Whether this operation deploys resources of ``type_name`` as placeholders."""
        found = registry.get(provider_type(type_name))
        return self.placeholders and found is not None and found.provider is None

    def context(
        self, record: ResourceRecord, progress: Callable[[str], None] | None = None
    ) -> ProviderContext:
        ident = self.stack.identity
        return ProviderContext(
            stack_name=self.stack.name,
            stack_id=self.stack.id,
            region=ident.get("region", ""),
            account_id=ident.get("account_id", ""),
            logical_id=record.logical_id,
            resource_type=record.type,
            clients=self.clients,
            deadline=self.deadline.remaining,
            emit=progress or (lambda message: None),
            template_dir=self._template_dir(),
            placeholder_signallers=self.placeholder_signallers.get(record.logical_id, ()),
            placeholders=self.placeholders,
        )

    def _template_dir(self) -> str | None:
        """Directory of the stack's template file, for providers resolving local paths
        (Code.LocalPath); None when the template came from a string."""
        filename = self.stack.template_filename
        if not filename or filename.startswith("<"):
            return None
        return os.path.dirname(os.path.abspath(filename))

    def find_unrecorded(self, record: ResourceRecord) -> str | None:
        """A create that started but whose result was never recorded (the process died): ask the
        provider whether the resource exists, by its properties (``read`` with an empty physical
        id, see :meth:`ResourceProvider.read`). When it does, its attributes go into the row and
        its physical id is returned; any other answer (a read that fails included) means "not
        found, create it again"."""
        try:
            provider = self.record_provider(record)
            answer = provider.read(self.context(record), "", dict(record.properties))
        except Exception:
            return None
        found = found_by_properties(answer)
        if found is None:
            return None
        record.attributes = found.attributes
        return found.physical_id

    def delete_call(self, record: ResourceRecord) -> Callable[[], None]:
        provider = self.record_provider(record)
        ctx = self.context(record)
        physical_id = record.physical_id or ""
        properties = dict(record.properties)

        def work() -> None:
            try:
                provider.delete(ctx, physical_id, properties)
            except ResourceNotFound:
                return  # already gone counts as deleted

        return work

    # -- resolution callbacks ------------------------------------------------------------------
    def attribute(self, logical_id: str, name: str) -> Any:
        record = self.resources.get(logical_id)
        if record is None:
            raise TemplateError(INVALID_TEMPLATE_ATTRIBUTE, f"resource {logical_id} does not exist (yet)")
        if name in record.attributes:
            return record.attributes[name]
        schema = registry.schema(provider_type(record.type))
        if schema is not None and name in schema.attributes:
            return None  # declared but not reported by the provider
        raise TemplateError(
            INVALID_TEMPLATE_ATTRIBUTE,
            f"The Referenced Attribute ({logical_id} {name}) is incorrect: the resource has no "
            "such attribute.",
        )

    def physical_id(self, logical_id: str) -> Any:
        record = self.resources.get(logical_id)
        return record.physical_id if record is not None else None
