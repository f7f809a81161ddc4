"""The services around the FC API: async invocation, triggers, the object store, capacity.

Why one object: these parts share the backend's state (store, scheduler, config) and a clock, and
have a life cycle (dispatcher, timer loop and provisioning loop start and stop with the server).
:func:`fcbackend.composition.create_app` builds a :class:`BackendAddons` and puts it in the app:

* ``app.state.async_submit`` — the invoke route's hook for ``X-Fc-Invocation-Type: Async``;
* ``app.state.oss_service`` — the object store behind the OSS API (``fcbackend.oss.wiring``);
* ``state.alias_router`` — weighted alias routing with a seedable RNG;
* a scheduler listener collecting metrics;
* :data:`ROUTES` — proxy (http triggers), tasks, metrics, trigger test events.

Custom domains are routed by Host in :class:`fcbackend.triggers.routes.CustomDomainMiddleware`.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from fcbackend.asyncq.async_invoke_config import AsyncInvokeConfig
from fcbackend.asyncq.dispatcher import AsyncDispatcher, TargetGone
from fcbackend.asyncq.intake import IntakeError, build_submission
from fcbackend.asyncq.records import AsyncSubmission
from fcbackend.capacity.idle import FreezingDriver, IdlePolicy
from fcbackend.capacity.metrics import MetricsCollector
from fcbackend.capacity.provision import ProvisionEntry, ProvisionManager
from fcbackend.capacity.traffic import AliasTrafficRouter
from fcbackend.clock import DEFAULT_CLOCK, Clock
from fcbackend.fc3.configs import instance_caps
from fcbackend.models import FunctionSpec, HttpRequestInfo, InvocationRequest, InvocationResult
from fcbackend.oss.service import OssService
from fcbackend.oss.store import ObjectStore
from fcbackend.store.instance_registry import InstancePublisher
from fcbackend.store_factory import (
    open_async_queue,
    open_instance_registry,
    open_object_metadata,
    open_timer_state,
)
from fcbackend.triggers.model import TriggerInfo
from fcbackend.triggers.oss_events import OssTriggerNotifier
from fcbackend.triggers.timer import TimerService

log = logging.getLogger(__name__)

# kinds in the API's metadata store (fcbackend.api.state); repeated here so this module imports
# without the API package
_TRIGGER, _ASYNC_CONFIG = "trigger", "async_config"
_PROVISION, _ON_DEMAND = "provision_config", "on_demand_config"


class BackendAddons:
    def __init__(
        self,
        state: Any,
        *,
        state_dir: Path,
        clock: Clock = DEFAULT_CLOCK,
        seed: int | None = None,
        async_concurrency: int = 32,
    ) -> None:
        self.state = state  # fcbackend.api.state.BackendState
        self.clock = clock
        config = state.config
        self.region, self.account_id = config.region, config.account_id
        self.async_store = open_async_queue(state.databases)
        self.dispatcher = AsyncDispatcher(
            self.async_store,
            self._invoke_target,
            persist_records=state.recorder.flush,
            clock=clock,
            concurrency=async_concurrency,
            config_for=self.async_config,
            interrupt=self._interrupt,
            region=self.region,
            account_id=self.account_id,
        )
        objects = ObjectStore(
            config.oss_dir,
            clock=clock,
            region=self.region,
            metadata=open_object_metadata(
                state.databases, config.oss_dir, shared=config.shared_dir is not None
            ),
        )
        self.oss = OssService(objects)
        self.oss.add_listener(
            OssTriggerNotifier(
                lambda: self.triggers("oss"),
                self.fire_trigger,
                region=self.region,
                account_id=self.account_id,
                clock=clock,
            )
        )
        self.timers = TimerService(
            lambda: self.triggers("timer"),
            self.fire_trigger,
            clock=clock,
            state=open_timer_state(state.databases),
            refresh_s=1.0,
        )
        # Backends on a shared database list each other's instances (none to share on SQLite).
        registry = open_instance_registry(state.databases)
        self.instance_publisher = (
            None if registry is None else InstancePublisher(registry, self.instances, clock=clock)
        )
        self.metrics = MetricsCollector()
        self.router = AliasTrafficRouter(seed)
        self.idle = IdlePolicy()
        self.provisioning = ProvisionManager(
            self.provision_entries,
            self._apply_provision,
            clock=clock,
            utilization=self._utilization,
            interval_s=2.0,
        )
        self._capped: set[tuple[str, str]] = set()
        self._started = False

    # -- life cycle ---------------------------------------------------------------------------

    def attach(self) -> None:
        """Hooks that need no running loop: alias routing and the metrics listener."""
        self.state.alias_router = self.router
        self.state.scheduler.add_listener(self.metrics)

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        await self.dispatcher.start()
        await self.timers.start()
        await self.provisioning.start()
        if self.instance_publisher is not None:
            await self.instance_publisher.start()

    async def close(self) -> None:
        if not self._started:
            return
        self._started = False
        if self.instance_publisher is not None:
            await self.instance_publisher.close()
        await self.provisioning.close()
        await self.timers.close()
        await self.dispatcher.close()
        self.async_store.close()

    def wrap_drivers(self, drivers: dict[str, Any]) -> dict[str, Any]:
        """Idle mode: wrap the scheduler's drivers so idle provisioned instances get frozen."""
        return {
            name: d if isinstance(d, FreezingDriver) else FreezingDriver(d, self.idle, clock=self.clock)
            for name, d in drivers.items()
        }

    # -- async invocation ---------------------------------------------------------------------

    def async_config(self, service: str, function: str, qualifier: str) -> AsyncInvokeConfig:
        meta = self.state.meta
        for q in dict.fromkeys((qualifier or "LATEST", "LATEST")):
            doc = meta.get(_ASYNC_CONFIG, service, f"{function}@{q}")
            if doc is not None:
                return AsyncInvokeConfig.from_api(doc)
        return AsyncInvokeConfig()

    async def async_submit(self, spec: FunctionSpec, inv: InvocationRequest, request: Any = None) -> Any:
        """The invoke route's hook: make the event durable, then answer 202 (headers to add)."""
        headers: dict[str, str] = dict(request.headers) if request is not None else {}
        if inv.task_id:
            headers.setdefault("x-fc-stateful-async-invocation-id", inv.task_id)
        try:
            submission = build_submission(
                service=spec.service,
                function=spec.function,
                qualifier=spec.qualifier or "LATEST",
                request_id=inv.request_id,
                payload=inv.payload,
                headers=headers,
                http=inv.http,
                config=self.async_config(spec.service, spec.function, spec.qualifier),
            )
        except IntakeError as exc:
            return _fc_error(exc.status, exc.code, exc.message, inv.request_id)
        return await self.submit(submission)

    async def submit(self, submission: AsyncSubmission) -> Any:
        fresh = await self.dispatcher.submit(submission)
        if not fresh and submission.stateful:
            return _fc_error(
                409,
                "StatefulAsyncInvocationAlreadyExists",
                f"an async task with id '{submission.invocation_id}' already exists for "
                f"{submission.service}/{submission.function}",
                submission.request_id,
            )
        extra = {"x-fc-request-id": submission.request_id}
        if submission.stateful:
            extra["x-fc-stateful-async-invocation-id"] = submission.invocation_id
        return extra

    async def _invoke_target(
        self, service: str, function: str, qualifier: str, req: InvocationRequest
    ) -> InvocationResult:
        try:
            spec = await self.state.spec_for(service, function, qualifier)
        except Exception as exc:
            if getattr(exc, "status", None) == 404:
                raise TargetGone(getattr(exc, "message", str(exc))) from exc
            raise
        return await self.state.scheduler.invoke(spec, req)

    async def _interrupt(self, request_id: str) -> bool | None:
        """Ask the scheduler to kill the instance serving ``request_id`` (task stop): True if it
        did, False if nothing serves it yet, None if the scheduler cannot do that."""
        return await self.state.scheduler.kill_request(request_id)

    # -- triggers -----------------------------------------------------------------------------

    def triggers(self, trigger_type: str | None = None) -> list[TriggerInfo]:
        found = []
        for scope, name, doc in self.state.meta.list(_TRIGGER, None):
            if trigger_type is not None and doc.get("triggerType") != trigger_type:
                continue
            service, _, function = scope.partition("/")
            found.append(
                TriggerInfo(
                    service,
                    function,
                    name,
                    str(doc.get("triggerType")),
                    doc.get("triggerConfig") or {},
                    doc.get("qualifier") or "LATEST",
                    doc.get("sourceArn"),
                )
            )
        return found

    def trigger(self, service: str, function: str, name: str) -> TriggerInfo | None:
        doc = self.state.meta.get(_TRIGGER, f"{service}/{function}", name)
        if doc is None:
            return None
        return TriggerInfo(
            service,
            function,
            name,
            str(doc.get("triggerType")),
            doc.get("triggerConfig") or {},
            doc.get("qualifier") or "LATEST",
            doc.get("sourceArn"),
        )

    async def fire_trigger(
        self, trigger: TriggerInfo, body: bytes, http: HttpRequestInfo | None = None
    ) -> Any:
        """Event sources invoke asynchronously through the durable queue, as FC does."""
        config = self.async_config(trigger.service, trigger.function, trigger.qualifier)
        request_id = str(uuid.uuid4())
        return await self.submit(
            AsyncSubmission(
                invocation_id=request_id,
                request_id=request_id,
                service=trigger.service,
                function=trigger.function,
                qualifier=trigger.qualifier,
                payload=body,
                http=http,
                max_retry_attempts=config.max_retry_attempts,
                max_event_age_s=config.max_event_age_s,
                on_success=config.on_success,
                on_failure=config.on_failure,
            )
        )

    # -- capacity -----------------------------------------------------------------------------

    def provision_entries(self) -> list[ProvisionEntry]:
        """Provision configs as the manager sees them; also applies on-demand caps and idle mode
        (each reconcile, every couple of seconds)."""
        self._apply_on_demand_caps()
        self.sweep_idle()
        entries = []
        for service, name, doc in self.state.meta.list(_PROVISION, None):
            function, _, qualifier = name.partition("@")
            entry = ProvisionEntry.from_api(service, qualifier or "LATEST", function, doc)
            self.idle.set_idle_mode(service, function, not entry.always_allocate_cpu)
            entries.append(entry)  # re-applying the API's plain target is harmless (idempotent)
        return entries

    def _apply_on_demand_caps(self) -> None:
        """``maximumInstanceCount`` of on-demand configs caps the scheduler's instances."""
        setter = self.state.scheduler.set_max_instances
        wanted: dict[tuple[str, str], int | None] = {}
        for service, name, doc in self.state.meta.list(_ON_DEMAND, None):
            function = name.partition("@")[0]
            value = doc.get("maximumInstanceCount")
            if isinstance(value, int):
                wanted[(service, function)] = value
        wanted.update(instance_caps(self.state))  # FC 3.0 reserved concurrency
        for key in self._capped - set(wanted):
            setter(key[0], key[1], None)
        for (service, function), maximum in wanted.items():
            setter(service, function, maximum)
        self._capped = set(wanted)

    def sweep_idle(self) -> None:
        for driver in self.state.scheduler.drivers.values():
            if isinstance(driver, FreezingDriver):
                driver.sweep()

    async def _apply_provision(self, entry: ProvisionEntry, target: int) -> None:
        spec = await self.state.spec_for(entry.service, entry.function, entry.qualifier)
        await self.state.scheduler.set_provisioned(spec, target)

    def _utilization(self, entry: ProvisionEntry, metric: str) -> float | None:
        if metric != "ProvisionedConcurrencyUtilization":
            return None  # CPU/GPU utilisation is not sampled locally
        mine = [
            i
            for i in self.instances()
            if i.get("service") == entry.service and i.get("function") == entry.function
        ]
        if not mine:
            return None
        return sum(float(i.get("in_flight") or 0) for i in mine) / len(mine)

    def instances(self) -> list[dict[str, Any]]:
        return list(self.state.scheduler.instances())

    def service_instances(self) -> list[dict[str, Any]]:
        """Every instance of the service: this backend's and, on a shared database, those the
        other backends published (each row names its ``backend``)."""
        if self.instance_publisher is None:
            return self.instances()
        return self.instance_publisher.listing()


def _fc_error(status: int, code: str, message: str, request_id: str) -> Any:
    from starlette.responses import JSONResponse

    return JSONResponse(
        {
            "ErrorCode": code,
            "ErrorMessage": message,
            "errorCode": code,
            "errorMessage": message,
            "RequestId": request_id,
        },
        status_code=status,
        headers={"x-fc-request-id": request_id},
    )


class ConfigChangeMiddleware:
    """Wakes the timer and provisioning loops right after an API write that concerns them, so
    a new timer or provision config takes effect at once rather than at the next poll."""

    def __init__(self, app: Any, addons: BackendAddons) -> None:
        self.app = app
        self.addons = addons

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        method = scope.get("method", "GET") if scope["type"] == "http" else "GET"
        await self.app(scope, receive, send)
        if method in ("GET", "HEAD"):
            return
        path: str = scope.get("path", "")
        if "/triggers" in path:
            self.addons.timers.notify_changed()
        elif path.endswith(("/provision-config", "/on-demand-config")):
            self.addons.provisioning.notify_changed()
