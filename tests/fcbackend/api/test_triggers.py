"""Triggers through the official SDK: per-type validation, exact echo, http URLs, pagination."""

from __future__ import annotations

import pytest

fc2 = pytest.importorskip("fc2")
FcError = fc2.fc_exceptions.FcError


@pytest.fixture(scope="module")
def function(sdk, tmp_path_factory):
    code = tmp_path_factory.mktemp("code")
    (code / "index.py").write_text("x = 1\n")
    sdk.create_service("trg_svc")
    sdk.create_function("trg_svc", "f", "python3.10", "index.handler", codeDir=str(code))
    return "trg_svc", "f"


def test_http_trigger_echoes_config_and_has_urls(sdk, function, backend):
    config = {"authType": "anonymous", "methods": ["GET", "POST"]}
    data = sdk.create_trigger(*function, "web", "http", config, "dummy_arn", None).data
    assert data["triggerConfig"] == config
    assert data["sourceArn"] is None
    assert data["urlInternet"] == f"{backend.endpoint}/2016-08-15/proxy/trg_svc/f/"
    got = sdk.get_trigger(*function, "web")
    assert got.headers["etag"] and got.data["triggerConfig"] == config
    with pytest.raises(FcError) as info:
        sdk.create_trigger(*function, "web2", "http", config, None, None)
    assert info.value.status_code == 409
    sdk.delete_trigger(*function, "web")


def test_timer_trigger_validation_and_update(sdk, function):
    config = {"CronExpression": "0 0/5 * * * *", "Enable": True, "Payload": "p"}
    data = sdk.create_trigger(*function, "tick", "timer", config, None, None).data
    assert data["triggerConfig"] == config
    updated = sdk.update_trigger(
        *function, "tick", triggerConfig={"cronExpression": "@every 1m", "enable": False}
    )
    assert updated.data["triggerConfig"] == {"cronExpression": "@every 1m", "enable": False}
    with pytest.raises(FcError) as info:
        sdk.create_trigger(*function, "badcron", "timer", {"cronExpression": "* * *"}, None, None)
    assert info.value.status_code == 400 and "6 fields" in info.value.message
    with pytest.raises(FcError) as info:
        sdk.create_trigger(*function, "badtype", "carrier_pigeon", {}, None, None)
    assert "triggerType" in info.value.message
    with pytest.raises(FcError) as info:
        sdk.create_trigger(*function, "badhttp", "http", {"authType": "anonymous"}, None, None)
    assert "methods" in info.value.message
    sdk.delete_trigger(*function, "tick")


def test_trigger_pagination_five_triggers_three_pages(sdk, function):
    config = {"events": ["oss:ObjectCreated:*"], "filter": {"key": {"prefix": "in/", "suffix": ""}}}
    names = [f"oss{i}" for i in range(5)]
    for name in names:
        sdk.create_trigger(*function, name, "oss", config, "acs:oss:cn-hangzhou:1:bucket", "role")
    seen, token, pages = [], None, 0
    while True:
        data = sdk.list_triggers(*function, limit=2, nextToken=token).data
        pages += 1
        seen += [t["triggerName"] for t in data["triggers"]]
        token = data.get("nextToken")
        if not token:
            break
    assert seen == names and pages == 3
    assert sdk.get_trigger(*function, "oss0").data["sourceArn"] == "acs:oss:cn-hangzhou:1:bucket"
    for name in names:
        sdk.delete_trigger(*function, name)
    with pytest.raises(FcError) as info:
        sdk.get_trigger(*function, "oss0")
    assert info.value.err_code == "TriggerNotFound"
