"""Everything one backend process holds: config, stores, scheduler, and the caches that keep the
invoke path cheap.

Why caches with a single generation counter: writes (create/update/delete of services, functions,
versions, aliases) are rare and invocations are hot. Every write calls :meth:`BackendState.changed`,
which drops every cached FunctionSpec and alias; the next invocation rebuilds what it needs once.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fcbackend.api.errors import FcError, function_not_found, not_found, service_not_found
from fcbackend.backend_config import BackendConfig
from fcbackend.models import FunctionSpec, RoleCredentialIssuer
from fcbackend.scheduler.port import SchedulerPort
from fcbackend.store import CodeError, CodeStore, InvocationRecorder, MetadataStore
from sqlstore import DatabaseSet

if TYPE_CHECKING:
    from fcbackend.api.auth import BackendAccess

LATEST = "LATEST"

# kinds of documents in the metadata store
SERVICE, FUNCTION, TRIGGER, VERSION, ALIAS = "service", "function", "trigger", "version", "alias"
LAYER, LAYER_VERSION, DOMAIN, TAGS = "layer", "layer_version", "custom_domain", "tags"
# A deleted layer version's document, kept so that functions referencing it keep running.
DELETED_LAYER_VERSION = "deleted_layer_version"
PROVISION, ON_DEMAND, ASYNC_CONFIG = "provision_config", "on_demand_config", "async_config"


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document without its private (``_``-prefixed) fields."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def version_sort_key(version_id: str) -> str:
    return version_id.zfill(12) if version_id.isdigit() else version_id


AliasRouter = Callable[[dict[str, Any]], str]


@dataclass
class BackendState:
    config: BackendConfig
    databases: DatabaseSet  # where the stores live; services opening their own stores use it
    meta: MetadataStore
    code: CodeStore
    recorder: InvocationRecorder
    scheduler: SchedulerPort
    # RAM/STS: who signed a request and what it may do (fcbackend.api.auth.BackendAccess).
    access: BackendAccess
    # Mints a service role's credentials for its functions (the RAM/STS twin).
    role_credentials: RoleCredentialIssuer
    # Clock of credential refreshes (epoch seconds).
    now: Callable[[], float] = time.time
    specs: dict[tuple[str, str, str], FunctionSpec] = field(default_factory=dict)
    aliases: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)
    # Alias traffic splitting (fcbackend.capacity.traffic): alias document -> version id.
    alias_router: AliasRouter | None = None
    # Hooks run after a service/function changed (besides scheduler eviction).
    on_change: list[Callable[[str, str | None], Awaitable[None] | None]] = field(default_factory=list)
    # Hooks run after a trigger was created/updated (doc) or deleted (None): timers are started
    # and stopped here (fcbackend.triggers.timer). Arguments: service, function, trigger name,
    # document or None.
    on_trigger_change: list[Callable[[str, str, str, dict[str, Any] | None], Awaitable[None] | None]] = field(
        default_factory=list
    )
    generation: int = 0
    # Why a logConfig's (project, logstore) cannot be used, None when it can: the SLS twin's
    # check (fcbackend.twins); None when no SLS twin is wired in.
    log_config_check: Callable[[str, str], str | None] | None = None
    # What the cloud twins and the gateway report (endpoints, CA) for backend.json and
    # /local/status (fcbackend.twins); empty when no twins are wired in.
    cloud_info: Callable[[], dict[str, Any]] = dict

    # -- caches ------------------------------------------------------------------------------

    def changed(self) -> None:
        self.generation += 1
        self.specs.clear()
        self.aliases.clear()

    async def evict(self, service: str, function: str | None = None) -> None:
        """Forget cached specs and stop instances of a changed service/function."""
        self.changed()
        await self.scheduler.evict(service, function)
        for hook in list(self.on_change):
            result = hook(service, function)
            if asyncio.iscoroutine(result):
                await result

    async def trigger_changed(
        self, service: str, function: str, name: str, doc: dict[str, Any] | None
    ) -> None:
        for hook in list(self.on_trigger_change):
            result = hook(service, function, name, doc)
            if asyncio.iscoroutine(result):
                await result

    # -- lookups -------------------------------------------------------------------------------

    def service_doc(self, service: str) -> dict[str, Any]:
        doc = self.meta.get(SERVICE, "", service)
        if doc is None:
            raise service_not_found(service)
        return doc

    def alias_doc(self, service: str, alias: str) -> dict[str, Any] | None:
        key = (service, alias)
        if key not in self.aliases:
            self.aliases[key] = self.meta.get(ALIAS, service, alias)
        return self.aliases[key]

    def resolve_qualifier(self, service: str, qualifier: str | None, *, for_invocation: bool = False) -> str:
        """The version id a qualifier names: ``LATEST``, a version id, or an alias's version.

        Why two answers for an alias: reads (get service/function/code, configs, listings) must be
        deterministic and name the alias's main ``versionId``, as on FC; only an invocation
        (``for_invocation=True``) is split by ``additionalVersionWeight`` (``alias_router`` may
        replace that choice)."""
        if not qualifier or qualifier == LATEST:
            return LATEST
        if qualifier.isdigit():
            if self.meta.get(VERSION, service, qualifier) is None:
                self.service_doc(service)
                raise not_found(
                    "VersionNotFound", f"version '{qualifier}' of service '{service}' does not exist"
                )
            return qualifier
        alias = self.alias_doc(service, qualifier)
        if alias is None:
            self.service_doc(service)
            raise not_found("AliasNotFound", f"alias '{qualifier}' of service '{service}' does not exist")
        if not for_invocation:
            return str(alias["versionId"])
        if self.alias_router is not None:
            return self.alias_router(alias)
        return pick_weighted_version(alias)

    def version_snapshot(self, service: str, version_id: str) -> dict[str, Any]:
        doc = self.meta.get(VERSION, service, version_id)
        if doc is None:
            raise not_found(
                "VersionNotFound", f"version '{version_id}' of service '{service}' does not exist"
            )
        return doc

    def latest_function_doc(self, service: str, function: str) -> dict[str, Any]:
        """The function's unpublished document; 404 names the service when that is what is missing."""
        doc = self.meta.get(FUNCTION, service, function)
        if doc is None:
            self.service_doc(service)
            raise function_not_found(service, function)
        return doc

    def function_doc(
        self, service: str, function: str, qualifier: str | None = None
    ) -> tuple[dict[str, Any], str]:
        """The function's document as of ``qualifier`` and the version id that was resolved."""
        version_id = self.resolve_qualifier(service, qualifier)
        if version_id == LATEST:
            return self.latest_function_doc(service, function), version_id
        snapshot = self.version_snapshot(service, version_id)
        doc = snapshot["_snapshot"]["functions"].get(function)
        if doc is None:
            raise function_not_found(service, function, qualifier)
        return doc, version_id

    def service_at(self, service: str, version_id: str) -> dict[str, Any]:
        if version_id == LATEST:
            return self.service_doc(service)
        return self.version_snapshot(service, version_id)["_snapshot"]["service"]

    # -- specs ---------------------------------------------------------------------------------

    async def spec_for(self, service: str, function: str, qualifier: str | None) -> FunctionSpec:
        """The FunctionSpec to run for a call (cached until the next write); an alias is split
        by its version weights here."""
        version_id = self.resolve_qualifier(service, qualifier, for_invocation=True)
        key = (service, function, version_id)
        spec = self.specs.get(key)
        if spec is not None and spec.credentials_refresh_at and self.now() >= spec.credentials_refresh_at:
            spec = None  # its role credentials are getting old: build it again with fresh ones
        if spec is None:
            generation = self.generation
            fn_doc, _ = self.function_doc(service, function, version_id)
            svc_doc = self.service_at(service, version_id)
            from fcbackend.api.specs import build_spec

            try:
                spec = await asyncio.to_thread(build_spec, self, svc_doc, fn_doc, version_id)
            except CodeError as exc:  # a package stored before the upload checks refused it
                raise FcError(
                    400, "InvalidArgument", f"the code of {service}/{function} cannot be unpacked: {exc}"
                ) from exc
            if generation == self.generation:
                self.specs[key] = spec
        if qualifier and qualifier != spec.qualifier:
            spec = _with_qualifier(spec, qualifier)
        return spec


def _with_qualifier(spec: FunctionSpec, qualifier: str) -> FunctionSpec:
    from dataclasses import replace

    return replace(spec, qualifier=qualifier)


def pick_weighted_version(alias: dict[str, Any]) -> str:
    """Route to each version in ``additionalVersionWeight`` with its probability, else the main one."""
    weights = alias.get("additionalVersionWeight") or {}
    if weights:
        roll = random.random()
        total = 0.0
        for version, weight in weights.items():
            total += float(weight)
            if roll < total:
                return str(version)
    return str(alias["versionId"])
