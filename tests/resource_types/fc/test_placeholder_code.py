"""A function whose code package only the cloud has (an OSS object that is not in the local object
store): refused as it is; with --placeholders a marked stand-in whose invocations say what is
missing; once the package is uploaded, an update makes it the real function."""

from __future__ import annotations

import io
import zipfile

import pytest

from rosengine.engine import StackEngine, StackOptions
from rosengine.state.errors import StackError
from tests.support.live_stack import LiveStack, events, live_stack, resource, stack_engine, template

__all__ = ["events", "live_stack", "stack_engine"]

REAL_CODE = "def handler(event, context):\n    return 'the real one'\n"


def _resources(runtime: str, handler: str = "index.handler", description: str = "") -> dict[str, object]:
    function: dict[str, object] = {
        "ServiceName": {"Fn::GetAtt": ["Service", "ServiceName"]},
        "FunctionName": "fn",
        "Handler": handler,
        "Runtime": runtime,
        "Description": description,
        "Code": {"OssBucketName": "publisher-artifacts", "OssObjectName": "releases/app.zip"},
    }
    if runtime == "custom":
        function["CustomRuntimeConfig"] = {"Command": ["/code/start-server"]}
    return {
        "Service": {
            "Type": "ALIYUN::FC::Service",
            "Properties": {"ServiceName": f"ph-{runtime.replace('.', '')}"},
        },
        "Function": {"Type": "ALIYUN::FC::Function", "Properties": function},
    }


def test_without_placeholders_the_missing_package_is_the_error(stack_engine: StackEngine) -> None:
    stack = stack_engine.create_stack("as-is", template(_resources("python3.10")))
    assert stack.status == "CREATE_ROLLBACK_COMPLETE"
    assert (
        "oss://publisher-artifacts/releases/app.zip was not found in the local object store" in stack.reason
    )


@pytest.mark.parametrize(
    ("runtime", "handler"),
    [
        ("python3.10", "main.run"),
        ("nodejs16", "index.handler"),
        ("custom", "index.handler"),
        ("java11", "com.example.Main::handleRequest"),
    ],
)
def test_with_placeholders_a_marked_stand_in_says_what_is_missing(
    stack_engine: StackEngine, live_stack: LiveStack, runtime: str, handler: str
) -> None:
    name = f"ph-{runtime.replace('.', '')}"
    stack = stack_engine.create_stack(
        name, template(_resources(runtime, handler)), options=StackOptions(placeholders=True)
    )
    assert stack.status == "CREATE_COMPLETE", stack.reason
    assert "1 of 2 resources are placeholders" in stack.reason
    row = resource(stack_engine, name, "Function")
    assert row.placeholder and row.note.startswith("placeholder: the code of")
    if runtime == "java11":  # no few-line Java handler: a custom runtime's bootstrap answers
        assert "its java11 runtime stood in for by a custom runtime" in row.note
    result = live_stack.fc.invoke_function(name, "fn", b"{}")
    assert (
        "oss://publisher-artifacts/releases/app.zip) is not in the local object store" in result.body.decode()
    )
    assert stack_engine.delete_stack(name).status == "DELETE_COMPLETE"


def test_uploading_the_package_and_updating_makes_it_real(
    stack_engine: StackEngine, live_stack: LiveStack
) -> None:
    options = StackOptions(placeholders=True)
    stack_engine.create_stack("later", template(_resources("python3.10")), options=options)
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("index.py", REAL_CODE)
    with live_stack.builders()["oss"]() as oss:
        oss.create_bucket("publisher-artifacts")
        oss.put_object("publisher-artifacts", "releases/app.zip", package.getvalue())
    with pytest.raises(StackError):  # nothing in the template changed: ROS refuses such an update
        stack_engine.update_stack("later", template_body=template(_resources("python3.10")), options=options)
    stack = stack_engine.update_stack(
        "later", template_body=template(_resources("python3.10", description="v2")), options=options
    )
    assert stack.status == "UPDATE_COMPLETE", stack.reason
    row = resource(stack_engine, "later", "Function")
    assert not row.placeholder and row.note == ""
    assert live_stack.fc.invoke_function("ph-python310", "fn", b"{}").body == b"the real one"
    assert stack_engine.delete_stack("later").status == "DELETE_COMPLETE"


def _application_trigger(depends: bool) -> str:
    trigger: dict[str, object] = {
        "Type": "ALIYUN::FC::Trigger",
        "Properties": {
            "ServiceName": "app-made-service",
            "FunctionName": "app-made-function",
            "TriggerName": "timer",
            "TriggerType": "timer",
            "TriggerConfig": {"CronExpression": "@every 5m", "Enable": True},
        },
    }
    if depends:
        trigger["DependsOn"] = "Application"
    return template(
        {
            "Application": {
                "Type": "ALIYUN::FC::Application",
                "Properties": {"Name": "app", "Template": "start-zip-oss", "AutoDeploy": True},
            },
            "Trigger": trigger,
        }
    )


def test_a_trigger_on_what_only_a_placeholder_would_create_is_a_marked_placeholder(
    stack_engine: StackEngine,
) -> None:
    options = StackOptions(placeholders=True)
    stack = stack_engine.create_stack("app-trigger", _application_trigger(depends=True), options=options)
    assert stack.status == "CREATE_COMPLETE", stack.reason
    assert "2 of 2 resources are placeholders" in stack.reason
    row = resource(stack_engine, "app-trigger", "Trigger")
    assert row.placeholder and "app-made-service" in row.note
    assert "it would come from Application (ALIYUN::FC::Application)" in row.note
    assert row.attributes["TriggerName"] == "timer" and row.attributes["ServiceName"] == "app-made-service"
    assert stack_engine.delete_stack("app-trigger").status == "DELETE_COMPLETE"
    # Without the dependency nothing says the service would exist: the missing service is the error.
    alone = stack_engine.create_stack("app-trigger-2", _application_trigger(depends=False), options=options)
    assert alone.status == "CREATE_ROLLBACK_COMPLETE" and "app-made-service" in alone.reason


def test_updating_a_stand_in_trigger_keeps_it_a_marked_placeholder(stack_engine: StackEngine) -> None:
    options = StackOptions(placeholders=True)
    stack_engine.create_stack("app-trigger-up", _application_trigger(depends=True), options=options)
    changed = _application_trigger(depends=True).replace("@every 5m", "@every 10m")
    stack = stack_engine.update_stack("app-trigger-up", template_body=changed, options=options)
    assert stack.status == "UPDATE_COMPLETE", stack.reason
    row = resource(stack_engine, "app-trigger-up", "Trigger")
    assert row.placeholder and "it would come from Application (ALIYUN::FC::Application)" in row.note
    assert row.properties["TriggerConfig"]["CronExpression"] == "@every 10m"
    assert stack_engine.delete_stack("app-trigger-up").status == "DELETE_COMPLETE"
