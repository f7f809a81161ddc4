"""WaitConditionHandle / WaitCondition through the engine and the backend's ROS callbacks service:
signals by URL (from the host and from a function), by hand, before the wait, FAILURE, timeout,
late and forged signals, and waits only placeholders could signal."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from rosengine.engine import StackEngine, StackOptions
from rosengine.state.models import StackRecord
from tests.support.live_stack import resource, template

HANDLE = {"Type": "ALIYUN::ROS::WaitConditionHandle"}


def _wait(count: int = 1, timeout: int = 30, **extra: Any) -> dict[str, Any]:
    props = {"Handle": {"Ref": "Handle"}, "Timeout": timeout, "Count": count, **extra}
    return {"Type": "ALIYUN::ROS::WaitCondition", "Properties": props}


def _in_background(call: Callable[[], StackRecord]) -> tuple[threading.Thread, list[StackRecord]]:
    done: list[StackRecord] = []
    thread = threading.Thread(target=lambda: done.append(call()), daemon=True)
    thread.start()
    return thread, done


def _handle_url(engine: StackEngine, stack: str, deadline_s: float = 30) -> str:
    """The handle's URL as soon as the handle exists (polled with a deadline)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        found = engine.store.find_stack(stack)
        if found is not None:
            rows = {r.logical_id: r for r in engine.store.get_resources(found.id)}
            handle = rows.get("Handle")
            if handle is not None and handle.attributes.get("URL"):
                return str(handle.attributes["URL"])
        time.sleep(0.02)  # polling for the handle's row, with a deadline
    raise AssertionError("the handle was never created")


