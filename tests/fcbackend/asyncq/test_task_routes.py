"""The FC 2.0 ``stateful-async-invocation-functions`` listing and the FC 3.0 async-task routes,
against the real backend app (uvicorn in a thread, fake scheduler). Tasks are created through the
FC2 invoke API; delayed ones (``x-fc-async-delay``) stay Enqueued, so nothing here races the queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

import fc2
import httpx
import pytest

from backend_contract import acs3_signing
from fcbackend.app import create_app
from fcbackend.backend_config import BackendConfig
from fcbackend.server import ThreadedServer
from rosengine.clients import fc_signature
from rosengine.clients.fc import FcClient
from tests.support.fc_api import FakeScheduler, wait_until, zip_b64

FC3 = "/2023-03-30"


class Env:
    def __init__(self, endpoint: str, config: BackendConfig, app: Any) -> None:
        self.endpoint = endpoint
        self.config = config
        self.app = app
        self.client = FcClient(endpoint, config.access_key_id, config.access_key_secret, timeout=10)
        self.http = httpx.Client(base_url=endpoint, timeout=10)
        self.sdk = fc2.Client(
            endpoint=endpoint, accessKeyID=config.access_key_id, accessKeySecret=config.access_key_secret
        )

    def signed(
        self, method: str, path: str, params: dict[str, Any] | None = None, secret: str | None = None
    ) -> httpx.Response:
        """A request signed the FC 2.0 way; like FcClient it signs the decoded path, which is
        what the server sees."""
        headers = {"date": fc_signature.http_date(), "content-type": "application/json"}
        headers["authorization"] = fc_signature.authorization(
            self.config.access_key_id, secret or self.config.access_key_secret, method, unquote(path), headers
        )
        return self.http.request(method, path, params=params, headers=headers)

    def fc3(
        self, method: str, path: str, params: dict[str, Any] | None = None, secret: str | None = None
    ) -> httpx.Response:
        """A request signed the FC 3.0 way (ACS3-HMAC-SHA256), over the raw (encoded) path."""
        query = urlencode(params or {}, quote_via=quote)
        headers = {"host": self.endpoint.split("//", 1)[1], "x-acs-date": acs3_signing.acs3_date()}
        acs3_signing.sign_acs3(
            method=method,
            raw_path=path,
            query=query,
            headers=headers,
            body=b"",
            access_key_id=self.config.access_key_id,
            access_key_secret=secret or self.config.access_key_secret,
        )
        return self.http.request(method, path + (f"?{query}" if query else ""), headers=headers)

    def sdk_get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET signed by the official fc2 SDK's own signer (it has no method for these routes)."""
        headers = self.sdk._build_common_headers("GET", path, {})
        return self.sdk._do_request("GET", path, headers, params=params)

    def task(
        self,
        service: str,
        function: str,
        task_id: str,
        payload: bytes = b"p",
        *,
        delayed: bool = True,
        qualifier: str | None = None,
    ) -> None:
        headers = {"x-fc-stateful-async-invocation-id": task_id}
        if delayed:
            headers["x-fc-async-delay"] = "3600"
        result = self.client.invoke_function(
            service, function, payload, qualifier=qualifier, invocation_type="Async", headers=headers
        )
        assert result.status == 202

    def fc3_pages(self, function: str, **params: Any) -> list[dict[str, Any]]:
        tasks: list[dict[str, Any]] = []
        query = dict(params)
        while True:
            page = self.fc3("GET", f"{FC3}/functions/{quote(function, safe='')}/async-tasks", query)
            assert page.status_code == 200, page.text
            tasks += page.json()["tasks"]
            token = page.json().get("nextToken")
            if not token:
                return tasks
            query["nextToken"] = token


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    state_dir: Path = tmp_path_factory.mktemp("fc-task-routes")
    config = BackendConfig.for_state_dir(state_dir, flush_interval_s=0.05)
    app = create_app(config, scheduler=FakeScheduler())
    server = ThreadedServer(app).start()
    e = Env(server.endpoint, config, app)
    for service, functions in {
        "ls-a": ["cfg", "off", "plain"],
        "ls-b": ["rec"],
        "svc": ["fn"],
        "svc2": ["fn", "solo"],
        "qsvc": ["qf"],
    }.items():
        e.client.create_service(service)
        for name in functions:
            e.client.create_function(
                service, name, {"zipFile": zip_b64()}, runtime="python3", handler="index.handler"
            )
    try:
        yield e
    finally:
        e.client.close()
        e.http.close()
        server.stop()


# -- FC 2.0: GET /stateful-async-invocation-functions ------------------------------------------------


def _listing(env: Env, **params: Any) -> dict[str, Any]:
    return env.sdk_get("/2016-08-15/stateful-async-invocation-functions", params).json()


