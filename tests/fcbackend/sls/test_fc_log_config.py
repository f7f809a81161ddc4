"""FC's ``logConfig`` (an FC 2.0 service's, an FC 3.0 function's): function output shipped to the
SLS twin with FC's fields, the function log that ``ros fc logs`` reads kept as before, and a
logConfig naming what does not exist refused."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from rosengine.clients.fc import FcApiError
from rosengine.clients.fc3 import Fc3Client
from tests.support.cloud_twins import TwinBackend, twin_backend
from tests.support.fc_api import FakeScheduler, wait_until, zip_b64


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinBackend]:
    with twin_backend(tmp_path_factory.mktemp("fc-logs"), scheduler=FakeScheduler()) as running:
        with running.sls() as sls:
            sls.create_project("fc-logs")
            sls.create_logstore("fc-logs", "functions")
            sls.create_index("fc-logs", "functions", {"line": {"token": [" "], "caseSensitive": False}})
        yield running


def test_function_output_reaches_the_logstore_with_fcs_fields(backend: TwinBackend) -> None:
    with backend.fc() as fc, backend.sls() as sls:
        fc.create_service("logged", logConfig={"project": "fc-logs", "logstore": "functions"})
        fc.create_function(
            "logged", "fn", {"zipFile": zip_b64()}, runtime="python3.10", handler="index.handler"
        )
        result = fc.invoke_function("logged", "fn", b"{}")
        now = int(time.time())
        logs = wait_until(
            lambda: sls.get_logs("fc-logs", "functions", now - 60, now + 60, "functionName: fn")
        )
        by_message = {log["message"]: log for log in logs}
        assert set(by_message) == {
            f"FC Invoke Start RequestId: {result.request_id}",
            "hello from fn",
            f"FC Invoke End RequestId: {result.request_id}",
        }
        line = by_message["hello from fn"]
        assert line["serviceName"] == "logged" and line["functionName"] == "fn"
        assert line["qualifier"] == "LATEST" and line["versionId"] == "LATEST"
        assert line["requestId"] == result.request_id and line["instanceID"] == "i-1"
        assert line["__topic__"] == "logged" and line["__source__"] == "i-1"
        assert abs(int(line["__time__"]) - now) <= 60
        text, _ = fc.read_logs("logged", "fn", 0)
        assert b"hello from fn" in text  # the function log `ros fc logs` prints is unchanged


def test_a_service_without_log_config_ships_nothing(backend: TwinBackend) -> None:
    with backend.fc() as fc, backend.sls() as sls:
        fc.create_service("quiet")
        fc.create_function(
            "quiet", "fn2", {"zipFile": zip_b64()}, runtime="python3.10", handler="index.handler"
        )
        fc.invoke_function("quiet", "fn2", b"{}")
        now = int(time.time())
        assert sls.get_logs("fc-logs", "functions", now - 60, now + 60, "functionName: fn2") == []


@pytest.mark.parametrize(
    ("log_config", "expected"),
    [
        (
            {"project": "no-such-project", "logstore": "functions"},
            "SLS project 'no-such-project' does not exist",
        ),
        ({"project": "fc-logs", "logstore": "no-such-store"}, "logstore 'no-such-store' does not exist"),
        ({"project": "fc-logs", "logstore": ""}, "needs both project and logstore"),
    ],
)
def test_a_log_config_naming_what_does_not_exist_is_refused(
    backend: TwinBackend, log_config: dict[str, str], expected: str
) -> None:
    with backend.fc() as fc:
        with pytest.raises(FcApiError) as caught:
            fc.create_service(f"bad-{abs(hash(expected)) % 10**6}", logConfig=log_config)
        assert caught.value.status == 400 and caught.value.error_code == "InvalidArgument"
        assert expected in caught.value.message
        fc.create_service("to-update")
        with pytest.raises(FcApiError) as caught:
            fc.update_service("to-update", logConfig=log_config)
        assert expected in caught.value.message
        fc.delete_service("to-update")


_PYTHON = {"runtime": "python3.10", "handler": "index.handler", "code": {"zipFile": zip_b64()}}


def _fc3(backend: TwinBackend) -> Fc3Client:
    return Fc3Client(backend.endpoint, backend.config.access_key_id, backend.config.access_key_secret)


def test_an_fc3_functions_output_reaches_its_log_config(backend: TwinBackend) -> None:
    with _fc3(backend) as fc3, backend.sls() as sls:
        fc3.create_function(
            "fc3-logged",
            runtime="python3.10",
            handler="index.handler",
            code={"zipFile": zip_b64()},
            logConfig={"project": "fc-logs", "logstore": "functions"},
        )
        result = fc3.invoke_function("fc3-logged", b"{}")
        now = int(time.time())
        logs = wait_until(
            lambda: sls.get_logs("fc-logs", "functions", now - 60, now + 60, "functionName: fc3-logged")
        )
        line = {log["message"]: log for log in logs}["hello from fc3-logged"]
        assert line["requestId"] == result.request_id and line["__topic__"] == "FCLogs:fc3-logged"
        assert "serviceName" not in line  # FC 3.0 has no services


@pytest.mark.parametrize(
    ("log_config", "expected"),
    [
        (
            {"project": "no-such-project", "logstore": "functions"},
            "SLS project 'no-such-project' does not exist",
        ),
        ({"project": "fc-logs", "logstore": "no-such-store"}, "logstore 'no-such-store' does not exist"),
    ],
)
def test_an_fc3_log_config_naming_what_does_not_exist_is_refused(
    backend: TwinBackend, log_config: dict[str, str], expected: str
) -> None:
    name = f"fc3-bad-{abs(hash(expected)) % 10**6}"
    with _fc3(backend) as fc3:
        with pytest.raises(FcApiError) as caught:
            fc3.create_function(
                name,
                runtime="python3.10",
                handler="index.handler",
                code={"zipFile": zip_b64()},
                logConfig=log_config,
            )
        assert caught.value.status == 400 and caught.value.error_code == "InvalidArgument"
        assert expected in caught.value.message
        fc3.create_function(name, **_PYTHON)
        with pytest.raises(FcApiError) as caught:
            fc3.update_function(name, logConfig=log_config)
        assert expected in caught.value.message
        fc3.delete_function(name)
