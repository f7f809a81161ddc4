"""``ros fc status`` follows ROS_FC_ENDPOINT like every other command, and says "not answering"
rather than "not running" for a live backend that does not answer (audit items 5 and 2).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from click.testing import CliRunner

from rosengine.cli.fc_cmd import fc
from tests.fcbackend.test_audit_lifecycle_daemon import IGNORES_SIGTERM
from tests.support.paths import REPO


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
    proc = subprocess.Popen(
        [sys.executable, "-c", IGNORES_SIGTERM, str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        result = status({"ROS_HOME": str(tmp_path)}, "--state-dir", str(state))
        assert result.exit_code == 1
        assert f"the FC backend (pid {proc.pid}) is not answering" in result.output
        assert "not running" not in result.output
    finally:
        proc.kill()
        proc.wait()


def test_status_without_endpoint_or_daemon_says_not_running(tmp_path):
    result = status({"ROS_HOME": str(tmp_path), "ROS_FC_ENDPOINT": ""})
    assert result.exit_code == 1 and "not running" in result.output