def test_function_listing_names_task_mode_configs_and_task_records(env: Env) -> None:
    env.client.put_async_invoke_config("ls-a", "cfg", {"statefulInvocation": True})
    env.client.put_async_invoke_config("ls-a", "off", {"statefulInvocation": False})
    env.client.invoke_function("ls-a", "plain", b"x", invocation_type="Async")  # not a task
    env.task("ls-b", "rec", "rec-1")

    entries = [d for d in _listing(env)["data"] if d["serviceName"].startswith("ls-")]

    assert entries == [
        {"serviceName": "ls-a", "functionName": "cfg", "qualifier": "LATEST"},
        {"serviceName": "ls-b", "functionName": "rec", "qualifier": "LATEST"},
    ]


def test_function_listing_pages_with_limit_and_next_token(env: Env) -> None:
    env.client.put_async_invoke_config("ls-a", "cfg", {"statefulInvocation": True})
    env.task("ls-b", "rec", "rec-page")
    everything = _listing(env, limit=100)
    assert "nextToken" not in everything and len(everything["data"]) >= 2

    pages, token = [], None
    while True:
        page = _listing(env, limit=1, **({"nextToken": token} if token else {}))
        assert len(page["data"]) == 1
        pages += page["data"]
        token = page.get("nextToken")
        if not token:
            break
    assert pages == everything["data"]


def test_function_listing_rejects_bad_limit_and_unsigned_calls(env: Env) -> None:
    for bad in ("0", "101", "x"):
        answer = env.signed("GET", "/2016-08-15/stateful-async-invocation-functions", {"limit": bad})
        assert answer.status_code == 400 and answer.json()["ErrorCode"] == "InvalidArgument"
        assert "limit" in answer.json()["ErrorMessage"]
    unsigned = env.http.get("/2016-08-15/stateful-async-invocation-functions")
    assert unsigned.status_code == 403


# -- FC 3.0: /functions/{fn}/async-tasks -------------------------------------------------------------


@pytest.fixture(scope="module")
def solo_tasks(env: Env) -> list[str]:
    """svc2/solo: three Enqueued tasks and one that Succeeded."""
    for i in (1, 2, 3):
        env.task("svc2", "solo", f"t-{i}", payload=f"payload-{i}".encode())
    env.task("svc2", "solo", "done-1", payload=b"ok", delayed=False)
    wait_until(
        lambda: env.client.get_stateful_async_invocation("svc2", "solo", "done-1")["status"] == "Succeeded"
    )
    return ["t-1", "t-2", "t-3", "done-1"]


SOLO = quote("svc2$solo", safe="")


def test_fc3_list_uses_fc3_names_and_filters(env: Env, solo_tasks: list[str]) -> None:
    """FC 2.0 function svc2/solo is ``svc2$solo`` in the FC 3.0 API (fcbackend.fc3.names)."""
    tasks = env.fc3_pages("svc2$solo", includePayload="true", sortOrderByTime="asc")

    assert [t["taskId"] for t in tasks] == solo_tasks
    first = tasks[0]
    assert first["functionArn"] == f"acs:fc:{env.config.region}:{env.config.account_id}:functions/svc2$solo"
    assert first["taskPayload"] == "payload-1" and first["status"] == "Enqueued"
    assert first["qualifier"] == "LATEST" and first["taskErrorMessage"] == ""
    assert not {"invocationId", "invocationPayload", "serviceName"} & set(first)
    assert tasks[-1]["status"] == "Succeeded" and tasks[-1]["returnPayload"] == "ok"

    without_payload = env.fc3_pages("svc2$solo")
    assert all("taskPayload" not in t for t in without_payload)
    assert [t["taskId"] for t in without_payload] == solo_tasks[::-1]  # newest first by default
    assert [t["taskId"] for t in env.fc3_pages("svc2$solo", prefix="t-", status="Enqueued")] == [
        "t-3",
        "t-2",
        "t-1",
    ]
    assert [t["taskId"] for t in env.fc3_pages("svc2$solo", status="Succeeded")] == ["done-1"]
    assert [t["taskId"] for t in env.fc3_pages("svc2$solo", limit=1, sortOrderByTime="asc")] == solo_tasks


def test_fc3_list_rejects_bad_parameters_in_fc3_error_shape(env: Env, solo_tasks: list[str]) -> None:
    for params, name in (
        ({"limit": "500"}, "limit"),
        ({"status": "Done"}, "status"),
        ({"sortOrderByTime": "up"}, "sortOrderByTime"),
        ({"includePayload": "yes"}, "includePayload"),
    ):
        answer = env.fc3("GET", f"{FC3}/functions/{SOLO}/async-tasks", params)
        body = answer.json()
        assert answer.status_code == 400 and body["Code"] == "InvalidArgument", params
        assert name in body["Message"] and body["RequestId"] == answer.headers["x-fc-request-id"]


