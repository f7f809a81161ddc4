"""Triggers and alias routing with real function instances (the process driver: always available)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import oss2
import pytest

from fcbackend.app import create_app
from fcbackend.backend_config import BackendConfig
from fcbackend.server import ThreadedServer
from rosengine.clients.fc import FcClient
from tests.support.fc_api import wait_until, zip_b64

WSGI = """
def handler(environ, start_response):
    query = environ.get("QUERY_STRING", "")
    body = ("%s %s %s" % (environ["REQUEST_METHOD"], environ["PATH_INFO"], query)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Seen", "yes")])
    return [body]
"""
EVENT_ECHO = "def handler(event, context):\n    return event\n"


def version_code(label: str) -> str:
    return f"def handler(event, context):\n    return {label!r}\n"


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FcClient, Any, str]]:
    state_dir: Path = tmp_path_factory.mktemp("fc-real")
    config = BackendConfig.for_state_dir(state_dir, flush_interval_s=0.05, driver="process")
    app = create_app(config)
    server = ThreadedServer(app).start()
    client = FcClient(server.endpoint, config.access_key_id, config.access_key_secret, timeout=30)
    client.create_service("real")
    try:
        yield client, app, server.endpoint
    finally:
        client.close()
        server.stop()


def create(client: FcClient, name: str, source: str) -> None:
    client.create_function(
        "real",
        name,
        {"zipFile": zip_b64({"index.py": source})},
        runtime="python3",
        handler="index.handler",
        timeout=10,
    )


def test_http_trigger_runs_a_wsgi_function(real: tuple[FcClient, Any, str]) -> None:
    client, _, endpoint = real
    create(client, "web", WSGI)
    client.create_trigger(
        "real",
        "web",
        triggerName="http",
        triggerType="http",
        triggerConfig={"authType": "anonymous", "methods": ["GET", "POST"]},
    )
    response = httpx.get(f"{endpoint}/2016-08-15/proxy/real/web/items/7?x=1", timeout=30)
    assert response.status_code == 200, response.text
    assert response.text == "GET /items/7 x=1" and response.headers["x-seen"] == "yes"


def test_oss_put_and_timer_fire_real_functions(real: tuple[FcClient, Any, str]) -> None:
    client, app, endpoint = real
    create(client, "echo", EVENT_ECHO)
    client.create_trigger(
        "real",
        "echo",
        triggerName="uploads",
        triggerType="oss",
        triggerConfig={"bucketName": "inbox", "events": ["oss:ObjectCreated:PutObject"]},
    )
    client.create_trigger(
        "real",
        "echo",
        triggerName="tick",
        triggerType="timer",
        triggerConfig={"cronExpression": "@every 1s", "enable": True, "payload": "tock"},
    )
    inbox = oss2.Bucket(oss2.Auth(client.access_key_id, client.access_key_secret), endpoint, "inbox")
    inbox.create_bucket()
    inbox.put_object("report.csv", b"a,b\n")
    store = app.state.fc_addons.async_store

    def returned() -> list[Any]:
        return [
            json.loads(e.return_payload)
            for e in store.list("real", "echo", limit=50)
            if e.status == "Succeeded" and e.return_payload
        ]

    oss = wait_until(lambda: [r for r in returned() if isinstance(r, dict) and "events" in r])
    assert oss[0]["events"][0]["oss"]["object"]["key"] == "report.csv"
    timer = wait_until(
        lambda: [r for r in returned() if isinstance(r, dict) and r.get("triggerName") == "tick"]
    )
    assert timer[0]["payload"] == "tock" and timer[0]["triggerTime"].endswith("Z")
    client.update_trigger(
        "real", "echo", "tick", triggerConfig={"cronExpression": "@every 1s", "enable": False}
    )


def test_alias_weights_split_real_invocations(real: tuple[FcClient, Any, str]) -> None:
    client, app, _ = real
    create(client, "split", version_code("one"))
    v1 = client.publish_version("real", "v1")["versionId"]
    client.update_function("real", "split", {"zipFile": zip_b64({"index.py": version_code("two")})})
    v2 = client.publish_version("real", "v2")["versionId"]
    client.create_alias("real", "live", versionId=v1, additionalVersionWeight={v2: 0.5})
    app.state.fc_addons.router._rng.seed(3)
    bodies = [client.invoke_function("real", "split", b"", qualifier="live").body for _ in range(20)]
    assert set(bodies) == {b"one", b"two"}
