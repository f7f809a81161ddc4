"""FC 3.0 functions on real instances (the backend's default driver): the function model reaches
the instance, HTTP triggers speak FC 3.0's event format to built-in runtimes and raw HTTP to
custom ones, custom-domain rewrites, session affinity, async tasks, and mounts."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import oss2
import pytest

from fcbackend.fc3.names import storage_service
from tests.support.fc3_backend import Fc3Backend, fc3_backend, make_zip
from tests.support.fc_api import wait_until
from tests.support.paths import REPO

pytestmark = pytest.mark.slow

HANDLER = """
import json, os

STARTED = {"init": 0}

def init(context):
    STARTED["init"] += 1

def handler(event, context):
    e = json.loads(event or b"{}")
    if e.get("fail"):
        raise RuntimeError("asked to fail")
    if "requestContext" in e:
        if e["rawPath"] == "/plain":
            return "just text"
        return {
            "statusCode": 201,
            "headers": {"x-seen-method": e["requestContext"]["http"]["method"],
                        "Content-Type": "application/json"},
            "body": json.dumps({"path": e["rawPath"], "query": e["queryParameters"], "body": e["body"],
                                "b64": e["isBase64Encoded"], "ua": e["headers"].get("User-Agent", "")}),
        }
    return json.dumps({
        "pid": os.getpid(),
        "instance": os.environ.get("FC_INSTANCE_ID"),
        "function": context.function.name,
        "memory": os.environ.get("FC_FUNCTION_MEMORY_SIZE"),
        "env": os.environ.get("STAGE"),
        "init": STARTED["init"],
        "sleep": e.get("sleep") and __import__("time").sleep(e["sleep"]),
    })
