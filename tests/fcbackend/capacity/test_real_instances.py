"""Provisioned instances in idle mode with real instances: frozen when idle, thawed on demand;
on-demand configs cap instances. Uses the process driver (always available)."""

from __future__ import annotations

from pathlib import Path

from fcbackend.backend_config import BackendConfig
from fcbackend.capacity import FreezingDriver
from fcbackend.composition import create_app
from fcbackend.server import ThreadedServer
from rosengine.clients.fc import FcClient
from tests.support.fc_api import wait_until, zip_b64


def test_idle_provisioned_instance_is_frozen_then_thawed_by_a_request(tmp_path: Path) -> None:
    config = BackendConfig.for_state_dir(tmp_path / "fc", flush_interval_s=0.05, driver="process")
    app = create_app(config)
    driver = app.state.fc.scheduler.drivers["process"]
    assert isinstance(driver, FreezingDriver)
    server = ThreadedServer(app).start()
    client = FcClient(server.endpoint, config.access_key_id, config.access_key_secret, timeout=30)
    try:
        client.create_service("cap")
        client.create_function(
            "cap",
            "warm",
            {"zipFile": zip_b64({"index.py": "def handler(e, c):\n    return 'hot'\n"})},
            runtime="python3",
            handler="index.handler",
        )
        client.put_provision_config("cap", "warm", "LATEST", 1, alwaysAllocateCPU=False)
        frozen = wait_until(lambda: [i for i in driver.live if i.frozen])
        instance = frozen[0]
        assert instance.spec.function == "warm" and instance.freezes == 1
        result = client.invoke_function("cap", "warm", b"")
        assert result.body == b"hot"
        assert instance.thaws == 1  # the provisioned instance served it, thawed first
        wait_until(lambda: instance.frozen)  # and went back to sleep afterwards

        client.put_on_demand_config("cap", "warm", "LATEST", 2)
        limits = app.state.fc.scheduler._max_instances
        wait_until(lambda: limits.get(("cap", "warm")) == 2)
        client.delete_on_demand_config("cap", "warm", "LATEST")
        wait_until(lambda: limits.get(("cap", "warm"), "unset") is None)
    finally:
        client.close()
        server.stop()


def test_provisioned_instances_without_idle_mode_stay_running(tmp_path: Path) -> None:
    config = BackendConfig.for_state_dir(tmp_path / "fc", flush_interval_s=0.05, driver="process")
    app = create_app(config)
    driver = app.state.fc.scheduler.drivers["process"]
    server = ThreadedServer(app).start()
    client = FcClient(server.endpoint, config.access_key_id, config.access_key_secret, timeout=30)
    try:
        client.create_service("cap")
        client.create_function(
            "cap", "busy", {"zipFile": zip_b64()}, runtime="python3", handler="index.handler"
        )
        client.put_provision_config("cap", "busy", "LATEST", 1, alwaysAllocateCPU=True)
        wait_until(lambda: list(driver.live))
        addons = app.state.fc_addons
        wait_until(lambda: ("cap", "LATEST", "busy") in addons.provisioning.status)
        assert not any(i.frozen for i in driver.live)
    finally:
        client.close()
        server.stop()
