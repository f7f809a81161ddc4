"""Wires the local cloud twins and the ``*.aliyuncs.com`` gateway into the backend: the one
place that composes them (an entry of ``fcbackend.app.APP_INSTALLERS``).

What :func:`install` does, in order:

1. builds the SLS twin (:mod:`fcbackend.sls`) over its store (``sls.db`` by default), verifying
   signatures and authorizing through the identity contract (:mod:`fcbackend.access`) as the
   RAM/STS twin answers it (``app.state.identity.access``, built by ``create_app``: root, RAM
   users' keys and STS sessions, with their policies);
2. mounts it in front of the app (:class:`~fcbackend.sls.twin.SlsFront`: requests for
   ``*.log.aliyuncs.com`` on the backend's own endpoint);
3. builds the gateway (:class:`~fcbackend.gateway.gateway.Gateway`) with the twins it routes to
   (:class:`~fcbackend.gateway.routing.Twins`: ``sls`` → the SLS API; ``fc``, ``oss``, ``sts`` and
   ``ram`` → this app, where the fronts in front of everything claim their hosts: the OSS API's
   ``OssFront`` (``fcbackend.oss.wiring``, mounted by ``fcbackend.asyncq.addon``) and RAM/STS's
   ``RpcFront`` (``fcbackend.ram.wiring``, mounted last by ``create_app``); a service registered
   nowhere answers "not emulated locally") and hands the instance drivers the way to it
   (:attr:`~fcbackend.instances.driver.InstanceDriver.network`);
4. ships function logs of services with a ``logConfig`` to SLS (a scheduler listener) and lets
   the FC API check a ``logConfig``'s project and logstore (``BackendState.log_config_check``);
5. starts and stops all of it with the app (its lifespan), and leaves :class:`CloudTwins` in
   ``app.state.cloud_twins`` for ``backend.json`` and ``/local/status``.

Must run before installers that wrap the instance drivers (the async queue's idle mode).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette

from fcbackend.api.state import BackendState
from fcbackend.gateway.gateway import Gateway
from fcbackend.gateway.hosts import FC, OSS, RAM, SLS, STS
from fcbackend.gateway.routing import Twins
from fcbackend.sls.twin import SlsFront, SlsTwin, build_sls_twin
from fcbackend.store_factory import open_sls_store


@dataclass
class CloudTwins:
    sls: SlsTwin
    gateway: Gateway
    twins: Twins

    def info(self) -> dict[str, Any]:
        """What ``backend.json`` and ``ros fc status`` show: the gateway as ``proxy``, the CA
        files, and each twin's endpoint (reached through the proxy)."""
        region = self.sls.service.region
        endpoints = {
            "sls": f"https://{region}.log.aliyuncs.com",
            "fc": f"https://{self.sls.service.account_id}.{region}.fc.aliyuncs.com",
        }
        extra = {
            "oss": f"https://oss-{region}.aliyuncs.com",
            "sts": "https://sts.aliyuncs.com",
            "ram": "https://ram.aliyuncs.com",
        }
        endpoints.update({k: v for k, v in extra.items() if k in self.twins})
        return {**self.gateway.info(), "twins": endpoints}


def cloud_info(app: Any) -> dict[str, Any]:
    """:meth:`CloudTwins.info` of ``app``, empty for an app built without the twins."""
    cloud: CloudTwins | None = getattr(app.state, "cloud_twins", None)
    return cloud.info() if cloud is not None else {}


def install(app: Starlette) -> CloudTwins:
    state: BackendState = app.state.fc
    config = state.config
    access = app.state.identity.access  # RAM/STS (fcbackend.ram.wiring, built by create_app)
    sls = build_sls_twin(
        open_sls_store(state.databases),
        region=config.region,
        account_id=config.account_id,
        credentials=access,
        authorizer=access,
        anonymous=access.root,
        signatures_required=config.auth,
    )
    app.add_middleware(SlsFront, api=sls.api)
    twins = Twins()
    twins.add(SLS, sls.api)
    for service in (FC, OSS, STS, RAM):  # the app's fronts claim their hosts (see the docstring)
        twins.add(service, app)
    gateway = Gateway(
        config.state_dir, host=config.host, twins=twins, region=config.region, account_id=config.account_id
    )
    scheduler = state.scheduler
    for driver in (getattr(scheduler, "drivers", None) or {}).values():
        driver.network = gateway.network
    add_listener = getattr(scheduler, "add_listener", None)
    if add_listener is not None:
        add_listener(sls.shipper.record)
    add_log_listener = getattr(scheduler, "add_log_listener", None)
    if add_log_listener is not None:
        add_log_listener(sls.shipper.record_hook_output)
    state.log_config_check = sls.log_config_problem
    cloud = CloudTwins(sls, gateway, twins)
    app.state.cloud_twins = cloud
    original = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(the_app: Any) -> AsyncIterator[Any]:
        sls.start()
        try:
            async with original(the_app) as value:
                await gateway.start()
                try:
                    yield value
                finally:
                    await gateway.close()
        finally:
            sls.close()  # last: instances stopping with the scheduler may still log

    app.router.lifespan_context = lifespan
    return cloud
