"""Record twins: types FC templates reference that have no local data plane get realistic local
IDs and a value for every attribute of their schema, say "record", validate what a schema cannot,
are listed and deleted with the stack; API Gateway APIs backed by a function get a local route."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

import httpx

from resource_types import registry
from rosengine.engine import StackEngine
from tests.support.live_stack import LiveStack, template, unique

NETWORK = {
    "Vpc": {"Type": "ALIYUN::ECS::VPC", "Properties": {"CidrBlock": "192.168.0.0/16", "VpcName": "net"}},
    "Vsw": {
        "Type": "ALIYUN::ECS::VSwitch",
        "Properties": {"VpcId": {"Ref": "Vpc"}, "ZoneId": "cn-hangzhou-h", "CidrBlock": "192.168.1.0/24"},
    },
    "Sg": {"Type": "ALIYUN::ECS::SecurityGroup", "Properties": {"VpcId": {"Ref": "Vpc"}}},
    "Ssh": {
        "Type": "ALIYUN::ECS::SecurityGroupIngress",
        "Properties": {"SecurityGroupId": {"Ref": "Sg"}, "IpProtocol": "tcp", "PortRange": "22/22"},
    },
    "Eip": {"Type": "ALIYUN::VPC::EIP", "Properties": {}},
    "Nat": {
        "Type": "ALIYUN::VPC::NatGateway",
        "Properties": {"VpcId": {"Ref": "Vpc"}, "VSwitchId": {"Ref": "Vsw"}},
    },
    "Rg": {
        "Type": "ALIYUN::ResourceManager::ResourceGroup",
        "Properties": {"Name": "rg1", "DisplayName": "RG"},
    },
    "Dns": {
        "Type": "ALIYUN::DNS::DomainRecord",
        "Properties": {"DomainName": "example.com", "RR": "www", "Type": "A", "Value": "192.0.2.1"},
    },
    "Queue": {"Type": "ALIYUN::MNS::Queue", "Properties": {"QueueName": "jobs"}},
    "Topic": {"Type": "ALIYUN::MNS::Topic", "Properties": {"TopicName": "news"}},
}
ID_SHAPES = {
    "Vpc": r"vpc-lcl[0-9a-z]{14}",
    "Vsw": r"vsw-lcl[0-9a-z]{14}",
    "Sg": r"sg-lcl[0-9a-z]{14}",
    "Eip": r"eip-lcl[0-9a-z]{14}",
    "Nat": r"ngw-lcl[0-9a-z]{14}",
    "Rg": r"rg-lcl[0-9a-z]{14}",
    "Dns": r"[1-9][0-9]{16}",
    "Queue": "jobs",
    "Topic": "news",
}


def test_network_and_messaging_records(stack_engine: StackEngine, events: Any) -> None:
    stack = stack_engine.create_stack("net", template(NETWORK))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    rows = {r.logical_id: r for r in stack_engine.resources("net")}
    for logical_id, shape in ID_SHAPES.items():
        row = rows[logical_id]
        assert re.fullmatch(shape, str(row.physical_id)), (logical_id, row.physical_id)
        assert row.reason.startswith("record: ") and "IDs are local" in row.reason and not row.placeholder
        schema = registry.schema(row.type)
        assert schema is not None and set(schema.attributes) <= set(row.attributes), logical_id
    vpc = rows["Vpc"].attributes
    assert vpc["VpcId"] == rows["Vpc"].physical_id and vpc["VpcName"] == "net"
    assert vpc["VRouterId"].startswith("vrt-lcl") and vpc["RouteTableId"].startswith("vtb-lcl")
    assert rows["Vsw"].attributes["CidrBlock"] == "192.168.1.0/24"
    assert ipaddress.ip_address(rows["Eip"].attributes["EipAddress"]) in ipaddress.ip_network(
        "203.0.113.0/24"
    )
    assert rows["Nat"].attributes["SNatTableId"].startswith("stb-lcl")
    assert rows["Rg"].attributes["Id"] == rows["Rg"].physical_id and rows["Rg"].attributes["Name"] == "rg1"
    region, account = stack.identity["region"], stack.identity["account_id"]
    assert rows["Queue"].attributes["QueueUrl"] == f"https://{account}.mns.{region}.aliyuncs.com/queues/jobs"
    assert rows["Topic"].attributes["ARN.WithSlash"] == f"acs:mns:{region}:{account}:/topics/news"
    assert stack_engine.delete_stack("net").status == "DELETE_COMPLETE"
    removed = [e.reason for e in events.events if e.logical_id == "Vpc" and e.status == "DELETE_COMPLETE"]
    assert removed and removed[0].endswith("(record removed)")


def test_records_refuse_what_their_schema_cannot_say(stack_engine: StackEngine) -> None:
    bad = {"Vpc": {"Type": "ALIYUN::ECS::VPC", "Properties": {"CidrBlock": "192.168.0.1/16"}}}
    stack = stack_engine.create_stack("badcidr", template(bad))
    assert stack.status == "CREATE_ROLLBACK_COMPLETE"
    assert "CidrBlock '192.168.0.1/16' is not a CIDR block" in stack.reason
    rule = {
        "Sg": {"Type": "ALIYUN::ECS::SecurityGroup", "Properties": {}},
        "In": {
            "Type": "ALIYUN::ECS::SecurityGroupIngress",
            "Properties": {"SecurityGroupId": {"Ref": "Sg"}, "IpProtocol": "tcp", "PortRange": "22"},
        },
    }
    stack = stack_engine.create_stack("badport", template(rule))
    assert (
        stack.status == "CREATE_ROLLBACK_COMPLETE"
        and "PortRange '22' must look like <from>/<to>" in stack.reason
    )


def test_a_resolved_value_the_schema_refuses_fails_the_resource(stack_engine: StackEngine) -> None:
    """A value known only while deploying (another resource's attribute) is checked before the
    resource is created, as a literal is checked before anything starts."""
    body = template(
        {
            "Rg": {
                "Type": "ALIYUN::ResourceManager::ResourceGroup",
                "Properties": {"Name": "rg", "DisplayName": "x"},
            },
            "Queue": {
                "Type": "ALIYUN::MNS::Queue",
                "Properties": {"QueueName": "q", "DelaySeconds": {"Fn::GetAtt": ["Rg", "Name"]}},
            },
        }
    )
    stack = stack_engine.create_stack("badvalue", body)
    assert stack.status == "CREATE_ROLLBACK_COMPLETE"
    assert "Resources.Queue.Properties.DelaySeconds" in stack.reason and "must be a number" in stack.reason


HELLO = """
import base64, json

def handler(event, context):
    event = json.loads(event)
    body = base64.b64decode(event['body']).decode() if event['isBase64Encoded'] else event['body']
    answer = {'path': event['path'], 'id': event['pathParameters'].get('id'), 'body': body,
              'q': event['queryParameters']}
    return {'isBase64Encoded': False, 'statusCode': 201, 'headers': {'X-From': 'fc'},
            'body': json.dumps(answer)}
"""


def _api_gateway(service: str) -> str:
    return template(
        {
            "Service": {"Type": "ALIYUN::FC::Service", "Properties": {"ServiceName": service}},
            "Function": {
                "Type": "ALIYUN::FC::Function",
                "Properties": {
                    "ServiceName": {"Fn::GetAtt": ["Service", "ServiceName"]},
                    "FunctionName": "hello",
                    "Handler": "index.handler",
                    "Runtime": "python3.10",
                    "Code": {"SourceCode": HELLO},
                },
            },
            "Group": {"Type": "ALIYUN::ApiGateway::Group", "Properties": {"GroupName": "shop"}},
            "Api": {
                "Type": "ALIYUN::ApiGateway::Api",
                "Properties": {
                    "GroupId": {"Fn::GetAtt": ["Group", "GroupId"]},
                    "ApiName": "items",
                    "Visibility": "PRIVATE",
                    "RequestConfig": {
                        "RequestProtocol": "HTTP",
                        "RequestHttpMethod": "POST",
                        "RequestPath": "/items/[id]",
                        "RequestMode": "PASSTHROUGH",
                    },
                    "ServiceConfig": {
                        "ServiceProtocol": "FunctionCompute",
                        "FunctionComputeConfig": {
                            "fcRegionId": {"Ref": "ALIYUN::Region"},
                            "serviceName": {"Fn::GetAtt": ["Service", "ServiceName"]},
                            "functionName": {"Fn::GetAtt": ["Function", "FunctionName"]},
                        },
                    },
                },
            },
            "Deployment": {
                "Type": "ALIYUN::ApiGateway::Deployment",
                "Properties": {"GroupId": {"Ref": "Group"}, "ApiId": {"Ref": "Api"}, "StageName": "TEST"},
            },
        }
    )


def test_an_api_backed_by_a_function_answers_locally(
    stack_engine: StackEngine, live_stack: LiveStack
) -> None:
    stack = stack_engine.create_stack("shop", _api_gateway(unique("apigw")))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    rows = {r.logical_id: r for r in stack_engine.resources("shop")}
    group = rows["Group"].physical_id
    assert re.fullmatch(r"[0-9a-f]{32}", str(group)) and re.fullmatch(
        r"[0-9a-f]{32}", str(rows["Api"].physical_id)
    )
    assert rows["Group"].attributes["SubDomain"] == f"{group}-{stack.identity['region']}.alicloudapi.com"
    url = f"{live_stack.endpoint}/apigateway/{group}/items/42?x=1"
    answer = httpx.post(url, content=b"hi", headers={"X-Ca-Stage": "TEST"}, timeout=30)
    assert answer.status_code == 201 and answer.headers["x-from"] == "fc"
    assert answer.json() == {"path": "/items/42", "id": "42", "body": "hi", "q": {"x": "1"}}
    by_host = httpx.post(
        f"{live_stack.endpoint}/items/7",
        headers={"X-Ca-Stage": "TEST", "Host": rows["Group"].attributes["SubDomain"]},
        timeout=30,
    )
    assert by_host.status_code == 201 and by_host.json()["id"] == "7"
    released = httpx.post(url, timeout=30)  # the API is deployed to TEST only
    assert released.status_code == 404 and "deployed to stage RELEASE" in released.json()["Message"]
    assert stack_engine.delete_stack("shop").status == "DELETE_COMPLETE"
    gone = httpx.post(url, headers={"X-Ca-Stage": "TEST"}, timeout=30)
    assert gone.status_code == 404 and json.loads(gone.content)["Code"] == "GroupNotFound"
