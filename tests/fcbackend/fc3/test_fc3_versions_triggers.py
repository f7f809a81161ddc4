"""FC 3.0 function versions, aliases with weighted routing, and triggers, through the SDK."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest

from rosengine.clients.fc import FcApiError
from tests.support.fc3_backend import Fc3Backend, create_input, fc, fc3_backend, sdk_error


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fc3Backend]:
    with fc3_backend(tmp_path_factory.mktemp("fc3-versions")) as b:
        yield b


def _publish(backend: Fc3Backend, name: str, description: str = "") -> str:
    body = fc.PublishVersionInput(description=description)
    return backend.sdk.publish_function_version(
        name, fc.PublishFunctionVersionRequest(body=body)
    ).body.version_id


def _update(backend: Fc3Backend, name: str, **fields: object) -> None:
    backend.sdk.update_function(name, fc.UpdateFunctionRequest(body=fc.UpdateFunctionInput(**fields)))


def test_versions_snapshot_the_function(backend: Fc3Backend) -> None:
    backend.sdk.create_function(create_input("ver", description="one"))
    first = _publish(backend, "ver", "first")
    err = sdk_error(lambda: _publish(backend, "ver"))
    assert err.code == "InvalidArgument" and "nothing changed" in err.data["Message"]
    _update(backend, "ver", description="two")
    second = _publish(backend, "ver", "second")
    assert (first, second) == ("1", "2")
    old = backend.sdk.get_function("ver", fc.GetFunctionRequest(qualifier=first)).body
    assert old.description == "one"
    assert backend.sdk.get_function("ver", fc.GetFunctionRequest()).body.description == "two"
    code = backend.sdk.get_function_code("ver", fc.GetFunctionCodeRequest(qualifier=first)).body
    assert code.url

    listing = backend.sdk.list_function_versions("ver", fc.ListFunctionVersionsRequest(limit=1)).body
    assert [v.version_id for v in listing.versions] == ["2"] and listing.next_token == "1"
    assert listing.direction == "BACKWARD"
    forward = backend.sdk.list_function_versions(
        "ver", fc.ListFunctionVersionsRequest(direction="FORWARD")
    ).body
    assert [v.version_id for v in forward.versions] == ["1", "2"]

    backend.sdk.delete_function_version("ver", "1")
    err = sdk_error(lambda: backend.sdk.get_function("ver", fc.GetFunctionRequest(qualifier="1")))
    assert (err.status_code, err.code) == (404, "VersionNotFound")
    _update(backend, "ver", description="three")
    assert _publish(backend, "ver") == "3"  # ids are never reused


def test_aliases_and_weighted_routing(backend: Fc3Backend) -> None:
    backend.sdk.create_function(create_input("canary"))
    one = _publish(backend, "canary")
    _update(backend, "canary", timeout=30)
    two = _publish(backend, "canary")
    alias = backend.sdk.create_alias(
        "canary",
        fc.CreateAliasRequest(
            body=fc.CreateAliasInput(alias_name="prod", version_id=one, additional_version_weight={two: 0.3})
        ),
    ).body
    assert (alias.alias_name, alias.version_id, alias.additional_version_weight) == ("prod", one, {two: 0.3})
    versions = Counter(
        backend.client.invoke_function("canary", b"x", qualifier="prod").headers[
            "x-fc-invocation-service-version"
        ]
        for _ in range(200)
    )
    assert set(versions) == {one, two} and 20 <= versions[two] <= 100
    # reads through an alias name its main version
    assert backend.sdk.get_function("canary", fc.GetFunctionRequest(qualifier="prod")).body.timeout == 3

    updated = backend.sdk.update_alias(
        "canary",
        "prod",
        fc.UpdateAliasRequest(body=fc.UpdateAliasInput(version_id=two, additional_version_weight={})),
    ).body
    assert updated.version_id == two and not updated.additional_version_weight
    listed = backend.sdk.list_aliases("canary", fc.ListAliasesRequest()).body.aliases
    assert [a.alias_name for a in listed] == ["prod"]
    err = sdk_error(lambda: backend.sdk.delete_function_version("canary", two))
    assert (err.status_code, err.code) == (412, "VersionReferencedByAlias")

    for bad, code in (
        (fc.CreateAliasInput(alias_name="prod", version_id=one), "AliasAlreadyExists"),
        (fc.CreateAliasInput(alias_name="x", version_id="42"), "VersionNotFound"),
        (
            fc.CreateAliasInput(alias_name="y", version_id=one, additional_version_weight={two: 1.5}),
            "InvalidArgument",
        ),
        (fc.CreateAliasInput(alias_name="LATEST", version_id=one), "InvalidArgument"),
        (fc.CreateAliasInput(alias_name="9bad", version_id=one), "InvalidArgument"),
    ):
        assert (
            sdk_error(lambda b=bad: backend.sdk.create_alias("canary", fc.CreateAliasRequest(body=b))).code
            == code
        )
    backend.sdk.delete_alias("canary", "prod")
    assert sdk_error(lambda: backend.sdk.get_alias("canary", "prod")).code == "AliasNotFound"


def _trigger(name: str, kind: str, config: dict, **extra: str) -> fc.CreateTriggerRequest:
    return fc.CreateTriggerRequest(
        body=fc.CreateTriggerInput(
            trigger_name=name, trigger_type=kind, trigger_config=json.dumps(config), **extra
        )
    )


def test_trigger_crud_and_http_urls(backend: Fc3Backend) -> None:
    backend.sdk.create_function(create_input("trig"))
    http = backend.sdk.create_trigger(
        "trig", _trigger("web", "http", {"authType": "anonymous", "methods": ["GET", "POST"]})
    ).body
    assert json.loads(http.trigger_config) == {"authType": "anonymous", "methods": ["GET", "POST"]}
    assert http.target_arn.endswith(":functions/trig") and http.trigger_id and http.status == "Ready"
    assert http.http_trigger.url_internet.endswith("/2023-03-30/proxy/trig/web/")

    timer = backend.sdk.create_trigger(
        "trig", _trigger("tick", "timer", {"cronExpression": "@every 1h", "enable": True, "payload": "p"})
    ).body
    assert timer.http_trigger is None
    backend.sdk.create_trigger(
        "trig",
        _trigger(
            "files",
            "oss",
            {"events": ["oss:ObjectCreated:*"], "filter": {"key": {"prefix": "in/"}}},
            source_arn="acs:oss:cn-hangzhou:1:bucket",
        ),
    )
    backend.sdk.create_trigger(
        "trig",
        _trigger(
            "logs",
            "log",
            {
                "sourceConfig": {"logstore": "src"},
                "jobConfig": {"maxRetryTime": 3, "triggerInterval": 60},
                "logConfig": {"project": "p", "logstore": "l"},
                "enable": True,
            },
        ),
    )
    names = [
        t.trigger_name for t in backend.sdk.list_triggers("trig", fc.ListTriggersRequest()).body.triggers
    ]
    assert names == ["files", "logs", "tick", "web"]
    page = backend.sdk.list_triggers("trig", fc.ListTriggersRequest(limit=2)).body
    assert [t.trigger_name for t in page.triggers] == ["files", "logs"] and page.next_token == "tick"

    updated = backend.sdk.update_trigger(
        "trig",
        "tick",
        fc.UpdateTriggerRequest(
            body=fc.UpdateTriggerInput(
                trigger_config=json.dumps({"cronExpression": "@every 2h"}), description="d"
            )
        ),
    ).body
    assert json.loads(updated.trigger_config)["cronExpression"] == "@every 2h" and updated.description == "d"

    # the trigger's test event reaches the function (fake scheduler echoes it)
    delivered = backend.client.trigger_event("trig", "tick")
    assert json.loads(delivered.content)["triggerName"] == "tick"

    backend.sdk.delete_trigger("trig", "tick")
    assert sdk_error(lambda: backend.sdk.get_trigger("trig", "tick")).code == "TriggerNotFound"


@pytest.mark.parametrize(
    ("kind", "config", "fragment"),
    [
        ("http", "not json", "JSON"),
        ("http", {"authType": "anonymous", "methods": ["FETCH"]}, "methods[0]"),
        ("timer", {"cronExpression": "every day"}, "cronExpression"),
        ("oss", {"events": ["ObjectCreated"]}, "events[0]"),
        ("carrier_pigeon", {}, "triggerType"),
    ],
)
def test_bad_trigger_configs(backend: Fc3Backend, kind: str, config: object, fragment: str) -> None:
    if not any(f["functionName"] == "badtrig" for f in backend.client.list_functions()):
        backend.sdk.create_function(create_input("badtrig"))
    text = config if isinstance(config, str) else json.dumps(config)
    request = fc.CreateTriggerRequest(
        body=fc.CreateTriggerInput(trigger_name="t", trigger_type=kind, trigger_config=text)
    )
    err = sdk_error(lambda: backend.sdk.create_trigger("badtrig", request))
    assert (err.status_code, err.code) == (400, "InvalidArgument") and fragment in err.data["Message"]


def test_trigger_conflicts_and_missing(backend: Fc3Backend) -> None:
    backend.sdk.create_function(create_input("dup"))
    http = {"authType": "anonymous", "methods": ["GET"]}
    backend.sdk.create_trigger("dup", _trigger("a", "http", http))
    assert (
        sdk_error(
            lambda: backend.sdk.create_trigger("dup", _trigger("a", "timer", {"cronExpression": "@every 1m"}))
        ).code
        == "TriggerAlreadyExists"
    )
    assert (
        sdk_error(lambda: backend.sdk.create_trigger("dup", _trigger("b", "http", http))).code
        == "TriggerAlreadyExists"
    )
    assert (
        sdk_error(lambda: backend.sdk.create_trigger("ghost", _trigger("a", "http", http))).code
        == "FunctionNotFound"
    )
    with pytest.raises(FcApiError) as caught:
        backend.client.update_trigger("dup", "a", triggerType="timer")
    assert caught.value.status == 400 and "triggerType cannot be changed" in caught.value.message
