"""Custom resources (ALIYUN::ROS::CustomResource and Custom::*) with local functions as handlers:
ROS's request/response protocol on create, update and delete, and every way a handler can get it
wrong, each a clear failure with the stack rolled back."""

from __future__ import annotations

from typing import Any

from rosengine.engine import StackEngine
from tests.support.live_stack import resource, template, unique

# A handler in the style of the corpus's: json.loads(event), POST the response with urllib.
HANDLER = """
import json, urllib.request

def handler(event, context):
    event = json.loads(event)
    props = event['ResourceProperties']
    mode = props.get('Mode', 'good')
    response = {
        'RequestId': event['RequestId'] if mode != 'wrong-id' else 'not-the-request',
        'LogicalResourceId': event['LogicalResourceId'],
        'StackId': event['StackId'],
        'Status': 'FAILED' if mode == 'failed' else 'SUCCESS',
        'Reason': 'the handler said no',
        'PhysicalResourceId': props.get('Id', 'custom-1'),
        'Data': {'Sum': props.get('X', 0) + props.get('Y', 0), 'Type': event['RequestType'],
                 'Old': (event.get('OldResourceProperties') or {}).get('X')},
    }
    if mode == 'no-status':
        del response['Status']
    if mode == 'silent':
        return 'returned without responding'
    request = urllib.request.Request(event['ResponseURL'], data=json.dumps(response).encode(),
                                     headers={'Content-Type': 'application/json'})
    return urllib.request.urlopen(request, timeout=10).read().decode()
"""


def _stack(service: str, custom: dict[str, Any] | None = None, **parameters: Any) -> str:
    resources: dict[str, Any] = {
        "Service": {"Type": "ALIYUN::FC::Service", "Properties": {"ServiceName": service}},
        "Handler": {
            "Type": "ALIYUN::FC::Function",
            "Properties": {
                "ServiceName": {"Fn::GetAtt": ["Service", "ServiceName"]},
                "FunctionName": "handler",
                "Handler": "index.handler",
                "Runtime": "python3.10",
                "Timeout": 20,
                "Code": {"SourceCode": HANDLER},
            },
        },
        "Sum": custom
        or {
            "Type": "Custom::Add",
            "Properties": {
                "ServiceToken": {"Fn::GetAtt": ["Handler", "ARN"]},
                "Parameters": parameters,
                "Timeout": 30,
            },
        },
    }
    outputs = {
        "Outputs": {"Value": {"Fn::GetAtt": ["Sum", "Outputs"]}},
        "Sum": {"Value": {"Fn::GetAtt": ["Sum", "Sum"]}},
    }
    return template(resources, Outputs=outputs)


def _outputs(engine: StackEngine, name: str) -> dict[str, Any]:
    return {o.key: o.value for o in engine.store.get_outputs(engine.get_stack(name).id)}


def test_create_update_delete_follow_the_protocol(stack_engine: StackEngine) -> None:
    service = unique("custom")
    stack = stack_engine.create_stack("cr", _stack(service, X=1, Y=2))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    assert _outputs(stack_engine, "cr") == {"Outputs": {"Sum": 3, "Type": "Create", "Old": None}, "Sum": 3}
    assert resource(stack_engine, "cr", "Sum").physical_id == "custom-1"
    stack = stack_engine.update_stack("cr", template_body=_stack(service, X=5, Y=2))
    assert stack.status == "UPDATE_COMPLETE", stack.reason
    assert _outputs(stack_engine, "cr")["Outputs"] == {"Sum": 7, "Type": "Update", "Old": 1}
    assert stack_engine.delete_stack("cr").status == "DELETE_COMPLETE"


def test_a_wrong_request_id_fails_at_once_and_rolls_back(stack_engine: StackEngine) -> None:
    stack = stack_engine.create_stack("wrongid", _stack(unique("custom"), Mode="wrong-id"))
    assert stack.status == "CREATE_ROLLBACK_COMPLETE"
    assert "the handler's response was refused" in stack.reason
    assert "RequestId 'not-the-request' is not the request's" in stack.reason
    assert stack_engine.store.get_resources(stack.id) == []


def test_a_response_without_status_is_refused(stack_engine: StackEngine) -> None:
    stack = stack_engine.create_stack("nostatus", _stack(unique("custom"), Mode="no-status"))
    assert stack.status == "CREATE_ROLLBACK_COMPLETE"
    assert 'the response has no Status; it must be "SUCCESS" or "FAILED"' in stack.reason


