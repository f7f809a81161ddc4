"""Every example template validates cleanly and works end to end through the real CLI."""

from __future__ import annotations

import json

import httpx

from tests.e2e.conftest import TEMPLATES, Ros

ALL_TEMPLATES = sorted(
    p.name
    for p in TEMPLATES.iterdir()
    if p.suffix in (".json", ".yml", ".yaml") and p.name != "gpu-function.yml"
)


def test_every_template_validates_cleanly(ros: Ros):
    paths = [f"templates/{name}" for name in ALL_TEMPLATES]
    assert len(paths) >= 7
    result = ros.run("validate", "--strict", "-j", "1", *paths)
    assert f"0 errors, 0 warnings in {len(paths)} files" in result.stdout, result.stdout + result.stderr


def _services(ros: Ros) -> set[str]:
    with ros.fc_client() as fc:
        return {s["serviceName"] for s in fc.list_services()}


def test_create_service(ros: Ros):
    ros.run(
        "stack", "create", "-t", "templates/create-service.json", "-n", "svc", "-p", "ServiceName=e2e-svc"
    )
    outputs = ros.outputs("svc")
    assert outputs["ServiceName"] == "e2e-svc" and outputs["ServiceId"]
    assert "e2e-svc" in _services(ros)
    ros.run("stack", "delete", "-n", "svc")
    assert "e2e-svc" not in _services(ros)


def test_create_function_rolls_dice(ros: Ros):
    ros.run("stack", "create", "-t", "templates/create-function.yml", "-n", "dice")
    outputs = ros.outputs("dice")
    assert outputs["FunctionArn"].endswith(f"services/{outputs['ServiceName']}/functions/roll")
    rolled = json.loads(ros.run("fc", "invoke", f"{outputs['ServiceName']}/roll", "-e", '{"dice": 3}').stdout)
    assert len(rolled["rolls"]) == 3 and all(1 <= r <= 6 for r in rolled["rolls"])
    assert rolled["total"] == sum(rolled["rolls"])
    ros.run("stack", "delete", "-n", "dice")
    assert outputs["ServiceName"] not in _services(ros)


def test_invoker_runs_at_create_and_on_version_change(ros: Ros):
    ros.run("stack", "create", "-t", "templates/invoker.yml", "-n", "inv", "-p", "Name=世界")
    assert ros.outputs("inv") == {"Greeting": "Hello, 世界!", "ResultType": "Success"}
    ros.run("stack", "update", "-n", "inv", "-p", "Name=again", "-p", "ExecuteVersion=2")
    assert ros.outputs("inv")["Greeting"] == "Hello, again!"
    rows = ros.json("fc", "invocations", "invoker-inv/greet")
    assert len([r for r in rows if r["functionName"] == "greet"]) == 2
    ros.run("stack", "delete", "-n", "inv")
    rows = ros.json("fc", "invocations", "invoker-inv/greet")
    assert len([r for r in rows if r["functionName"] == "greet"]) == 2  # deleting invoked nothing


def test_timer_and_http_triggers(ros: Ros):
    ros.run("stack", "create", "-t", "templates/trigger.yml", "-n", "trig")
    outputs = ros.outputs("trig")
    assert outputs["TimerTriggerId"]
    response = httpx.get(outputs["HttpUrl"], timeout=30)
    assert response.status_code == 200 and response.text == "hello from the http trigger"
    with ros.fc_client() as fc:
        names = {t["triggerName"]: t["triggerType"] for t in fc.list_triggers("triggers-trig", "handler")}
    assert names == {"every-minute": "timer", "http": "http"}
    ros.run("stack", "delete", "-n", "trig")
    assert "triggers-trig" not in _services(ros)


def test_versions_and_alias(ros: Ros):
    ros.run("stack", "create", "-t", "templates/versions-alias.yml", "-n", "ver")
    assert ros.outputs("ver") == {"VersionId": "1", "AliasName": "prod", "AliasVersion": "1"}
    # LATEST changes; the alias keeps serving the published version.
    ros.run("stack", "update", "-n", "ver", "-p", "Message=version two")
    assert "version two" in ros.run("fc", "invoke", "versions-ver/hello").stdout
    assert "version one" in ros.run("fc", "invoke", "versions-ver/hello", "-q", "prod").stdout
    ros.run("stack", "delete", "-n", "ver")
    assert "versions-ver" not in _services(ros)


def test_web_function_answers_on_its_url(ros: Ros):
    ros.run("stack", "create", "-t", "templates/web-function.yml", "-n", "web", "-p", "Greeting=bonjour")
    url = ros.outputs("web")["Url"]
    response = httpx.get(url + "hello", timeout=30)
    assert response.status_code == 200
    assert response.json() == {"message": "bonjour from a custom runtime", "path": "/hello"}
    ros.run("stack", "update", "-n", "web", "-p", "Greeting=hola")
    assert httpx.get(url, timeout=30).json()["message"] == "hola from a custom runtime"
    ros.run("stack", "delete", "-n", "web")
    assert "web-web" not in _services(ros)
