"""The SLS twin driven by the official ``aliyun-log-python-sdk`` through the gateway, as unmodified
code does it: ``LogClient("cn-hangzhou.log.aliyuncs.com", ...)`` with ``HTTPS_PROXY`` and the CA
bundle exported; the SDK's own errors (``LogException``) carry SLS's codes."""

from __future__ import annotations

import ssl
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aliyun.log as aliyun_log
import httpx
import pytest

from backend_contract import sls_signing
from tests.support.cloud_twins import LOG_ENDPOINT, TwinBackend, through_gateway, twin_backend
from tests.support.fc_api import FakeScheduler

LogException = aliyun_log.LogException


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinBackend]:
    with twin_backend(tmp_path_factory.mktemp("sls-sdk"), scheduler=FakeScheduler()) as running:
        yield running


@pytest.fixture
def client(backend: TwinBackend, monkeypatch: pytest.MonkeyPatch) -> Any:
    through_gateway(monkeypatch, backend)
    return backend.log_client()


def _item(contents: list[tuple[str, str]], when: int | None = None) -> Any:
    item = aliyun_log.LogItem()
    item.set_time(when if when is not None else int(time.time()))
    item.set_contents(contents)
    return item


def _index() -> Any:
    from aliyun.log.index_config import IndexConfig, IndexKeyConfig, IndexLineConfig

    return IndexConfig(
        line_config=IndexLineConfig(), key_config_list={"status": IndexKeyConfig(index_type="long")}
    )


def _code(call: Any) -> tuple[str, int]:
    with pytest.raises(LogException) as caught:
        call()
    return caught.value.get_error_code(), caught.value.resp_status


def test_projects_logstores_and_indexes_through_the_sdk(client: Any) -> None:
    c = client
    c.create_project("sdk-proj", "made by the SDK")
    project = c.get_project("sdk-proj")
    assert project.get_projectname() == "sdk-proj" and project.get_description() == "made by the SDK"
    assert project.get_region() == "cn-hangzhou" and project.get_status() == "Normal"
    assert "sdk-proj" in [p["projectName"] for p in c.list_project().get_projects()]
    assert _code(lambda: c.create_project("sdk-proj", "again")) == ("ProjectAlreadyExist", 400)

    c.create_logstore("sdk-proj", "store-a", ttl=7, shard_count=3)
    c.create_logstore("sdk-proj", "store-b")
    logstore = c.get_logstore("sdk-proj", "store-a")
    assert (logstore.get_ttl(), logstore.get_shard_count()) == (7, 3)
    listed = c.list_logstores(aliyun_log.ListLogstoresRequest("sdk-proj"))
    assert listed.get_logstores() == ["store-a", "store-b"] and listed.get_total() == 2
    assert len(c.list_shards("sdk-proj", "store-a").get_shards_info()) == 3
    c.update_logstore("sdk-proj", "store-a", ttl=9)
    assert c.get_logstore("sdk-proj", "store-a").get_ttl() == 9
    assert _code(lambda: c.create_logstore("sdk-proj", "store-a")) == ("LogStoreAlreadyExist", 400)

    c.create_index("sdk-proj", "store-a", _index())
    index = c.get_index_config("sdk-proj", "store-a").get_index_config()
    assert index.key_config_list["status"].index_type == "long"
    assert _code(lambda: c.create_index("sdk-proj", "store-a", _index())) == ("IndexAlreadyExist", 400)
    c.delete_index("sdk-proj", "store-a")
    assert _code(lambda: c.get_index_config("sdk-proj", "store-a")) == ("IndexConfigNotExist", 404)

    c.delete_logstore("sdk-proj", "store-b")
    assert _code(lambda: c.get_logstore("sdk-proj", "store-b")) == ("LogStoreNotExist", 404)
    c.delete_project("sdk-proj")
    assert _code(lambda: c.get_project("sdk-proj")) == ("ProjectNotExist", 404)
    assert _code(lambda: c.get_logstore("sdk-proj", "store-a")) == ("ProjectNotExist", 404)


