"""The FC 3.0 example templates (templates/fc3/) through the real CLI: each validates; the
lottery, the web function and the async task are created, used with ``ros fc`` and deleted; the
GPU function is created where a GPU and Docker are present."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Iterator

import httpx
import pytest

from rosengine.clients.fc3 import Fc3Client
from tests.e2e.conftest import TEMPLATES, Ros


@pytest.fixture(scope="module")
def ros(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ros]:
    """An ROS_HOME (and so a backend) of this module's own: the package's shared one must be
    started by the FC 2.0 lottery test, which checks that a create starts the backend."""
    runner = Ros(tmp_path_factory.mktemp("ros-home-fc3"))
    try:
        yield runner
    finally:
        runner.run("fc", "stop", check=False, timeout=60)


FC3_TEMPLATES = sorted(p.name for p in (TEMPLATES / "fc3").iterdir() if p.suffix in (".yml", ".json"))
WINNER = re.compile(r"恭喜(\S+?)中奖")


def _fc3(ros: Ros) -> Fc3Client:
    info = json.loads((ros.home / "fc" / "backend.json").read_text())
    return Fc3Client(info["endpoint"], info["accessKeyId"], info["accessKeySecret"])


def _functions(ros: Ros) -> set[str]:
    with _fc3(ros) as client:
        return {f["functionName"] for f in client.list_functions(fc_version="v3")}


def test_every_fc3_template_validates(ros: Ros) -> None:
    assert FC3_TEMPLATES == ["async-task.yml", "gpu-function.yml", "lottery.yml", "web-function.yml"]
    paths = [f"templates/fc3/{name}" for name in FC3_TEMPLATES]
    result = ros.run("validate", "--strict", *paths)
    assert f"0 errors, 0 warnings in {len(paths)} files" in result.stdout, result.stdout + result.stderr


def test_fc3_lottery(ros: Ros) -> None:
    created = ros.run("stack", "create", "-t", "templates/fc3/lottery.yml", "-n", "lot3")
    winner = WINNER.search(ros.outputs("lot3")["Result"])
    assert winner and winner.group(1) in ("小明", "王五", "张三"), created.stdout
    ros.run("stack", "update", "-n", "lot3", "-p", "ExecuteVersion=1", "-p", "Persons=赵六")
    assert ros.outputs("lot3")["Result"] == "恭喜赵六中奖"

    invoked = ros.run("fc", "invoke", "lottery-lot3", "-e", "钱七")
    assert invoked.stdout.strip() == "钱七"
    listed = ros.json("fc", "functions")
    assert {"name": "lottery-lot3", "fcVersion": "v3"}.items() <= next(
        r for r in listed if r["name"] == "lottery-lot3"
    ).items()
    records = ros.json("fc", "invocations", "lottery-lot3")
    assert len(records) == 3 and {r["name"] for r in records} == {"lottery-lot3"}
    assert "FC Invoke Start" in ros.run("fc", "logs", "lottery-lot3").stdout

    ros.run("stack", "delete", "-n", "lot3")
    assert "lottery-lot3" not in _functions(ros)
    assert len(ros.json("fc", "invocations", "lottery-lot3")) == 3  # records outlive the function


def test_fc3_web_function(ros: Ros) -> None:
    ros.run("stack", "create", "-t", "templates/fc3/web-function.yml", "-n", "web3", "-p", "Greeting=hi")
    url = ros.outputs("web3")["Url"]
    answer = httpx.get(url + "shop", params={"name": "ann"}, timeout=60)
    assert answer.status_code == 200
    assert answer.json() == {"message": "hi, ann", "method": "GET", "path": "/shop"}
    triggers = ros.json("fc", "triggers", "web-web3")
    assert [(t["triggerName"], t["url"]) for t in triggers] == [("http", url)]
    event = ros.run("fc", "trigger-event", "web-web3/http")
    assert json.loads(event.stdout)["message"] == "hi, world"
    metrics = ros.json("fc", "metrics", "web-web3")
    assert metrics["functions"][0]["invocations"] >= 2
    ros.run("stack", "update", "-n", "web3", "-p", "Greeting=hey")
    assert httpx.get(url, timeout=60).json()["message"] == "hey, world"
    ros.run("stack", "delete", "-n", "web3")
    assert "web-web3" not in _functions(ros)


def test_fc3_async_task(ros: Ros) -> None:
    ros.run("stack", "create", "-t", "templates/fc3/async-task.yml", "-n", "task3", "-p", "Seconds=0")
    outputs = ros.outputs("task3")
    assert json.loads(outputs["Result"]) == {"done": "nightly-report", "slept": 0}
    tasks = ros.json("fc", "tasks", "task-task3")
    assert [(t["invocationId"], t["status"]) for t in tasks] == [(outputs["TaskId"], "Succeeded")]
    ros.run("stack", "delete", "-n", "task3")
    assert "task-task3" not in _functions(ros)


SERVER = b"""
import json, subprocess, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        gpus = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True).stdout.strip()
        data = json.dumps({"prompt": json.loads(body or b"{}").get("prompt"), "gpus": gpus}).encode()
        self.send_response(200); self.end_headers(); self.wfile.write(data)

HTTPServer(("0.0.0.0", int(sys.argv[-1])), Handler).serve_forever()
"""


@pytest.mark.gpu
@pytest.mark.docker
def test_fc3_gpu_function(ros: Ros) -> None:
    from fcbackend.images.hostfs import build_host_python_image

    python = "/usr/bin/python3" if shutil.which("/usr/bin/python3") else sys.executable
    image = build_host_python_image(
        "rosengine-test/fc3-gpu", python=python, extra_files={"/app/server.py": SERVER}
    )
    ros.run(
        "stack",
        "create",
        "-t",
        "templates/fc3/gpu-function.yml",
        "-n",
        "gpu3",
        "-p",
        f"Image={image}",
        "-p",
        "GpuMemorySize=1024",
        timeout=600,
    )
    answer = json.loads(ros.outputs("gpu3")["FirstAnswer"])
    assert answer["prompt"] == "hello" and "GPU" in answer["gpus"]
    ros.run("stack", "delete", "-n", "gpu3", timeout=300)
