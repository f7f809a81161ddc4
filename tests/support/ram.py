"""Helpers for tests of the RAM/STS twin: a backend served in a thread with a clock the test
moves, policy documents, and official-SDK clients pointed at the backend."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fcbackend.app import create_app
from fcbackend.backend_config import BackendConfig
from fcbackend.clock import ManualClock
from fcbackend.server import ThreadedServer
from rosengine.clients.ram import RamClient

FC_TRUST = {
    "Version": "1",
    "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["fc.aliyuncs.com"]}}
    ],
}


def account_trust(account_id: str) -> dict[str, Any]:
    """A trust policy letting every identity of the account assume the role."""
    return {
        "Version": "1",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"RAM": [f"acs:ram::{account_id}:root"]},
            }
        ],
    }


def allow(actions: list[str] | str, resources: list[str] | str = "*", **extra: Any) -> dict[str, Any]:
    return {
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources, **extra}],
    }


def function_role(ram: RamClient, name: str, policy: dict[str, Any]) -> str:
    """A role FC may assume for functions, with ``policy`` as its one custom policy; its ARN."""
    role = ram.create_role(name, FC_TRUST)
    ram.create_policy(f"{name}-policy", policy)
    ram.attach_policy("Role", name, "Custom", f"{name}-policy")
    return str(role["Arn"])


@dataclass
class RamBackend:
    endpoint: str
    config: BackendConfig
    clock: ManualClock
    app: Any

    def root(self) -> RamClient:
        return RamClient(self.endpoint, self.config.access_key_id, self.config.access_key_secret)

    def user_with_key(self, name: str, *system_policies: str) -> tuple[str, str]:
        """A new RAM user with the given system policies attached; its (key id, secret)."""
        with self.root() as ram:
            ram.create_user(name)
            for policy in system_policies:
                ram.attach_policy("User", name, "System", policy)
            key = ram.create_access_key(name)
        return key["AccessKeyId"], key["AccessKeySecret"]


@contextmanager
def ram_backend(
    state_dir: Path, *, scheduler: Any = None, addons: bool = False, **config: Any
) -> Iterator[RamBackend]:
    """A backend (real app; ``scheduler`` may be a fake) whose STS dates credentials by a manual
    clock starting now, so a test can move past an expiry without waiting."""
    cfg = BackendConfig.for_state_dir(state_dir, flush_interval_s=0.05, **config)
    clock = ManualClock(start=time.time())
    app = create_app(cfg, scheduler=scheduler, addons=addons, clock=clock)
    server = ThreadedServer(app).start()
    try:
        yield RamBackend(server.endpoint, cfg, clock, app)
    finally:
        server.stop()


def acs_call(
    endpoint: str, key_id: str, secret: str, request: Any, token: str | None = None
) -> dict[str, Any]:
    """Send an ``aliyunsdkcore`` request to the backend (plain HTTP) and return the parsed JSON;
    the SDK's ServerException propagates."""
    from aliyunsdkcore.auth.credentials import AccessKeyCredential, StsTokenCredential
    from aliyunsdkcore.client import AcsClient

    credential = StsTokenCredential(key_id, secret, token) if token else AccessKeyCredential(key_id, secret)
    client = AcsClient(region_id="cn-hangzhou", credential=credential)
    request.set_endpoint(endpoint.split("://", 1)[1])
    request.set_protocol_type("http")
    return dict(json.loads(client.do_action_with_exception(request)))
