"""Real backend processes (``python -m fcbackend.server``, each with its own state directory, as on
separate hosts) on one PostgreSQL database, for the ``multinode`` tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fc2
import pytest

from tests.support.paths import REPO
from tests.support.waiting import until


class Backend:
    """One backend process on the shared database."""

    def __init__(self, home: Path, database_url: str, env: dict[str, str] | None = None) -> None:
        """``home``'s name is also the backend's ``application_name`` on the database, so a test
        can tell whose sessions hold what (``pg_stat_activity``)."""
        self.name = home.name
        separator = "&" if "?" in database_url else "?"
        database_url = f"{database_url}{separator}application_name={self.name}"
        self.state_dir = home / "fc"
        self.state_dir.mkdir(parents=True)
        env = {
            **os.environ,
            "ROS_HOME": str(home),
            "ROS_DATABASE_URL": database_url,
            "PYTHONPATH": str(REPO),
            **(env or {}),
        }
        self.log = open(home / "backend.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fcbackend.server",
                "--state-dir",
                str(self.state_dir),
                "--driver",
                "process",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        self.info: dict[str, Any] = {}
        until(self._started, 60, "the backend to start")

    def _started(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(
                f"backend exited: {(self.state_dir.parent / 'backend.log').read_text()[-3000:]}"
            )
        try:
            info = json.loads((self.state_dir / "backend.json").read_text())
        except (OSError, ValueError):
            return False
        if info.get("pid") != self.proc.pid:
            return False
        self.info = info
        return True

    @property
    def endpoint(self) -> str:
        return str(self.info["endpoint"])

    def client(self) -> Any:
        return fc2.Client(
            endpoint=self.endpoint,
            accessKeyID=self.info["accessKeyId"],
            accessKeySecret=self.info["accessKeySecret"],
            Timeout=60,
        )

    def pause(self) -> None:
        """Freeze the process (as a long pause or a partition would): it neither runs nor knows."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


@pytest.fixture
def backends(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Backend, Backend, str]]:
    started: list[Backend] = []
    try:
        started.append(Backend(tmp_path / "host-a", postgres_url))
        started.append(Backend(tmp_path / "host-b", postgres_url))
        yield started[0], started[1], postgres_url
    finally:
        for backend in started:
            backend.stop()
