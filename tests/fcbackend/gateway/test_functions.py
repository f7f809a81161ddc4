"""Functions reach the twins with unmodified code: the official SLS SDK against
``https://cn-hangzhou.log.aliyuncs.com`` through the gateway (proxy variables, TLS from the local
CA), a Node function whose ``https`` module ignores proxies through name resolution, and nothing
but the twins for a function without Internet access. Real sandboxes and processes."""

from __future__ import annotations

import json
import site
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.cloud_twins import TwinBackend, twin_backend
from tests.support.fc_api import wait_until, zip_b64
from tests.support.ram import allow, function_role

SITE_PACKAGES = ":".join(site.getsitepackages())
# The functions' role may write logs of project fn-proj, nothing else.
LOGS_POLICY = allow("log:*", ["acs:log:*:*:project/fn-proj", "acs:log:*:*:project/fn-proj/*"])

SDK_HANDLER = """
import json
from aliyun.log import LogClient, ListLogstoresRequest, LogException

def handler(event, context):
    creds = context.credentials
    client = LogClient("https://%s.log.aliyuncs.com" % context.region,
                       creds.access_key_id, creds.access_key_secret, creds.security_token or None)
    project = json.loads(event).get("project", "fn-proj")
    try:
        client.create_logstore(project, json.loads(event)["logstore"])
    except LogException as exc:
        return json.dumps({"denied": exc.get_error_code(), "message": exc.get_error_message()})
    return json.dumps(client.list_logstores(ListLogstoresRequest(project)).get_logstores())
"""

OUTSIDE_HANDLER = """
import json, requests

def handler(event, context):
    out = {}
    try:
        requests.get("https://example.com/", timeout=10)
        out["internet"] = "reached"
    except requests.exceptions.ProxyError as exc:
        out["internet"] = str(exc)
    answer = requests.get("https://ecs.cn-hangzhou.aliyuncs.com/?Action=DescribeRegions", timeout=10)
    out["ecs"] = [answer.status_code, answer.json()["Code"]]
    return json.dumps(out)
"""

LOGGING_HANDLER = """
def handler(event, context):
    print("shipped line one")
    print("shipped line two")
    return '"ok"'
"""

NODE_HANDLER = """
const https = require('https');
exports.handler = (event, context, callback) => {
  https.get('https://cn-hangzhou.log.aliyuncs.com/', (res) => {
    let body = '';
    res.on('data', (d) => { body += d; });
    res.on('end', () => callback(null, JSON.stringify({status: res.statusCode, body: JSON.parse(body)})));
  }).on('error', (e) => callback(null, JSON.stringify({error: e.message})));
};
"""


def _backend(tmp: Any, driver: str) -> Iterator[TwinBackend]:
    with twin_backend(tmp, driver=driver) as running:
        with running.sls() as sls:
            sls.create_project("fn-proj")
            sls.create_project("other-proj")
            sls.create_logstore("fn-proj", "shipped")
            sls.create_index("fn-proj", "shipped", {"line": {"token": [" "]}})
        with running.ram() as ram:
            function_role(ram, "fc-logs", LOGS_POLICY)
        yield running


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinBackend]:
    yield from _backend(tmp_path_factory.mktemp("gw-sandbox"), "sandbox")


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinBackend]:
    yield from _backend(tmp_path_factory.mktemp("gw-process"), "process")


def _deploy(backend: TwinBackend, service: str, files: dict[str, str], **service_config: Any) -> None:
    runtime = "nodejs18" if "index.js" in files else "python3.10"
    with backend.fc() as fc:
        fc.create_service(service, **service_config)
        fc.create_function(
            service,
            "fn",
            {"zipFile": zip_b64(files)},
            runtime=runtime,
            handler="index.handler",
            timeout=60,
            environmentVariables={"PYTHONPATH": SITE_PACKAGES},
        )


def _invoke(backend: TwinBackend, service: str, payload: dict[str, Any] | None = None) -> Any:
    with backend.fc() as fc:
        result = fc.invoke_function(service, "fn", json.dumps(payload or {}).encode())
    assert result.error_type is None, result.body
    return json.loads(result.body)


