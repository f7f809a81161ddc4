"""The local cloud twins and the ``*.aliyuncs.com`` gateway, built for the backend's composition
(:func:`fcbackend.composition.create_app`, which starts and stops them with the app).

:func:`build_cloud_twins` and :meth:`CloudTwins.attach`, in order:

1. build the SLS twin (:mod:`fcbackend.sls`) over its store (``sls.db`` by default), verifying
   signatures and authorizing through the identity contract (:mod:`fcbackend.access`) as the
   RAM/STS twin answers it (root, RAM users' keys and STS sessions, with their policies);
2. mount it in front of the app (:class:`~fcbackend.sls.twin.SlsFront`: requests for
   ``*.log.aliyuncs.com`` on the backend's own endpoint);
3. build the gateway (:class:`~fcbackend.gateway.gateway.Gateway`) with the twins it routes to
   (:class:`~fcbackend.gateway.routing.Twins`: ``sls`` → the SLS API; ``fc``, ``oss``, ``sts``,
   ``ram`` and ``cas`` → this app, where the fronts in front of everything claim their hosts: the
   OSS API's ``OssFront`` (``fcbackend.oss.wiring``) and the RPC products' ``RpcFront``
   (``fcbackend.ram.wiring``: RAM, STS and CAS, mounted last); a service registered nowhere
   answers "not emulated locally") and hand the instance drivers the way to it
   (:attr:`~fcbackend.instances.driver.InstanceDriver.network`);
4. ship function logs of services with a ``logConfig`` to SLS (a scheduler listener) and let
   the FC API check a ``logConfig``'s project and logstore (``BackendState.log_config_check``);
5. report the twins and the gateway (``BackendState.cloud_info``) for ``backend.json`` and
   ``/local/status``.

Must be attached before idle mode wraps the instance drivers (:mod:`fcbackend.services`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp

from fcbackend.api.state import BackendState
from fcbackend.backend_config import BackendConfig
from fcbackend.gateway.gateway import Gateway
from fcbackend.gateway.hosts import CAS, FC, OSS, RAM, SLS, STS
from fcbackend.gateway.routing import Twins
from fcbackend.ram.access_control import RamAccess
from fcbackend.sls.store import SlsStore
from fcbackend.sls.twin import SlsFront, SlsTwin, build_sls_twin


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
            "cas": "https://cas.aliyuncs.com",
        }
        endpoints.update({k: v for k, v in extra.items() if k in self.twins})
        return {**self.gateway.info(), "twins": endpoints}

    def attach(self, app: Starlette, state: BackendState) -> None:
        """Put the SLS API in front of ``app``, give the instance drivers their way to the
        gateway, ship function logs to SLS, and let the FC API check a ``logConfig``."""
        app.add_middleware(SlsFront, api=self.sls.api)
        scheduler = state.scheduler
        for driver in scheduler.drivers.values():
            driver.network = self.gateway.network
        scheduler.add_listener(self.sls.shipper.record)
        scheduler.add_log_listener(self.sls.shipper.record_hook_output)
        state.log_config_check = self.sls.log_config_problem
        state.cloud_info = self.info


def build_cloud_twins(config: BackendConfig, store: SlsStore, access: RamAccess, app: ASGIApp) -> CloudTwins:
    """The SLS twin over ``store`` and the gateway; ``app`` (the backend) answers the FC, OSS, STS,
    RAM and CAS hosts."""
    sls = build_sls_twin(
        store,
        region=config.region,
        account_id=config.account_id,
        credentials=access,
        authorizer=access,
        anonymous=access.root,
        signatures_required=config.auth,
    )
    twins = Twins()
    twins.add(SLS, sls.api)
    for service in (FC, OSS, STS, RAM, CAS):  # the app's fronts claim their hosts (see the docstring)
        twins.add(service, app)
    gateway = Gateway(
        config.state_dir, host=config.host, twins=twins, region=config.region, account_id=config.account_id
    )
    return CloudTwins(sls, gateway, twins)