"""


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fc3Backend]:
    with fc3_backend(tmp_path_factory.mktemp("fc3-real"), fake=False) as b:
        yield b


def _code(**files: str) -> dict[str, str]:
    return {"zipFile": base64.b64encode(make_zip(files or {"index.py": HANDLER})).decode()}


def _create(backend: Fc3Backend, name: str, **config: object) -> None:
    config.setdefault("runtime", "python3.10")
    config.setdefault("handler", "index.handler")
    config.setdefault("code", _code())
    backend.client.create_function(name, **config)


def _call(backend: Fc3Backend, name: str, event: dict | None = None, **headers: str) -> dict:
    result = backend.client.invoke_function(name, json.dumps(event or {}).encode(), headers=headers)
    assert result.error_type is None, result.body
    return json.loads(result.body)


def test_function_model_reaches_the_instance(backend: Fc3Backend) -> None:
    _create(
        backend,
        "model",
        memorySize=256,
        timeout=30,
        environmentVariables={"STAGE": "test"},
        instanceLifecycleConfig={"initializer": {"handler": "index.init", "timeout": 10}},
    )
    seen = _call(backend, "model")
    assert (seen["function"], seen["memory"], seen["env"], seen["init"]) == ("model", "256", "test", 1)
    failed = backend.client.invoke_function("model", b'{"fail": true}')
    assert failed.error_type == "UnhandledInvocationError" and b"asked to fail" in failed.body
    log = backend.client.invoke_function("model", b"{}", log_type="Tail").log
    assert "FC Invoke Start RequestId" in log


def test_http_trigger_event_format(backend: Fc3Backend) -> None:
    _create(backend, "web")
    trigger = backend.client.create_trigger(
        "web",
        triggerName="http",
        triggerType="http",
        triggerConfig=json.dumps({"authType": "anonymous", "methods": ["GET", "POST"]}),
    )
    url = trigger["httpTrigger"]["urlInternet"]
    got = httpx.get(url + "a/b?x=1&x=2&y=", headers={"user-agent": "tester"})
    assert got.status_code == 201 and got.headers["x-seen-method"] == "GET"
    assert got.json() == {
        "path": "/a/b",
        "query": {"x": "1,2", "y": ""},
        "body": "",
        "b64": False,
        "ua": "tester",
    }
    posted = httpx.post(url + "bin", content=b"\xff\x00\x01")
    assert posted.json()["b64"] is True and base64.b64decode(posted.json()["body"]) == b"\xff\x00\x01"
    plain = httpx.get(url + "plain")
    assert (
        plain.status_code == 200
        and plain.text == "just text"
        and plain.headers["content-type"].startswith("text/plain")
    )
    assert httpx.put(url).status_code == 405


def test_http_trigger_function_auth_and_failures(backend: Fc3Backend) -> None:
    _create(backend, "guarded")
    trigger = backend.client.create_trigger(
        "guarded",
        triggerName="http",
        triggerType="http",
        triggerConfig=json.dumps({"authType": "function", "methods": ["GET"]}),
    )
    url = trigger["httpTrigger"]["urlInternet"]
    refused = httpx.get(url)
    assert refused.status_code == 403 and refused.json()["Code"] == "AccessDenied"
    disabled = backend.client.update_trigger(
        "guarded",
        "http",
        triggerConfig=json.dumps({"authType": "anonymous", "methods": ["GET"], "disableURLInternet": True}),
    )
    assert httpx.get(disabled["httpTrigger"]["urlInternet"]).status_code == 403
    assert httpx.get(url.replace("/guarded/http/", "/guarded/nope/")).json()["Code"] == "TriggerNotFound"


def test_custom_runtime_behind_http_trigger_and_custom_domain(backend: Fc3Backend) -> None:
    bootstrap = (REPO / "templates" / "web-function" / "bootstrap").read_text()
    zipped = make_zip({"bootstrap": bootstrap})
    backend.client.create_function(
        "custom-web",
        runtime="custom.debian12",
        handler="index.handler",
        code={"zipFile": base64.b64encode(zipped).decode()},
        customRuntimeConfig={"command": ["python3", "/code/bootstrap"], "port": 9000},
        environmentVariables={"GREETING": "hi"},
    )
    trigger = backend.client.create_trigger(
        "custom-web",
        triggerName="web",
        triggerType="http",
        triggerConfig='{"authType":"anonymous","methods":["GET"]}',
    )
    got = httpx.get(trigger["httpTrigger"]["urlInternet"] + "raw/path", timeout=60)
    assert got.status_code == 200 and got.json() == {
        "message": "hi from a custom runtime",
        "path": "/raw/path",
    }

    backend.client.create_custom_domain(
        "shop.example.com",
        routeConfig={
            "routes": [
                {
                    "path": "/api/*",
                    "functionName": "custom-web",
                    "rewriteConfig": {"wildcardRules": [{"match": "/api/*", "replacement": "/v2/$1"}]},
                },
                {"path": "/web/*", "functionName": "web"},
            ]
        },
    )
    routed = httpx.get(f"{backend.endpoint}/api/items", headers={"host": "shop.example.com"}, timeout=60)
    assert routed.json()["path"] == "/v2/items"
    event_style = httpx.get(f"{backend.endpoint}/web/page", headers={"host": "shop.example.com"}, timeout=60)
    assert event_style.status_code == 201 and event_style.json()["path"] == "/web/page"


def test_header_field_session_affinity(backend: Fc3Backend) -> None:
    _create(
        backend,
        "sticky",
        instanceConcurrency=1,
        sessionAffinity="HEADER_FIELD",
        sessionAffinityConfig=json.dumps(
            {"affinityHeaderFieldName": "x-session", "sessionConcurrencyPerInstance": 1}
        ),
    )
    first = backend.client.invoke_function("sticky", b"{}")
    session = first.headers["x-session"]  # no id given: the backend hands one out
    instance_a = json.loads(first.body)["instance"]
    for _ in range(3):
        assert _call(backend, "sticky", **{"x-session": session})["instance"] == instance_a
    other = {_call(backend, "sticky", **{"x-session": "other"})["instance"] for _ in range(3)}
    assert len(other) == 1 and instance_a not in other  # one session per instance: a second instance


def test_generated_cookie_affinity_over_http(backend: Fc3Backend) -> None:
    _create(
        backend,
        "cookie",
        instanceConcurrency=5,
        sessionAffinity="GENERATED_COOKIE",
        sessionAffinityConfig=json.dumps({"sessionConcurrencyPerInstance": 1}),
    )
    trigger = backend.client.create_trigger(
        "cookie",
        triggerName="http",
        triggerType="http",
        triggerConfig='{"authType":"anonymous","methods":["POST"]}',
    )
    url = trigger["httpTrigger"]["urlInternet"]
    with httpx.Client() as browser_a, httpx.Client() as browser_b:
        first = browser_a.post(url, content=b"{}")
        assert "x-fc-cookie-session-id=" in first.headers["set-cookie"]
        seen_a = {i["id"] for i in backend.client.local("instances")["instances"] if i["name"] == "cookie"}
        for _ in range(3):
            browser_a.post(url, content=b"{}")
        browser_b.post(url, content=b"{}")
    names = {i["id"] for i in backend.client.local("instances")["instances"] if i["name"] == "cookie"}
    assert len(names) == 2 and seen_a <= names  # two sessions, one instance each


def test_async_task_runs_long_and_can_be_read(backend: Fc3Backend) -> None:
    _create(backend, "job", timeout=86400)
    backend.client.put_async_invoke_config("job", asyncTask=True, maxAsyncRetryAttempts=0)
    answer = backend.client.invoke_function(
        "job", json.dumps({"sleep": 0.2}).encode(), invocation_type="Async", task_id="nightly"
    )
    assert answer.status == 202 and answer.headers["x-fc-async-task-id"] == "nightly"
    task = wait_until(
        lambda: (t := backend.client.get_async_task("job", "nightly"))["status"] == "Succeeded" and t
    )
    assert json.loads(task["returnPayload"])["function"] == "job" and task["durationMs"] >= 200
    assert [t["taskId"] for t in backend.client.list_async_tasks("job")] == ["nightly"]


def test_reserved_concurrency_caps_instances(backend: Fc3Backend) -> None:
    _create(backend, "capped", instanceConcurrency=1)
    backend.client.put_concurrency_config("capped", 1)
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: _call(backend, "capped", {"sleep": 0.3})["instance"], range(3)))
    assert len(set(results)) == 1  # one instance served all three, one after another


@pytest.mark.bwrap
def test_nas_and_oss_mount_points_are_host_directories(tmp_path: Path) -> None:
    writer = """