def test_fc3_get_and_stop(env: Env, solo_tasks: list[str]) -> None:
    got = env.fc3("GET", f"{FC3}/functions/{SOLO}/async-tasks/t-2")
    assert got.status_code == 200
    assert got.json()["taskId"] == "t-2" and got.json()["taskPayload"] == "payload-2"
    assert [e["status"] for e in got.json()["events"]] == ["Enqueued"]

    stopped = env.fc3("PUT", f"{FC3}/functions/{SOLO}/async-tasks/t-2/stop", {"qualifier": "LATEST"})
    assert stopped.status_code == 200 and stopped.content == b""
    after = env.fc3("GET", f"{FC3}/functions/{SOLO}/async-tasks/t-2").json()
    assert after["status"] == "Stopped" and after["endTime"] > 0
    assert env.client.get_stateful_async_invocation("svc2", "solo", "t-2")["status"] == "Stopped"

    again = env.fc3("PUT", f"{FC3}/functions/{SOLO}/async-tasks/done-1/stop")
    assert again.status_code == 412
    assert again.json()["Code"] == "StatefulAsyncInvocationAlreadyCompleted"
    assert again.json()["RequestId"] == again.headers["x-fc-request-id"]


def test_fc3_unknown_tasks_and_functions(env: Env, solo_tasks: list[str]) -> None:
    missing = env.fc3("GET", f"{FC3}/functions/{SOLO}/async-tasks/nope")
    assert missing.status_code == 404 and missing.json()["Code"] == "StatefulAsyncInvocationNotFound"
    # a task exists but belongs to another function: not visible here
    elsewhere = env.fc3("PUT", f"{FC3}/functions/{quote('svc$fn', safe='')}/async-tasks/t-1/stop")
    assert elsewhere.status_code == 404
    assert env.client.get_stateful_async_invocation("svc2", "solo", "t-1")["status"] == "Enqueued"

    nosuch = env.fc3("GET", f"{FC3}/functions/nosuch/async-tasks")
    assert nosuch.status_code == 404 and nosuch.json()["Code"] == "FunctionNotFound"
    # a plain name is an FC 3.0 function: FC 2.0 functions are reached only as svc$fn
    plain = env.fc3("GET", f"{FC3}/functions/solo/async-tasks")
    assert plain.status_code == 404 and plain.json()["Code"] == "FunctionNotFound"
    assert env.fc3("GET", f"{FC3}/functions/{quote('$fn', safe='')}/async-tasks").status_code == 404
    assert env.fc3("GET", f"{FC3}/functions/{quote('svc$fn', safe='')}/async-tasks").json() == {"tasks": []}


def test_fc3_routes_check_the_signature(env: Env, solo_tasks: list[str]) -> None:
    unsigned = env.http.get(f"{FC3}/functions/{SOLO}/async-tasks")
    assert unsigned.status_code == 403 and unsigned.json()["Code"] == "AccessDenied"
    forged = env.fc3("GET", f"{FC3}/functions/{SOLO}/async-tasks", secret="wrong")
    assert forged.status_code == 403 and forged.json()["Code"] == "SignatureNotMatch"
    unsigned_stop = env.http.put(f"{FC3}/functions/{SOLO}/async-tasks/t-3/stop")
    assert unsigned_stop.status_code == 403
    assert env.client.get_stateful_async_invocation("svc2", "solo", "t-3")["status"] == "Enqueued"
    # FC 2.0's signature scheme is not FC 3.0's: refused on FC 3.0 paths, in FC 3.0's error shape
    fc2_signed = env.signed("GET", f"{FC3}/functions/{SOLO}/async-tasks/t-3")
    assert fc2_signed.status_code == 403 and fc2_signed.json()["Code"] == "AccessDenied"


def test_fc3_list_filters_by_qualifier(env: Env) -> None:
    env.client.publish_version("qsvc")
    env.task("qsvc", "qf", "q-latest-1")
    env.task("qsvc", "qf", "q-v1-1", qualifier="1")
    env.task("qsvc", "qf", "q-latest-2")
    env.task("qsvc", "qf", "q-v1-2", qualifier="1")

    assert [t["taskId"] for t in env.fc3_pages("qsvc$qf", qualifier="1", sortOrderByTime="asc")] == [
        "q-v1-1",
        "q-v1-2",
    ]
    assert [t["taskId"] for t in env.fc3_pages("qsvc$qf", qualifier="1", limit=1)] == ["q-v1-2", "q-v1-1"]
    latest = env.fc3_pages("qsvc$qf", qualifier="LATEST", limit=1, sortOrderByTime="asc")
    assert [(t["taskId"], t["qualifier"]) for t in latest] == [
        ("q-latest-1", "LATEST"),
        ("q-latest-2", "LATEST"),
    ]
    assert len(env.fc3_pages("qsvc$qf")) == 4
