"""Pure parts of the FC 3.0 support: names, session table, HTTP event answers, destination ARNs,
sandbox mount arguments."""

from __future__ import annotations

import base64
import json

from fcbackend.asyncq.destinations import function_arn, parse_function_arn
from fcbackend.fc3.http_event import event_for, response_for
from fcbackend.fc3.names import display_name, parse_name, public_name, storage_service
from fcbackend.instances.launchers import mount_args
from fcbackend.models import HttpRequestInfo, InvocationResult
from fcbackend.scheduler.affinity import SessionTable


def test_names_round_trip() -> None:
    ref = parse_name("hello")
    assert (ref.service, ref.function, ref.fc2) == (storage_service("hello"), "hello", False)
    old = parse_name("svc$fn")
    assert (old.service, old.function, old.fc2) == ("svc", "fn", True)
    assert public_name(ref.service, "hello") == "hello" and public_name("svc", "fn") == "svc$fn"
    assert display_name(ref.service, "hello") == "hello" and display_name("svc", "fn") == "svc/fn"
    assert parse_name("$fn").fc2 is False  # no service before the separator: an FC 3.0 name


def test_session_table_binds_expires_and_forgets_instances() -> None:
    table: SessionTable[str] = SessionTable()
    table.bind("s1", "i-a", now=0)
    table.bind("s2", "i-a", now=0)
    assert table.instance_for("s1", now=5, ttl_s=100, idle_s=10) == "i-a" and table.count("i-a") == 2
    table.bind("s1", "i-a", now=9)  # used: its idle clock restarts
    assert table.instance_for("s1", now=15, ttl_s=100, idle_s=10) == "i-a"
    assert table.instance_for("s2", now=15, ttl_s=100, idle_s=10) is None  # idle for 15 s
    assert table.instance_for("s1", now=101, ttl_s=100, idle_s=1000) is None  # past its TTL
    table.bind("s3", "i-b", now=200)
    table.drop_instance("i-b")
    assert table.instance_for("s3", now=200, ttl_s=100, idle_s=10) is None


def test_http_event_and_answers() -> None:
    info = HttpRequestInfo(
        method="POST",
        path="/p",
        query="a=1&a=2",
        headers=[("content-type", "text/plain"), ("x-multi", "1"), ("x-multi", "2"), ("host", "h:1")],
        body=b"\xff",
        client_ip="10.0.0.1",
    )
    event = json.loads(
        event_for(info, request_id="r", account_id="acct", domain_prefix="fn", now=1700000000.5)
    )
    assert event["headers"] == {"Content-Type": "text/plain", "X-Multi": "1,2", "Host": "h:1"}
    assert event["queryParameters"] == {"a": "1,2"} and event["isBase64Encoded"] is True
    assert event["requestContext"]["timeEpoch"] == "1700000000500"
    assert (
        event["requestContext"]["http"]["sourceIp"] == "10.0.0.1"
        and event["requestContext"]["domainName"] == "h"
    )

    body = base64.b64encode(b"\x00bin").decode()
    answer = {
        "statusCode": 202,
        "headers": {"Set-Cookie": ["a=1", "b=2"], "x-fc-evil": "no"},
        "body": body,
        "isBase64Encoded": True,
    }
    status, headers, data = response_for(InvocationResult("r", 200, json.dumps(answer).encode()))
    assert status == 202 and data == b"\x00bin"
    assert ("Set-Cookie", "a=1") in headers and ("Set-Cookie", "b=2") in headers
    assert not any(name == "x-fc-evil" for name, _ in headers)
    status, _, data = response_for(InvocationResult("r", 200, b'{"statusCode": 99}'))
    assert status == 502 and json.loads(data)["Code"] == "InvalidHttpResponse"
    status, headers, data = response_for(
        InvocationResult("r", 200, b'{"errorMessage": "x"}', error_type="UnhandledInvocationError")
    )
    assert (
        status == 502
        and json.loads(data)["Message"] == "x"
        and ("x-fc-error-type", "UnhandledInvocationError") in headers
    )


def test_destination_arns_of_fc3_functions() -> None:
    target = parse_function_arn("acs:fc:cn-hangzhou:123:functions/notify")
    assert target is not None and (target.service, target.function, target.qualifier) == (
        storage_service("notify"),
        "notify",
        "LATEST",
    )
    assert parse_function_arn("acs:fc:cn-hangzhou:123:functions/notify:prod").qualifier == "prod"
    assert function_arn("r", "a", storage_service("f"), "LATEST", "f") == "acs:fc:r:a:functions/f"
    assert function_arn("r", "a", "svc", "LATEST", "f") == "acs:fc:r:a:services/svc.LATEST/functions/f"


def test_mount_args_hide_the_host_top_directory_and_bind_read_only_when_asked() -> None:
    args = mount_args((("/state/nas/x", "/mnt/nas", False), ("/state/oss/b", "/mnt/bucket", True)))
    assert args[:2] == ["--tmpfs", "/mnt"]
    assert args[-6:] == ["--bind", "/state/nas/x", "/mnt/nas", "--ro-bind", "/state/oss/b", "/mnt/bucket"]
    assert mount_args(()) == []
    assert "--tmpfs" not in mount_args((("/s", "/tmp/data", False),))