import os
def handler(event, context):
    with open("/mnt/nas/out.txt", "w") as f:
        f.write("from the function")
    try:
        open("/mnt/bucket/new.txt", "w").write("x")
        wrote = True
    except OSError:
        wrote = False
    return f"{open('/mnt/bucket/in.txt').read()}|{wrote}"
"""
    with fc3_backend(tmp_path, fake=False, driver="sandbox") as b:
        bucket = b.config.oss_dir / "data-bucket" / "share"
        bucket.mkdir(parents=True)
        (bucket / "in.txt").write_text("object text")
        b.client.create_function(
            "mounted",
            runtime="python3.10",
            handler="index.handler",
            code=_code(**{"index.py": writer}),
            nasConfig={"mountPoints": [{"serverAddr": "nas-1.example.com:/exports", "mountDir": "/mnt/nas"}]},
            ossMountConfig={
                "mountPoints": [
                    {
                        "bucketName": "data-bucket",
                        "bucketPath": "/share",
                        "mountDir": "/mnt/bucket",
                        "readOnly": True,
                    }
                ]
            },
        )
        result = b.client.invoke_function("mounted", b"")
        assert result.error_type is None, result.body
        assert result.body == b"object text|False"
        written = b.config.state_dir / "nas" / "nas-1.example.com" / "exports" / "out.txt"
        assert written.read_text() == "from the function"


def test_timer_and_oss_triggers_fire_fc3_functions(backend: Fc3Backend) -> None:
    echo = "import json\ndef handler(event, context):\n    return event\n"
    _create(backend, "events", code=_code(**{"index.py": echo}))
    backend.client.create_trigger(
        "events",
        triggerName="uploads",
        triggerType="oss",
        triggerConfig=json.dumps({"bucketName": "fc3-inbox", "events": ["oss:ObjectCreated:PutObject"]}),
        sourceArn="acs:oss:cn-hangzhou:1:fc3-inbox",
    )
    backend.client.create_trigger(
        "events",
        triggerName="tick",
        triggerType="timer",
        triggerConfig=json.dumps({"cronExpression": "@every 1s", "enable": True, "payload": "tock"}),
    )
    auth = oss2.Auth(backend.config.access_key_id, backend.config.access_key_secret)
    inbox = oss2.Bucket(auth, backend.endpoint, "fc3-inbox")
    inbox.create_bucket()
    inbox.put_object("report.csv", b"a,b\n")
    store = backend.app.state.fc_addons.async_store

    def returned() -> list[object]:
        events = store.list(storage_service("events"), "events", limit=50)
        return [json.loads(e.return_payload) for e in events if e.status == "Succeeded" and e.return_payload]

    oss = wait_until(lambda: [r for r in returned() if isinstance(r, dict) and "events" in r])
    assert oss[0]["events"][0]["oss"]["object"]["key"] == "report.csv"
    timer = wait_until(
        lambda: [r for r in returned() if isinstance(r, dict) and r.get("triggerName") == "tick"]
    )
    assert timer[0]["payload"] == "tock"
    backend.client.update_trigger(
        "events", "tick", triggerConfig=json.dumps({"cronExpression": "@every 1s", "enable": False})
    )