def _post(url: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(url, json=body, headers={"Content-Type": "application/json"}, timeout=10)


def test_signals_posted_to_the_url_complete_the_wait(stack_engine: StackEngine) -> None:
    body = template(
        {"Handle": HANDLE, "Wait": _wait(count=2)},
        Outputs={
            "Data": {"Value": {"Fn::GetAtt": ["Wait", "Data"]}},
            "Curl": {"Value": {"Fn::GetAtt": ["Handle", "CurlCli"]}},
        },
    )
    thread, done = _in_background(lambda: stack_engine.create_stack("wc", body))
    url = _handle_url(stack_engine, "wc")
    assert _post(url, {"status": "SUCCESS", "data": {"ip": "10.0.0.1"}}).status_code == 200
    assert _post(url, {"status": "SUCCESS", "id": "db", "reason": "ready"}).status_code == 200
    thread.join(60)
    assert done and done[0].status == "CREATE_COMPLETE", done and done[0].reason
    outputs = {o.key: o.value for o in stack_engine.store.get_outputs(done[0].id)}
    assert json.loads(outputs["Data"]) == {"1": {"ip": "10.0.0.1"}, "db": None}
    assert outputs["Curl"].startswith("curl -i -X POST") and "waitcondition?stackname=wc" in outputs["Curl"]
    wait = resource(stack_engine, "wc", "Wait")
    assert wait.attributes["ErrorData"] == "{}" and wait.attributes["JoinedErrorData"] == ""


def test_signals_sent_before_the_wait_exists_count(stack_engine: StackEngine) -> None:
    stack = stack_engine.create_stack("early", template({"Handle": HANDLE}))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    sent = stack_engine.signal_resource("early", "Handle", status="SUCCESS", unique_id="boot", data="ok")
    assert sent == {"UniqueId": "boot", "Status": "SUCCESS"}
    began = time.monotonic()
    updated = stack_engine.update_stack("early", template_body=template({"Handle": HANDLE, "Wait": _wait()}))
    assert updated.status == "UPDATE_COMPLETE", updated.reason
    assert time.monotonic() - began < 10
    assert json.loads(resource(stack_engine, "early", "Wait").attributes["Data"]) == {"boot": "ok"}


def test_a_failure_signal_fails_the_wait_and_rolls_back(stack_engine: StackEngine) -> None:
    body = template({"Handle": HANDLE, "Wait": _wait(count=3)})
    thread, done = _in_background(lambda: stack_engine.create_stack("fails", body))
    url = _handle_url(stack_engine, "fails")
    _post(url, {"status": "SUCCESS"})
    _post(url, {"status": "FAILURE", "reason": "disk full"})
    thread.join(60)
    assert done[0].status == "CREATE_ROLLBACK_COMPLETE"
    assert "received a FAILURE signal (2: disk full)" in done[0].reason
    assert stack_engine.store.get_resources(done[0].id) == []


def test_timeout_fails_the_wait(stack_engine: StackEngine) -> None:
    began = time.monotonic()
    stack = stack_engine.create_stack("slow", template({"Handle": HANDLE, "Wait": _wait(timeout=1)}))
    assert stack.status == "CREATE_ROLLBACK_COMPLETE"
    assert "timed out after 1 s waiting for 1 SUCCESS signal on Handle (received 0)" in stack.reason
    assert time.monotonic() - began < 20


@pytest.mark.parametrize("internet_access", [True, False], ids=["host-network", "own-network"])
def test_a_function_signals_its_handle(stack_engine: StackEngine, internet_access: bool) -> None:
    """The URL works from inside a function, also one whose sandbox has a network of its own
    (internetAccess false: only the gateway answers there, on its own address)."""
    if not internet_access and os.geteuid() != 0:
        pytest.skip("the gateway listens on its own address (and in function networks) only as root")
    code = (
        "import json, os, urllib.request\n"
        "def handler(event, context):\n"
        "    body = json.dumps({'status': 'SUCCESS', 'data': 'from ' + context.function.name}).encode()\n"
        "    request = urllib.request.Request(os.environ['SIGNAL_URL'], data=body,\n"
        "                                     headers={'Content-Type': 'application/json'})\n"
        "    return urllib.request.urlopen(request, timeout=10).read().decode()\n"
    )
    resources = {
        "Handle": HANDLE,
        "Service": {
            "Type": "ALIYUN::FC::Service",
            "Properties": {"ServiceName": "signaller-svc", "InternetAccess": internet_access},
        },
        "Function": {
            "Type": "ALIYUN::FC::Function",
            "Properties": {
                "ServiceName": {"Fn::GetAtt": ["Service", "ServiceName"]},
                "FunctionName": "signaller",
                "Handler": "index.handler",
                "Runtime": "python3.10",
                "Timeout": 30,
                "EnvironmentVariables": {"SIGNAL_URL": {"Fn::GetAtt": ["Handle", "URL"]}},
                "Code": {"SourceCode": code},
            },
        },
        "Invoke": {
            "Type": "ALIYUN::FC::FunctionInvoker",
            "Properties": {
                "ServiceName": {"Fn::GetAtt": ["Service", "ServiceName"]},
                "FunctionName": {"Fn::GetAtt": ["Function", "FunctionName"]},
                "ExecuteVersion": 1,
                "CheckError": True,
            },
        },
        "Wait": {**_wait(timeout=60), "DependsOn": ["Function"]},
    }
    stack = stack_engine.create_stack("fromfn", template(resources))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    assert json.loads(resource(stack_engine, "fromfn", "Wait").attributes["Data"]) == {"1": "from signaller"}
    assert stack_engine.delete_stack("fromfn").status == "DELETE_COMPLETE"


def test_late_and_forged_signals_are_refused_and_the_stack_stays(stack_engine: StackEngine) -> None:
    stack_engine.create_stack("late", template({"Handle": HANDLE}))
    stack_engine.signal_resource("late", "Handle", status="SUCCESS")
    stack = stack_engine.update_stack("late", template_body=template({"Handle": HANDLE, "Wait": _wait()}))
    assert stack.status == "UPDATE_COMPLETE"
    url = str(resource(stack_engine, "late", "Handle").attributes["URL"])
    late = _post(url, {"status": "FAILURE"})
    assert late.status_code == 409 and late.json()["Code"] == "WaitConditionFinished"
    forged = _post(url[:-1] + ("0" if url[-1] != "0" else "1"), {"status": "SUCCESS"})
    assert forged.status_code == 403 and forged.json()["Code"] == "InvalidSignature"
    unsigned = _post(url.split("&signature=")[0], {"status": "SUCCESS"})
    assert unsigned.status_code == 400
    again = stack_engine.get_stack("late")
    assert again.status == "UPDATE_COMPLETE"
    assert json.loads(resource(stack_engine, "late", "Wait").attributes["Data"]) == {"1": None}


def test_progress_events_show_each_signal(stack_engine: StackEngine, events: Any) -> None:
    stack_engine.create_stack("shown", template({"Handle": HANDLE}))
    stack_engine.signal_resource("shown", "Handle", status="WARNING", reason="still installing")
    stack_engine.signal_resource("shown", "Handle", status="SUCCESS", reason="installed")
    body = template({"Handle": HANDLE, "Wait": _wait(ShowProgressEvent="Enabled")})
    assert stack_engine.update_stack("shown", template_body=body).status == "UPDATE_COMPLETE"
    reasons = [e.reason for e in events.events if e.logical_id == "Wait"]
    assert "signal 1: WARNING still installing" in reasons and "signal 2: SUCCESS installed" in reasons


def test_a_wait_only_placeholders_could_signal_is_signalled_and_flagged(stack_engine: StackEngine) -> None:
    resources = {
        "Handle": HANDLE,
        "Install": {
            "Type": "ALIYUN::ECS::RunCommand",
            "Properties": {
                "Type": "RunShellScript",
                "InstanceIds": ["i-example"],
                "CommandContent": {"Fn::Join": ["", [{"Fn::GetAtt": ["Handle", "CurlCli"]}, " -d '{}'"]]},
            },
        },
        "Wait": {**_wait(timeout=3600), "DependsOn": "Install"},
    }
    began = time.monotonic()
    stack = stack_engine.create_stack(
        "simulated", template(resources), options=StackOptions(placeholders=True)
    )
    assert stack.status == "CREATE_COMPLETE", stack.reason
    assert time.monotonic() - began < 20
    wait = resource(stack_engine, "simulated", "Wait")
    assert wait.note.startswith("flagged: signalled SUCCESS by rosengine")
    assert "Install (ALIYUN::ECS::RunCommand)" in wait.reason
    assert (
        "1 of 3 resources are placeholders (no local twin): Install (ALIYUN::ECS::RunCommand)" in stack.reason
    )
