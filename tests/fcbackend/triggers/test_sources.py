"""Trigger configs per type, sample events per source, http trigger and custom domain routing."""

from __future__ import annotations

import json

import pytest

from backend_contract import fc_signing
from backend_contract.trigger_config import TRIGGER_TYPES, validate_trigger_config
from fcbackend.models import InvocationResult
from fcbackend.triggers.events import sample_event
from fcbackend.triggers.http import (
    DomainRoute,
    HttpTriggerError,
    check_method,
    check_signature,
    match_route,
    parse_proxy_path,
    response_parts,
    routes_of,
)
from fcbackend.triggers.model import TriggerInfo

VALID = {
    "timer": {"CronExpression": "0 0/4 * * * *", "Enable": True, "Payload": "x"},
    "http": {"AuthType": "anonymous", "Methods": ["GET", "POST"]},
    "oss": {
        "BucketName": "b",
        "Events": ["oss:ObjectCreated:*"],
        "Filter": {"Key": {"Prefix": "a/", "Suffix": ".jpg"}},
    },
    "log": {
        "sourceConfig": {"logstore": "src"},
        "logConfig": {"project": "p", "logstore": "l"},
        "jobConfig": {"maxRetryTime": 3, "triggerInterval": 60},
        "functionParameter": {},
        "enable": True,
    },
    "mns_topic": {"notifyStrategy": "BACKOFF_RETRY", "notifyContentFormat": "JSON", "filterTag": "t"},
    "cdn_events": {
        "eventName": "CachedObjectsRefreshed",
        "eventVersion": "1.0.0",
        "notes": "n",
        "filter": {"domain": ["a.com"]},
    },
    "tablestore": {"instanceName": "i", "tableName": "t"},
    "eventbridge": {
        "triggerEnable": True,
        "asyncInvocationType": False,
        "eventRuleFilterPattern": "{}",
        "eventSourceConfig": {"eventSourceType": "Default"},
    },
    "kafka": {"topic": "orders", "offsetReset": "latest"},
    "rds": {"subscriptionObjects": ["db.t"], "retry": 1, "concurrency": 2, "eventFormat": "json"},
}


@pytest.mark.parametrize("trigger_type", TRIGGER_TYPES)
def test_valid_configs_pass(trigger_type: str) -> None:
    assert validate_trigger_config(trigger_type, VALID[trigger_type]) == []


@pytest.mark.parametrize(
    ("trigger_type", "config", "fragment"),
    [
        ("timer", {"cronExpression": "0 0 * * *"}, "triggerConfig.cronExpression"),
        (
            "timer",
            {"cronExpression": "@every 1m", "enable": "yes"},
            "triggerConfig.enable must be true or false",
        ),
        ("http", {"authType": "token", "methods": ["GET"]}, "triggerConfig.authType"),
        ("http", {"authType": "anonymous", "methods": ["FETCH"]}, "triggerConfig.methods[0]"),
        ("oss", {"events": ["ObjectCreated:*"]}, "triggerConfig.events[0]"),
        ("log", {"enable": True}, "triggerConfig.sourceConfig is required"),
        (
            "mns_topic",
            {"notifyStrategy": "SOMETIMES", "notifyContentFormat": "JSON"},
            "notifyStrategy 'SOMETIMES'",
        ),
        ("cdn_events", {"eventName": "Nope", "filter": {}}, "eventName 'Nope'"),
        ("tablestore", {"instanceName": "i"}, "triggerConfig.tableName is required"),
        ("eventbridge", {"eventRuleFilterPattern": "{bad"}, "not valid JSON"),
        ("rds", {"retry": 9}, "triggerConfig.retry"),
        ("ftp", {}, "triggerType 'ftp' is not supported"),
        ("timer", ["not", "a", "map"], "must be an object"),
    ],
)
def test_bad_configs_name_the_key(trigger_type: str, config: object, fragment: str) -> None:
    errors = validate_trigger_config(trigger_type, config)
    assert any(fragment in e for e in errors), errors


@pytest.mark.parametrize("trigger_type", [t for t in TRIGGER_TYPES if t != "http"])
def test_sample_events_have_the_source_shape(trigger_type: str) -> None:
    trigger = TriggerInfo(
        "svc",
        "fn",
        "trig",
        trigger_type,
        VALID[trigger_type],
        source_arn="acs:mns:cn-hangzhou:1:/topics/orders",
    )
    event = json.loads(sample_event(trigger, region="cn-hangzhou", account_id="1", now=1_704_067_200.0))
    expected_keys = {
        "timer": {"triggerTime", "triggerName", "payload"},
        "oss": {"events"},
        "cdn_events": {"events"},
        "log": {"parameter", "source", "jobName", "taskId", "cursorTime"},
        "mns_topic": {"TopicOwner", "Message", "TopicName", "MessageId", "PublishTime"},
        "tablestore": {"Version", "Records"},
        "eventbridge": {"id", "source", "specversion", "type", "data", "time"},
        "rds": {"id", "source", "specversion", "type", "data"},
    }
    if trigger_type == "kafka":
        assert isinstance(event, list) and event[0]["data"]["topic"] == "orders"
        return
    assert expected_keys[trigger_type] <= set(event)
    if trigger_type == "oss":
        record = event["events"][0]
        assert record["oss"]["bucket"]["name"] == "b" and record["oss"]["object"]["key"] == "a/sample.jpg"
    if trigger_type == "timer":
        assert event == {"triggerTime": "2024-01-01T00:00:00Z", "triggerName": "trig", "payload": "x"}


