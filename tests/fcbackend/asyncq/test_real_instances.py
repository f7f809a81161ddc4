"""Async tasks with real instances: stopping a running task kills the instance serving it."""

from __future__ import annotations

import time
from pathlib import Path

from fcbackend.backend_config import BackendConfig
from fcbackend.composition import create_app
from fcbackend.server import ThreadedServer
from rosengine.clients.fc import FcClient
from tests.support.fc_api import wait_until, zip_b64

SLOW = "import time\n\ndef handler(event, context):\n    time.sleep(60)\n    return 'late'\n"


def test_stopping_a_running_task_kills_its_instance(tmp_path: Path) -> None:
    config = BackendConfig.for_state_dir(tmp_path / "fc", flush_interval_s=0.05, driver="process")
    app = create_app(config)
    server = ThreadedServer(app).start()
    client = FcClient(server.endpoint, config.access_key_id, config.access_key_secret, timeout=30)
    try:
        client.create_service("t")
        client.create_function(
            "t",
            "slow",
            {"zipFile": zip_b64({"index.py": SLOW})},
            runtime="python3",
            handler="index.handler",
            timeout=120,
        )
        client.put_async_invoke_config("t", "slow", {"statefulInvocation": True})
        accepted = client.invoke_function(
            "t",
            "slow",
            b"{}",
            invocation_type="Async",
            headers={"x-fc-stateful-async-invocation-id": "long-job"},
        )
        assert accepted.status == 202
        wait_until(
            lambda: client.get_stateful_async_invocation("t", "slow", "long-job")["status"] == "Running"
        )
        busy = wait_until(
            lambda: [
                i for i in app.state.fc.scheduler.instances() if i["function"] == "slow" and i["in_flight"]
            ]
        )
        started = time.monotonic()
        client.stop_stateful_async_invocation("t", "slow", "long-job")
        task = wait_until(
            lambda: (
                (t := client.get_stateful_async_invocation("t", "slow", "long-job"))["status"] == "Stopped"
                and t
            )
        )
        assert time.monotonic() - started < 10  # not the 60 s the handler sleeps
        assert [e["status"] for e in task["events"]] == ["Enqueued", "Running", "Stopping", "Stopped"]
        wait_until(
            lambda: all(
                i["id"] != busy[0]["id"] or i["state"] in ("stopping", "gone")
                for i in app.state.fc.scheduler.instances()
            )
        )
    finally:
        client.close()
        server.stop()
