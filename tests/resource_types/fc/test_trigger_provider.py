"""ALIYUN::FC::Trigger against a real backend: timer and http triggers, URLs, update, delete."""

from __future__ import annotations

import json

import httpx
import pytest

from resource_types.fc.function import FunctionProvider
from resource_types.fc.service import ServiceProvider
from resource_types.fc.trigger import TriggerProvider
from tests.support.paths import REPO

SCHEMA = json.loads((REPO / "resource_types/fc/trigger.json").read_text())
HTTP_HANDLER = """\
def handler(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'hello from http']
"""


@pytest.fixture
def function(make_ctx, unique) -> str:
    service = unique("trgsvc")
    ServiceProvider().create(make_ctx(), {"ServiceName": service})
    FunctionProvider().create(
        make_ctx("ALIYUN::FC::Function"),
        {
            "ServiceName": service,
            "FunctionName": "fn",
            "Handler": "index.handler",
            "Runtime": "python3",
            "Code": {"SourceCode": HTTP_HANDLER},
        },
    )
    return service


def test_timer_trigger_create_update_delete(fc, make_ctx, function):
    provider, ctx = TriggerProvider(), make_ctx("ALIYUN::FC::Trigger")
    old = {
        "ServiceName": function,
        "FunctionName": "fn",
        "TriggerName": "tick",
        "TriggerType": "timer",
        "TriggerConfig": {"CronExpression": "@every 60m", "Enable": False, "Payload": "p"},
    }
    created = provider.create(ctx, old)
    assert created.physical_id == f"{function}|fn|tick"
    assert set(created.attributes) == set(SCHEMA["attributes"])
    assert created.attributes["TriggerId"] == fc.get_trigger(function, "fn", "tick")["triggerId"]
    assert created.attributes["UrlInternet"] is None
    assert fc.get_trigger(function, "fn", "tick")["triggerConfig"]["cronExpression"] == "@every 60m"

    new = {**old, "TriggerConfig": {"cronExpression": "@every 30m", "Enabled": False}}
    provider.update(ctx, created.physical_id, new, old, created.attributes)
    config = fc.get_trigger(function, "fn", "tick")["triggerConfig"]
    assert config["cronExpression"] == "@every 30m" and config["enable"] is False

    provider.delete(ctx, created.physical_id, new)
    assert provider.read(ctx, created.physical_id, new) is None
    provider.delete(ctx, created.physical_id, new)  # gone counts as deleted


def test_http_trigger_urls_answer(make_ctx, function):
    props = {
        "ServiceName": function,
        "FunctionName": "fn",
        "TriggerName": "web",
        "TriggerType": "http",
        "TriggerConfig": {"AuthType": "anonymous", "Methods": ["GET", "POST"]},
    }
    created = TriggerProvider().create(make_ctx("ALIYUN::FC::Trigger"), props)
    url = created.attributes["UrlInternet"]
    assert url and created.attributes["UrlIntranet"]
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200 and response.text == "hello from http"


def test_a_qualifier_removed_from_the_template_goes_back_to_none(fc, make_ctx, function):
    provider, ctx = TriggerProvider(), make_ctx("ALIYUN::FC::Trigger")
    fc.publish_version(function)
    old = {
        "ServiceName": function,
        "FunctionName": "fn",
        "TriggerName": "tick",
        "TriggerType": "timer",
        "TriggerConfig": {"CronExpression": "@every 60m", "Enable": False},
        "Qualifier": "1",
    }
    created = provider.create(ctx, old)
    assert fc.get_trigger(function, "fn", "tick")["qualifier"] == "1"
    new = {key: value for key, value in old.items() if key != "Qualifier"}
    provider.update(ctx, created.physical_id, new, old, created.attributes)
    assert fc.get_trigger(function, "fn", "tick")["qualifier"] == ""
