"""End-to-end fixtures: the real ``ros`` CLI in a subprocess over a temporary ROS_HOME.

One ROS_HOME (and so one local FC backend, started by the first ``ros stack create``) is shared
by the tests of this package to keep them fast; the backend is stopped with ``ros fc stop`` at
teardown.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rosengine.clients.fc import FcClient
from tests.support.paths import REPO

TEMPLATES = REPO / "templates"


def _ros_command() -> list[str]:
    """The installed ``ros`` entry point next to this interpreter, else the same via -c."""
    script = Path(sys.executable).with_name("ros")
    if script.exists():
        return [str(script)]
    found = shutil.which("ros")
    if found:
        return [found]
    return [sys.executable, "-c", "from rosengine.cli import main; main()"]


@dataclass
class Ros:
    home: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROS_FC_")}
        env.update(
            {"ROS_HOME": str(self.home), "NO_COLOR": "1", "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
        )
        return env

    def run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [*_ros_command(), *args],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"ros {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)

    def outputs(self, stack: str) -> dict[str, Any]:
        return {o["OutputKey"]: o["OutputValue"] for o in self.json("stack", "outputs", "-n", stack)}

    def fc_client(self) -> FcClient:
        info = json.loads((self.home / "fc" / "backend.json").read_text())
        return FcClient(info["endpoint"], info.get("accessKeyId", ""), info.get("accessKeySecret", ""))


@pytest.fixture(scope="package")
def ros(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ros]:
    runner = Ros(tmp_path_factory.mktemp("ros-home"))
    try:
        yield runner
    finally:
        runner.run("fc", "stop", check=False, timeout=60)