@pytest.fixture
def filled(client: Any, backend: TwinBackend) -> tuple[Any, int]:
    """A project with one indexed logstore holding four logs a second apart."""
    name = f"logs-{time.monotonic_ns() % 10**9}"
    client.create_project(name, "")
    client.create_logstore(name, "app")
    client.create_index(name, "app", _index())
    now = int(time.time())
    rows = [
        ("topic-a", [("message", "user login ok"), ("status", "200")], now - 3),
        ("topic-a", [("message", "user login failed: bad password"), ("status", "401")], now - 2),
        ("topic-b", [("message", "timeout talking to db"), ("status", "504")], now - 1),
        ("topic-b", [("message", "Hello World"), ("status", "200")], now),
    ]
    for topic, contents, when in rows:
        request = aliyun_log.PutLogsRequest(name, "app", topic, "10.0.0.1", [_item(contents, when)])
        client.put_logs(request)
    return client, now


def _messages(client: Any, project: str, now: int, **options: Any) -> list[str]:
    request = aliyun_log.GetLogsRequest(project, "app", now - 60, now + 60, **options)
    return [log.get_contents()["message"] for log in client.get_logs(request).get_logs()]


def _project_of(client: Any) -> str:
    return sorted(
        p["projectName"] for p in client.list_project().get_projects() if p["projectName"].startswith("logs-")
    )[-1]


def test_put_logs_then_get_logs_with_queries(filled: tuple[Any, int]) -> None:
    client, now = filled
    project = _project_of(client)
    assert _messages(client, project, now) == [
        "user login ok",
        "user login failed: bad password",
        "timeout talking to db",
        "Hello World",
    ]
    assert _messages(client, project, now, query="login and not failed") == ["user login ok"]
    assert _messages(client, project, now, query="status: 200") == ["user login ok", "Hello World"]
    assert _messages(client, project, now, query="status >= 401") == [
        "user login failed: bad password",
        "timeout talking to db",
    ]
    assert _messages(client, project, now, query='"hello world" or time*') == [
        "timeout talking to db",
        "Hello World",
    ]
    assert _messages(client, project, now, topic="topic-b") == ["timeout talking to db", "Hello World"]
    assert _messages(client, project, now, reverse=True, line=2) == ["Hello World", "timeout talking to db"]
    assert _messages(client, project, now, offset=3) == ["Hello World"]
    logs = client.get_logs(aliyun_log.GetLogsRequest(project, "app", now - 1, now)).get_logs()
    assert [(log.get_time(), log.get_source()) for log in logs] == [(now - 1, "10.0.0.1")]
    assert logs[0].get_contents()["__topic__"] == "topic-b"


def test_the_older_get_form_answers_the_same(filled: tuple[Any, int]) -> None:
    client, now = filled
    project = _project_of(client)
    client._get_logs_v2_enabled = False
    assert _messages(client, project, now, query="status: 200") == ["user login ok", "Hello World"]


def test_queries_the_twin_does_not_run_get_slss_error(filled: tuple[Any, int]) -> None:
    client, now = filled
    project = _project_of(client)
    request = aliyun_log.GetLogsRequest(project, "app", now - 60, now + 60, query="* | select count(1)")
    with pytest.raises(LogException) as caught:
        client.get_logs(request)
    assert caught.value.get_error_code() == "ParameterInvalid"
    assert "not emulated" in caught.value.get_error_message()
    request = aliyun_log.GetLogsRequest(project, "app", now - 60, now + 60, query="(status: 200")
    assert _code(lambda: client.get_logs(request)) == ("ParameterInvalid", 400)


def test_version_4_signatures_verify(client: Any, backend: TwinBackend) -> None:
    v4 = backend.log_client(auth_version="v4", region="cn-hangzhou")
    client.create_project("v4-proj", "")
    v4.create_logstore("v4-proj", "store")
    assert v4.get_logstore("v4-proj", "store").logstore_name == "store"
    wrong = backend.log_client(secret="not-the-secret", auth_version="v4", region="cn-hangzhou")
    assert _code(lambda: wrong.get_project("v4-proj")) == ("SignatureNotMatch", 401)


