"""templates/sls-function-logs.yml through the real CLI: the SLS project, logstore and index
deploy, the function's output reaches the logstore (read with the official SDK through the
gateway that `ros fc status -o json` names), `ros fc logs` still prints it, and the stack deletes
cleanly."""

from __future__ import annotations

import json
import time

import aliyun.log as aliyun_log
import pytest

from tests.e2e.conftest import Ros
from tests.support.fc_api import wait_until


def test_sls_template_deploys_ships_logs_and_deletes(ros: Ros, monkeypatch: pytest.MonkeyPatch) -> None:
    ros.run(
        "stack",
        "create",
        "-t",
        "templates/sls-function-logs.yml",
        "-n",
        "slslogs",
        "-p",
        "ProjectName=e2e-logs",
    )
    outputs = ros.outputs("slslogs")
    assert outputs["ProjectName"] == "e2e-logs" and outputs["LogstoreName"] == "function-logs"
    answer = json.loads(
        ros.run("fc", "invoke", f"{outputs['ServiceName']}/greet", "-e", '{"name": "logs"}').stdout
    )
    assert answer == {"greeting": "Hello, logs!"}

    status = ros.json("fc", "status")
    assert status["proxy"].startswith("http://127.0.0.1:") and status["caFile"].endswith("ca.pem")
    assert status["twins"]["sls"] == "https://cn-hangzhou.log.aliyuncs.com"
    for name in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, status["proxy"])
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", status["caBundle"])
    client = aliyun_log.LogClient(
        "https://cn-hangzhou.log.aliyuncs.com", status["accessKeyId"], status["accessKeySecret"]
    )
    now = int(time.time())

    def shipped() -> list[str]:
        request = aliyun_log.GetLogsRequest(
            "e2e-logs", "function-logs", now - 120, now + 120, query="greeting"
        )
        return [log.get_contents()["message"] for log in client.get_logs(request).get_logs()]

    assert wait_until(shipped, timeout=30) == ["greeting logs"]
    assert "greeting logs" in ros.run("fc", "logs", f"{outputs['ServiceName']}/greet").stdout

    ros.run("stack", "delete", "-n", "slslogs")
    with pytest.raises(aliyun_log.LogException) as caught:
        client.get_project("e2e-logs")
    assert caught.value.get_error_code() == "ProjectNotExist"
