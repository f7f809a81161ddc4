"""ALIYUN::ROS::Sleep really sleeps (scaled by ROSENGINE_SLEEP_SCALE) and AutoEnableService is an
announced no-op; nested stacks from the local object store (oss://)."""

from __future__ import annotations

import json
import time

import pytest

from rosengine.clients.oss import OssClient
from rosengine.engine import StackEngine
from tests.support.live_stack import LiveStack, resource, template, unique


def test_sleep_sleeps_scaled_and_says_so(stack_engine: StackEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROSENGINE_SLEEP_SCALE", "0.01")
    body = template({"Pause": {"Type": "ALIYUN::ROS::Sleep", "Properties": {"CreateDuration": 60}}})
    began = time.monotonic()
    stack = stack_engine.create_stack("pause", body)
    elapsed = time.monotonic() - began
    assert stack.status == "CREATE_COMPLETE", stack.reason
    assert elapsed >= 0.6
    reason = resource(stack_engine, "pause", "Pause").reason
    assert reason == "slept 0.6 s (CreateDuration 60 s scaled by ROSENGINE_SLEEP_SCALE=0.01)"
    monkeypatch.setenv("ROSENGINE_SLEEP_SCALE", "often")
    stack = stack_engine.create_stack("badscale", body)
    assert (
        stack.status == "CREATE_ROLLBACK_COMPLETE"
        and "ROSENGINE_SLEEP_SCALE must be a number" in stack.reason
    )


def test_auto_enable_service_is_an_announced_no_op(stack_engine: StackEngine, events: object) -> None:
    body = template(
        {"Enable": {"Type": "ALIYUN::ROS::AutoEnableService", "Properties": {"ServiceName": "NAS"}}}
    )
    assert stack_engine.create_stack("enable", body).status == "CREATE_COMPLETE"
    complete = [e for e in events.events if e.logical_id == "Enable" and e.status == "CREATE_COMPLETE"]  # type: ignore[attr-defined]
    assert complete[0].reason == "no-op locally: activating NAS has no local meaning"


def test_a_nested_template_from_the_local_object_store(
    stack_engine: StackEngine, live_stack: LiveStack
) -> None:
    bucket = unique("templates")
    child = {
        "ROSTemplateFormatVersion": "2015-09-01",
        "Outputs": {"Where": {"Value": "from oss"}},
    }
    oss = OssClient(live_stack.endpoint, live_stack.config.access_key_id, live_stack.config.access_key_secret)
    try:
        oss.create_bucket(bucket)
        oss.put_object(bucket, "nested/child.json", json.dumps(child).encode())
    finally:
        oss.close()
    body = template(
        {
            "Child": {
                "Type": "ALIYUN::ROS::Stack",
                "Properties": {"TemplateURL": f"oss://{bucket}/nested/child.json"},
            }
        },
        Outputs={"Where": {"Value": {"Fn::GetAtt": ["Child", "Outputs.Where"]}}},
    )
    stack = stack_engine.create_stack("fromoss", body)
    assert stack.status == "CREATE_COMPLETE", stack.reason
    assert {o.key: o.value for o in stack_engine.store.get_outputs(stack.id)} == {"Where": "from oss"}
    missing = template(
        {
            "Child": {
                "Type": "ALIYUN::ROS::Stack",
                "Properties": {"TemplateURL": f"oss://{bucket}/nothing.yml"},
            }
        }
    )
    with pytest.raises(Exception) as refused:
        stack_engine.create_stack("nooss", missing)
    assert "cannot be read from the local object store" in str(refused.value)