def test_proxy_paths() -> None:
    target = parse_proxy_path("/2016-08-15/proxy/svc.prod/fn/a/b%20c")
    assert (target.service, target.qualifier, target.function, target.path) == ("svc", "prod", "fn", "/a/b c")
    assert parse_proxy_path("/2016-08-15/proxy/svc/fn").path == "/"
    assert parse_proxy_path("/2016-08-15/proxy/svc/fn/").qualifier == "LATEST"
    with pytest.raises(HttpTriggerError) as bad:
        parse_proxy_path("/2016-08-15/proxy/svc")
    assert bad.value.status == 400


def test_methods_and_function_auth() -> None:
    trigger = TriggerInfo("s", "f", "h", "http", {"authType": "function", "methods": ["GET"]})
    check_method(trigger, "get")
    with pytest.raises(HttpTriggerError) as wrong_method:
        check_method(trigger, "POST")
    assert wrong_method.value.status == 405
    path = "/2016-08-15/proxy/s/f/x"
    headers = {"date": fc_signing.http_date(), "content-type": "text/plain"}
    good = fc_signing.authorization("AK", "SECRET", "GET", path, headers, {"b": "2", "a": "1"})
    check_signature(
        trigger,
        method="GET",
        path=path,
        query="a=1&b=2",
        headers={**headers, "authorization": good},
        secret_for={"AK": "SECRET"},
    )
    for auth, code in (
        ("", "AccessDenied"),
        ("FC AK:bogus", "SignatureNotMatch"),
        ("FC OTHER:x", "InvalidAccessKeyID"),
    ):
        with pytest.raises(HttpTriggerError) as denied:
            check_signature(
                trigger,
                method="GET",
                path=path,
                query="a=1&b=2",
                headers={**headers, "authorization": auth} if auth else headers,
                secret_for={"AK": "SECRET"},
            )
        assert denied.value.status == 403 and denied.value.code == code
    # signed without the query: refused, the query is part of the resource for http triggers
    bare = fc_signing.authorization("AK", "SECRET", "GET", path, headers)
    with pytest.raises(HttpTriggerError):
        check_signature(
            trigger,
            method="GET",
            path=path,
            query="a=1",
            headers={**headers, "authorization": bare},
            secret_for={"AK": "SECRET"},
        )


def test_custom_domain_precedence() -> None:
    routes = routes_of(
        {
            "routeConfig": {
                "routes": [
                    {"path": "/*", "serviceName": "s", "functionName": "catchall"},
                    {
                        "path": "/login/*",
                        "serviceName": "s",
                        "functionName": "login-any",
                        "qualifier": "prod",
                    },
                    {"path": "/login", "serviceName": "s", "functionName": "login-exact"},
                    {"path": "/login/admin/*", "serviceName": "s", "functionName": "admin"},
                    {"path": "/api/*", "serviceName": "s", "functionName": "api-post", "methods": ["POST"]},
                ]
            }
        }
    )

    def pick(path: str, method: str = "GET") -> str | None:
        match = match_route(routes, path, method)
        return match.route.function if match else None

    assert pick("/login") == "login-exact"
    assert pick("/login/x") == "login-any"
    assert pick("/login/admin/users") == "admin"
    assert pick("/other") == "catchall"
    assert pick("/api/v1", "POST") == "api-post"
    assert pick("/api/v1", "GET") == "catchall"
    assert match_route([DomainRoute("/only", "s", "f")], "/else") is None
    assert match_route(routes, "/login/x").route.qualifier == "prod"  # type: ignore[union-attr]


def test_http_response_mapping_drops_forbidden_headers_and_reports_crashes() -> None:
    ok = InvocationResult(
        request_id="r1",
        status=202,
        body=b"hi",
        headers={"X-Custom": "1", "x-fc-secret": "no", "Content-Length": "2", "x-fc-status": "200"},
    )
    status, headers, body = response_parts(ok)
    names = [k.lower() for k, _ in headers]
    assert status == 202 and body == b"hi" and "x-custom" in names
    assert "x-fc-secret" not in names and "content-length" not in names
    crash = InvocationResult(
        request_id="r2", status=200, body=b'{"errorMessage": "boom"}', error_type="UnhandledInvocationError"
    )
    status, headers, body = response_parts(crash)
    assert status == 502 and json.loads(body)["ErrorMessage"] == "boom"
    assert ("x-fc-error-type", "UnhandledInvocationError") in headers