def _role(backend: TwinBackend) -> str:
    return f"acs:ram::{backend.config.account_id}:role/fc-logs"


def _sdk_call_through_the_gateway(backend: TwinBackend, service: str, logstore: str, **config: Any) -> None:
    _deploy(backend, service, {"index.py": SDK_HANDLER}, role=_role(backend), **config)
    assert logstore in _invoke(backend, service, {"logstore": logstore})
    with backend.sls() as sls:
        assert sls.get_logstore("fn-proj", logstore)["logstoreName"] == logstore


@pytest.mark.bwrap
def test_a_sandboxed_function_without_internet_uses_the_sls_sdk_over_https(sandboxed: TwinBackend) -> None:
    _sdk_call_through_the_gateway(sandboxed, "sdk-private", "from-private", internetAccess=False)


@pytest.mark.bwrap
def test_a_sandboxed_function_with_internet_uses_the_sls_sdk_over_https(sandboxed: TwinBackend) -> None:
    _sdk_call_through_the_gateway(sandboxed, "sdk-shared", "from-shared", internetAccess=True)


def test_a_process_function_uses_the_sls_sdk_over_https(processes: TwinBackend) -> None:
    _sdk_call_through_the_gateway(processes, "sdk-process", "from-process")


def test_the_functions_role_policy_is_enforced_by_the_sls_twin(processes: TwinBackend) -> None:
    """The STS session of the function's role reaches SLS with that role's policy: project
    fn-proj is allowed, another project is not (SLS's own Unauthorized, naming the action)."""
    _deploy(processes, "sdk-denied", {"index.py": SDK_HANDLER}, role=_role(processes))
    answer = _invoke(processes, "sdk-denied", {"project": "other-proj", "logstore": "nope"})
    assert answer["denied"] == "Unauthorized", answer
    assert "log:CreateLogStore" in answer["message"] and "other-proj" in answer["message"]
    with processes.sls() as sls:
        assert sls.list_logstores("other-proj") == []


@pytest.mark.bwrap
def test_without_internet_access_only_the_twins_answer(sandboxed: TwinBackend) -> None:
    _deploy(sandboxed, "outside", {"index.py": OUTSIDE_HANDLER}, internetAccess=False)
    answer = _invoke(sandboxed, "outside")
    assert "no Internet access" in answer["internet"] and "function outside/fn" in answer["internet"]
    assert answer["ecs"] == [501, "NotEmulated"]


@pytest.mark.bwrap
@pytest.mark.node
@pytest.mark.parametrize("internet", [False, True])
def test_node_https_reaches_the_twin_by_name_resolution(sandboxed: TwinBackend, internet: bool) -> None:
    if internet and not sandboxed.cloud.gateway.name_resolution:
        pytest.skip("ports 80/443 of the gateway's address cannot be bound here (not root)")
    service = f"node-{'shared' if internet else 'private'}"
    _deploy(sandboxed, service, {"index.js": NODE_HANDLER}, internetAccess=internet)
    answer = _invoke(sandboxed, service)
    assert answer.get("status") == 401, answer
    assert answer["body"]["errorCode"] == "Unauthorized"  # the SLS twin answered: unsigned request


@pytest.mark.bwrap
def test_a_sandboxed_functions_output_reaches_its_log_config(sandboxed: TwinBackend) -> None:
    _deploy(
        sandboxed,
        "shipping",
        {"index.py": LOGGING_HANDLER},
        internetAccess=False,
        logConfig={"project": "fn-proj", "logstore": "shipped"},
    )
    assert _invoke(sandboxed, "shipping") == "ok"
    now = int(time.time())
    with sandboxed.sls() as sls:
        logs = wait_until(lambda: sls.get_logs("fn-proj", "shipped", now - 60, now + 60, "shipped and line"))
    assert sorted(log["message"] for log in logs) == ["shipped line one", "shipped line two"]
    assert all(log["instanceID"] and log["serviceName"] == "shipping" for log in logs)
