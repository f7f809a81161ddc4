"""``ros fc start/status/stop`` in subprocesses with ROS_HOME=tmp_path, concurrent starts, and the
client commands against the daemon (one real invocation through the process driver), status of a
remote or unanswering backend."""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from rosengine.cli.fc_cmd import fc
from tests.support.stuck_backend import stuck_backend

ROS = [sys.executable, "-c", "from rosengine.cli import main; main()"]


def ros(home: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROS_HOME": str(home)}
    env.pop("ROS_FC_ENDPOINT", None)
    return subprocess.run([*ROS, *args], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def home(tmp_path: Path):
    yield tmp_path
    ros(tmp_path, "fc", "stop")


def test_start_status_stop(home):
    started = ros(home, "fc", "start", "--driver", "process", "-o", "json")
    assert started.returncode == 0, started.stderr
    info = json.loads(started.stdout)
    assert info["started"] is True and info["endpoint"].startswith("http://127.0.0.1:")
    backend_file = json.loads((home / "fc" / "backend.json").read_text())
    assert backend_file["pid"] == info["pid"]
    again = json.loads(ros(home, "fc", "start", "-o", "json").stdout)
    assert again == {**info, "started": False}
    status = ros(home, "fc", "status", "-o", "json")
    data = json.loads(status.stdout)
    assert status.returncode == 0 and data["running"] and data["endpoint"] == info["endpoint"]
    assert data["driver"] == "process" and data["isolated"] is False
    assert data["accessKeyId"].startswith("LTAI") and data["accessKeySecret"]
    text = ros(home, "fc", "status").stdout
    assert "Isolated:" in text and data["accessKeySecret"] in text
    stopped = ros(home, "fc", "stop")
    assert stopped.returncode == 0 and f"pid {info['pid']}" in stopped.stdout
    assert not (home / "fc" / "backend.json").exists()
    after = ros(home, "fc", "status")
    assert after.returncode == 1 and "not running" in after.stdout


def test_concurrent_ensure_local_backend_starts_one_daemon(home):
    code = (
        "from rosengine.clients.fc import ensure_local_backend; import json, os; "
        "from fcbackend.backend_config import read_backend_info; "
        "print(json.dumps([ensure_local_backend(), read_backend_info()['pid']]))"
    )
    env = {**os.environ, "ROS_HOME": str(home)}
    env.pop("ROS_FC_ENDPOINT", None)

    def run(_: int) -> list:
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=90
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(run, range(3)))
    assert len({tuple(r) for r in results}) == 1


def test_invoke_invocations_logs_with_real_instance(home):
    assert ros(home, "fc", "start", "--driver", "process").returncode == 0
    env = {**os.environ, "ROS_HOME": str(home)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(
            "index.py",
            "def handler(event, context):\n    print('log line')\n"
            "    if event == b'boom':\n        raise ValueError('boom')\n    return event\n",
        )
    setup = (
        "from rosengine.clients.fc import FcClient; c = FcClient.from_environment(); "
        "c.create_service('demo'); "
        f"c.create_function('demo', 'echo', "
        f"code={{'zipFile': '{base64.b64encode(buf.getvalue()).decode()}'}}, "
        "runtime='python3.10', handler='index.handler')"
    )
    done = subprocess.run([sys.executable, "-c", setup], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    ok = ros(home, "fc", "invoke", "demo/echo", "-e", "hello", "--tail-log")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "hello" and "log line" in ok.stderr
    failed = ros(home, "fc", "invoke", "demo/echo", "-e", "boom")
    assert failed.returncode == 1 and "UnhandledInvocationError" in failed.stderr
    records = json.loads(ros(home, "fc", "invocations", "demo/echo", "-o", "json").stdout)
    assert len(records) == 2 and {r["error"] for r in records} == {None, "UnhandledInvocationError"}
    logs = ros(home, "fc", "logs", "demo/echo")
    assert logs.stdout.count("log line") == 2
    instances = json.loads(ros(home, "fc", "instances", "-o", "json").stdout)
    assert instances and instances[0]["function"] == "echo"
    bad = ros(home, "fc", "invoke", "a/b/c")
    assert bad.returncode == 2 and "FUNCTION or SERVICE/FUNCTION" in bad.stderr
    # a bare name is an FC 3.0 function now
    missing = ros(home, "fc", "invoke", "no-slash")
    assert missing.returncode == 1 and "FunctionNotFound" in missing.stderr


# -- ros fc status follows ROS_FC_ENDPOINT like every other command, and says "not answering"
# rather than "not running" for a live backend that does not answer
def status(env: dict[str, str], *args: str):
    return CliRunner().invoke(fc, ["status", *args], env=env)


def test_status_queries_ros_fc_endpoint(backend, tmp_path):
    env = {
        "ROS_FC_ENDPOINT": backend.endpoint,
        "ROS_FC_ACCESS_KEY_ID": backend.config.access_key_id,
        "ROS_FC_ACCESS_KEY_SECRET": backend.config.access_key_secret,
        "ROS_HOME": str(tmp_path / "no-local-daemon-here"),
    }
    result = status(env, "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["running"] is True and data["source"] == "ROS_FC_ENDPOINT"
    assert data["endpoint"] == backend.endpoint
    assert data["stateDir"] == str(backend.config.state_dir)
    assert data["accessKeyId"] == backend.config.access_key_id and "accessKeySecret" not in data
    text = status(env)
    assert text.exit_code == 0 and backend.endpoint in text.output and "ROS_FC_ENDPOINT" in text.output
    assert "not running" not in text.output


def test_status_reports_an_unreachable_endpoint(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = status({"ROS_FC_ENDPOINT": endpoint, "ROS_HOME": str(tmp_path)}, "-o", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["running"] is False and data["endpoint"] == endpoint and endpoint in data["error"]


def test_status_says_a_live_backend_is_not_answering(tmp_path):
    state = tmp_path / "fc"
    with stuck_backend(state) as proc:
        result = status({"ROS_HOME": str(tmp_path)}, "--state-dir", str(state))
        assert result.exit_code == 1
        assert f"the FC backend (pid {proc.pid}) is not answering" in result.output
        assert "not running" not in result.output


def test_status_without_endpoint_or_daemon_says_not_running(tmp_path):
    result = status({"ROS_HOME": str(tmp_path), "ROS_FC_ENDPOINT": ""})
    assert result.exit_code == 1 and "not running" in result.output