def test_failed_responses_and_silent_handlers_fail_with_the_reason(stack_engine: StackEngine) -> None:
    stack = stack_engine.create_stack("failed", _stack(unique("custom"), Mode="failed"))
    assert stack.status == "CREATE_ROLLBACK_COMPLETE"
    assert "the handler answered FAILED: the handler said no" in stack.reason
    stack = stack_engine.create_stack("silent", _stack(unique("custom"), Mode="silent"))
    assert stack.status == "CREATE_ROLLBACK_COMPLETE"
    assert "ended (Succeeded) without sending a response to ResponseURL" in stack.reason


def test_the_physical_id_may_not_change_on_update(stack_engine: StackEngine) -> None:
    service = unique("custom")
    assert stack_engine.create_stack("pid", _stack(service, Id="first")).status == "CREATE_COMPLETE"
    stack = stack_engine.update_stack("pid", template_body=_stack(service, Id="second"))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert "physical id may not change on update" in stack.reason
    assert resource(stack_engine, "pid", "Sum").physical_id == "first"


def test_tokens_that_nothing_local_would_receive_are_refused(stack_engine: StackEngine) -> None:
    for token, expected in (
        ("acs:mns:cn-hangzhou:123:queues/q", "MNS is recorded locally without a data plane"),
        ("web:https://example.com/hook", "which is not this machine"),
        ("arn:aws:lambda:x", "neither an FC function ARN"),
    ):
        custom = {"Type": "ALIYUN::ROS::CustomResource", "Properties": {"ServiceToken": token}}
        stack = stack_engine.create_stack(unique("token"), _stack(unique("custom"), custom))
        assert stack.status == "CREATE_ROLLBACK_COMPLETE"
        assert expected in stack.reason


def test_a_web_token_on_a_local_http_trigger_is_called(stack_engine: StackEngine, live_stack: Any) -> None:
    """``web[sync]:`` pointing at this backend (an HTTP trigger's URL) answers in its body."""
    code = (
        "import json\n"
        "def handler(environ, start_response):\n"
        "    size = int(environ.get('CONTENT_LENGTH') or 0)\n"
        "    event = json.loads(environ['wsgi.input'].read(size))\n"
        "    start_response('200 OK', [('Content-Type', 'application/json')])\n"
        "    body = {'Status': 'SUCCESS', 'PhysicalResourceId': 'web-1',\n"
        "            'Data': {'Type': event['RequestType']}}\n"
        "    return [json.dumps(body).encode()]\n"
    )
    service = unique("webhook")
    base = {
        "Service": {"Type": "ALIYUN::FC::Service", "Properties": {"ServiceName": service}},
        "Hook": {
            "Type": "ALIYUN::FC::Function",
            "Properties": {
                "ServiceName": {"Fn::GetAtt": ["Service", "ServiceName"]},
                "FunctionName": "hook",
                "Handler": "index.handler",
                "Runtime": "python3.10",
                "Code": {"SourceCode": code},
            },
        },
        "Trigger": {
            "Type": "ALIYUN::FC::Trigger",
            "Properties": {
                "ServiceName": {"Fn::GetAtt": ["Service", "ServiceName"]},
                "FunctionName": {"Fn::GetAtt": ["Hook", "FunctionName"]},
                "TriggerName": "http",
                "TriggerType": "http",
                "TriggerConfig": {"AuthType": "anonymous", "Methods": ["POST"]},
            },
        },
    }
    assert stack_engine.create_stack("hook", template(base)).status == "CREATE_COMPLETE"
    url = f"{live_stack.endpoint}/2016-08-15/proxy/{service}/hook/"
    custom = {
        "Type": "Custom::Web",
        "Properties": {"ServiceToken": f"web[sync,idempotent]:{url}", "Parameters": {"A": 1}},
    }
    stack = stack_engine.create_stack("usesweb", template({"Web": custom}))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    web = resource(stack_engine, "usesweb", "Web")
    assert web.physical_id == "web-1" and web.attributes["Type"] == "Create"


def test_an_fc3_function_handles_a_custom_resource(stack_engine: StackEngine) -> None:
    name = unique("handler3")
    body = template(
        {
            "Handler": {
                "Type": "ALIYUN::FC3::Function",
                "Properties": {
                    "FunctionName": name,
                    "Runtime": "python3.10",
                    "Handler": "index.handler",
                    "Timeout": 20,
                    "Code": {"SourceCode": HANDLER},
                },
            },
            "Sum": {
                "Type": "Custom::Add",
                "Properties": {
                    "ServiceToken": {"Fn::GetAtt": ["Handler", "ARN"]},
                    "Parameters": {"X": 20, "Y": 22},
                },
            },
        }
    )
    stack = stack_engine.create_stack("cr3", body)
    assert stack.status == "CREATE_COMPLETE", stack.reason
    assert resource(stack_engine, "cr3", "Sum").attributes["Sum"] == 42
    assert stack_engine.delete_stack("cr3").status == "DELETE_COMPLETE"