def test_unknown_key_and_bad_signature_are_refused(
    backend: TwinBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    through_gateway(monkeypatch, backend)
    unknown = backend.log_client(key_id="LTAIunknownkey000000", secret="whatever")
    code, status = _code(lambda: unknown.list_project())
    assert (code, status) == ("Unauthorized", 401)
    wrong = backend.log_client(secret="not-the-secret")
    assert _code(lambda: wrong.list_project()) == ("SignatureNotMatch", 401)


def test_unknown_project_and_logstore(client: Any) -> None:
    assert _code(lambda: client.get_logstore("no-such-project", "x")) == ("ProjectNotExist", 404)
    client.create_project("known-proj", "")
    put = aliyun_log.PutLogsRequest("known-proj", "missing", "", "", [_item([("a", "b")])])
    assert _code(lambda: client.put_logs(put)) == ("LogStoreNotExist", 404)


def _trust(backend: TwinBackend) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=backend.ca_bundle)


def _signed_put(backend: TwinBackend, project: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """A PutLogs request signed by hand, for bodies the SDK would never send."""
    path = "/logstores/app/shards/lb"
    headers = {"host": f"{project}.{LOG_ENDPOINT}", "content-type": "application/x-protobuf", **headers}
    cfg = backend.config
    sls_signing.sign_v1("POST", path, None, headers, body, cfg.access_key_id, cfg.access_key_secret)
    with httpx.Client(proxy=backend.proxy, verify=_trust(backend), trust_env=False) as http:
        return http.post(f"https://{project}.{LOG_ENDPOINT}{path}", content=body, headers=headers)


def test_malformed_and_oddly_compressed_bodies(filled: tuple[Any, int], backend: TwinBackend) -> None:
    client, now = filled
    project = _project_of(client)
    bad = _signed_put(backend, project, b"\x0a\x10not a protobuf", {"x-log-bodyrawsize": "17"})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "PostBodyInvalid"
    from aliyun.log.log_logs_pb2 import LogGroup

    group = LogGroup()
    log = group.Logs.add()
    log.Time = now
    content = log.Contents.add()
    content.Key, content.Value = "message", "deflated line"
    raw = group.SerializeToString()
    headers = {"x-log-compresstype": "deflate", "x-log-bodyrawsize": str(len(raw))}
    assert _signed_put(backend, project, zlib.compress(raw), headers).status_code == 200
    assert "deflated line" in _messages(client, project, now, query="deflated")
    lying = {"x-log-compresstype": "lz4", "x-log-bodyrawsize": str(len(raw) + 5)}
    answer = _signed_put(backend, project, zlib.compress(raw), lying)
    assert answer.status_code == 400 and answer.json()["errorCode"] in (
        "PostBodyInvalid",
        "InvalidBodyRawSize",
    )
    unknown = _signed_put(backend, project, raw, {"x-log-compresstype": "snappy", "x-log-bodyrawsize": "1"})
    assert unknown.json()["errorCode"] == "InvalidCompressType"


def test_a_stale_date_is_refused(backend: TwinBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    through_gateway(monkeypatch, backend)
    headers = {"host": LOG_ENDPOINT}
    cfg = backend.config
    sls_signing.sign_v1("GET", "/", None, headers, b"", cfg.access_key_id, cfg.access_key_secret)
    headers["date"] = headers["x-log-date"] = "Mon, 01 Jan 2001 00:00:00 GMT"
    with httpx.Client(proxy=backend.proxy, verify=_trust(backend), trust_env=False) as http:
        answer = http.get(f"https://{LOG_ENDPOINT}/", headers=headers)
    assert answer.status_code == 400 and answer.json()["errorCode"] == "RequestTimeExpired"


def test_the_store_is_a_file_in_the_state_directory(backend: TwinBackend) -> None:
    assert (Path(backend.config.state_dir) / "sls.db").is_file()
