"""The Funcraft examples in templates/serverless deploy from a clean checkout with `ros stack
create` and answer; a Funcraft template whose code is missing fails naming the function and the
path; one that needs types without a local provider is refused naming exactly those."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from resource_types import registry
from rosengine.template import load_template
from tests.e2e.conftest import TEMPLATES, Ros
from tests.support.corpus import require_corpus
from tests.support.paths import REPO

SERVERLESS = TEMPLATES / "serverless"


def _wait_for(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Poll until ``condition`` returns something truthy (the backend runs timers and OSS
    events in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)  # polling interval, not synchronisation


def _invocations(ros: Ros, target: str) -> list[dict[str, Any]]:
    service, function = target.split("/")
    rows = ros.json("fc", "invocations", target, "-n", "100")
    return [r for r in rows if r["serviceName"] == service and r["functionName"] == function]


def test_every_serverless_example_validates_strictly(ros: Ros):
    paths = sorted(str(p.relative_to(REPO)) for p in SERVERLESS.glob("*/template.yml"))
    assert len(paths) == 3
    result = ros.run("validate", "--strict", "-j", "1", *paths)
    assert f"0 errors, 0 warnings in {len(paths)} files" in result.stdout, result.stdout + result.stderr


def test_http_api_example(ros: Ros):
    template = "templates/serverless/http-api/template.yml"
    ros.run("stack", "create", "-t", template, "-n", "notes")
    outputs = ros.outputs("notes")
    assert outputs["ServiceName"] == outputs["FunctionArn"].split("/")[-3] and outputs[
        "ServiceName"
    ].startswith("notes-notes-")
    answer = httpx.get(outputs["Url"] + "hello", timeout=30).json()
    # .funignore left the tests and the notes out of the package.
    assert answer == {"greeting": "hello", "files": ["index.py"], "path": "/hello"}
    echoed = httpx.post(outputs["Url"], json={"n": 1}, timeout=30).json()
    assert echoed == {"echo": {"n": 1}, "path": "/"}

    original = ros.run("stack", "template", "-n", "notes").stdout
    assert original == (REPO / template).read_text(encoding="utf-8")
    processed = ros.run("stack", "template", "-n", "notes", "--processed").stdout
    assert "Transform" not in processed and "Type: ALIYUN::FC::Trigger" in processed
    assert ros.run("transform", "-t", template).stdout == processed
    ros.run("stack", "delete", "-n", "notes")


def test_timer_example(ros: Ros):
    ros.run(
        "stack",
        "create",
        "-t",
        "templates/serverless/timer/template.yml",
        "-n",
        "ticks",
        "-p",
        "Schedule=@every 1s",
    )
    service = ros.outputs("ticks")["ServiceName"]
    assert ros.outputs("ticks")["TriggerName"] == "schedule"
    _wait_for(lambda: _invocations(ros, f"{service}/tick"), "the timer to fire")
    logs = _wait_for(
        lambda: "job cleanup" in (out := ros.run("fc", "logs", f"{service}/tick").stdout) and out, "its log"
    )
    assert "tick schedule at" in logs
    ros.run("stack", "delete", "-n", "ticks")


def test_oss_trigger_example(ros: Ros, tmp_path: Path):
    bucket = f"uploads-{uuid.uuid4().hex[:8]}"
    ros.run("oss", "mb", f"oss://{bucket}")
    ros.run(
        "stack",
        "create",
        "-t",
        "templates/serverless/oss-trigger/template.yml",
        "-n",
        "ups",
        "-p",
        f"BucketName={bucket}",
    )
    outputs = ros.outputs("ups")
    target = f"{outputs['ServiceName']}/{outputs['FunctionName']}"
    note = tmp_path / "note.txt"
    note.write_text("hello")
    ros.run("oss", "cp", str(note), f"oss://{bucket}/other/skipped.txt")  # outside the filter
    ros.run("oss", "cp", str(note), f"oss://{bucket}/incoming/note.txt")
    _wait_for(lambda: [r for r in _invocations(ros, target) if r.get("status") != "running"], "the OSS event")
    logs = _wait_for(
        lambda: "incoming/note.txt" in (out := ros.run("fc", "logs", target).stdout) and out, "its log"
    )
    assert f"ObjectCreated:PutObject oss://{bucket}/incoming/note.txt (5 bytes)" in logs
    assert "skipped.txt" not in logs and len(_invocations(ros, target)) == 1
    ros.run("stack", "delete", "-n", "ups")


def test_corpus_template_without_its_code_fails_naming_function_and_path(ros: Ros):
    template = require_corpus("fun") / "examples" / "local_http" / "template.yml"
    result = ros.run("stack", "create", "-t", str(template), "-n", "nocode", "-o", "json", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    events = ros.json("stack", "events", "-n", "nocode")
    reasons = " ".join(e["StatusReason"] for e in events if e["Status"] == "CREATE_FAILED")
    assert "/nodejs8: Code.LocalPath" in reasons and str(template.parent / "nodejs8") in reasons, reasons
    assert json.loads(result.stdout)["Status"] == "CREATE_ROLLBACK_COMPLETE"
    ros.run("stack", "delete", "-n", "nocode")


def test_corpus_template_needing_missing_twins_is_refused_naming_them(ros: Ros):
    """image_crawler's Policies expand to a RAM role: refused before anything starts, naming
    exactly the types without a local provider (once they all have one, the create goes on and
    fails on the code the corpus does not carry)."""
    template = require_corpus("fun") / "examples" / "image_crawler" / "template.yml"
    loaded = load_template(template, filename=str(template))
    missing = set()
    for resource in loaded.data["Resources"].values():
        entry = registry.get(resource["Type"])
        if entry is None or entry.provider is None:
            missing.add(resource["Type"])
    result = ros.run("stack", "create", "-t", str(template), "-n", "crawler", check=False)
    if not missing:
        assert result.returncode == 1 and "/image-crawler: Code.LocalPath" in result.stdout + result.stderr
        ros.run("stack", "delete", "-n", "crawler")
        return
    assert result.returncode == 2
    assert "NotSupported" in result.stderr and "no local implementation" in result.stderr, result.stderr
    named = set(re.findall(r"(ALIYUN::[A-Za-z0-9]+::[A-Za-z0-9]+) \(", result.stderr))
    assert named == missing
    assert f"{template}:8:7" in result.stderr, result.stderr
