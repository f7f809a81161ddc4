"""ALIYUN::FC::FunctionInvoker semantics against a real backend
(docs/reference/fc-resource-types.md#functioninvoker)."""

from __future__ import annotations

import pytest

from resource_types.base import ProviderError
from resource_types.fc.function import FunctionProvider
from resource_types.fc.function_invoker import FunctionInvokerProvider
from resource_types.fc.service import ServiceProvider
from tests.support.fc_providers import invocation_count

SOURCE = """\
def handler(event, context):
    text = event.decode('utf-8')
    if text == 'fail':
        raise ValueError('asked to fail')
    return '你好 ' + text
"""


@pytest.fixture
def function(make_ctx, unique) -> str:
    service = unique("invsvc")
    ServiceProvider().create(make_ctx(), {"ServiceName": service})
    FunctionProvider().create(
        make_ctx("ALIYUN::FC::Function"),
        {
            "ServiceName": service,
            "FunctionName": "fn",
            "Handler": "index.handler",
            "Runtime": "python3",
            "Code": {"SourceCode": SOURCE},
        },
    )
    return service


def _props(service: str, **extra) -> dict:
    return {"ServiceName": service, "FunctionName": "fn", **extra}


def test_without_execute_version_nothing_is_invoked(fc, make_ctx, function):
    provider, ctx = FunctionInvokerProvider(), make_ctx("ALIYUN::FC::FunctionInvoker")
    props = _props(function, Event="x")
    result = provider.create(ctx, props)
    assert result.attributes == {"ResultType": "NoResult", "Result": None}
    provider.update(ctx, result.physical_id, _props(function, Event="y"), props, result.attributes)
    assert invocation_count(fc, function, "fn") == 0


def test_create_invokes_with_utf8_event_and_update_only_when_version_changes(fc, make_ctx, function):
    provider, ctx = FunctionInvokerProvider(), make_ctx("ALIYUN::FC::FunctionInvoker")
    v1 = _props(function, Event="世界", ExecuteVersion=1)
    created = provider.create(ctx, v1)
    assert created.attributes == {"ResultType": "Success", "Result": "你好 世界"}
    assert invocation_count(fc, function, "fn") == 1

    same = provider.update(
        ctx, created.physical_id, _props(function, Event="other", ExecuteVersion=1), v1, created.attributes
    )
    assert same.attributes == created.attributes
    assert invocation_count(fc, function, "fn") == 1

    v2 = _props(function, Event="again", ExecuteVersion=2)
    changed = provider.update(ctx, created.physical_id, v2, v1, created.attributes)
    assert changed.attributes == {"ResultType": "Success", "Result": "你好 again"}
    assert invocation_count(fc, function, "fn") == 2

    provider.delete(ctx, created.physical_id, v2)
    assert invocation_count(fc, function, "fn") == 2


def test_failure_without_check_error_is_reported_in_attributes(make_ctx, function):
    result = FunctionInvokerProvider().create(
        make_ctx("ALIYUN::FC::FunctionInvoker"), _props(function, Event="fail", ExecuteVersion=0)
    )
    assert result.attributes["ResultType"] == "Failure"
    assert "asked to fail" in result.attributes["Result"]


def test_failure_with_check_error_fails_the_resource(make_ctx, function):
    with pytest.raises(ProviderError) as info:
        FunctionInvokerProvider().create(
            make_ctx("ALIYUN::FC::FunctionInvoker"),
            _props(function, Event="fail", ExecuteVersion=0, CheckError=True),
        )
    assert "asked to fail" in info.value.message


def test_missing_function_with_check_error_fails_and_without_reports(make_ctx, function):
    ctx = make_ctx("ALIYUN::FC::FunctionInvoker")
    props = {"ServiceName": function, "FunctionName": "nope", "ExecuteVersion": 1}
    assert FunctionInvokerProvider().create(ctx, props).attributes["ResultType"] == "Failure"
    with pytest.raises(ProviderError):
        FunctionInvokerProvider().create(ctx, {**props, "CheckError": True})


def test_async_call_has_no_result(fc, make_ctx, function):
    result = FunctionInvokerProvider().create(
        make_ctx("ALIYUN::FC::FunctionInvoker"), _props(function, Event="a", ExecuteVersion=1, Async=True)
    )
    assert result.attributes == {"ResultType": "NoResult", "Result": None}
