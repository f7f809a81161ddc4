"""The instance registry: two real backends on one PostgreSQL database each list the other's
instances (``/local/instances``, ``ros fc instances``); a backend that is killed drops out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rosengine.cli import cli
from rosengine.clients.fc3 import Fc3Client
from tests.support.pg_backends import Backend, backends
from tests.support.waiting import until

__all__ = ["backends"]  # the fixture

pytestmark = [pytest.mark.multinode, pytest.mark.timeout(240)]


def _listing(backend: Backend) -> list[dict[str, Any]]:
    with Fc3Client(backend.endpoint, backend.info["accessKeyId"], backend.info["accessKeySecret"]) as fc3:
        return list(fc3.local("instances")["instances"])


def _by_backend(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[str(row["backend"])] = counts.get(str(row["backend"]), 0) + 1
    return counts


def test_each_backend_lists_the_instances_of_both(
    backends: tuple[Backend, Backend, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, _ = backends
    code = tmp_path / "code"
    code.mkdir()
    (code / "index.py").write_text("def handler(event, context):\n    return event\n")
    first.client().create_service("svc")
    first.client().create_function("svc", "fn", "python3", "index.handler", codeDir=str(code))
    # A sync invocation runs on the backend that received it: one instance on each.
    assert first.client().invoke_function("svc", "fn", payload=b"a").data == b"a"
    assert second.client().invoke_function("svc", "fn", payload=b"b").data == b"b"

    def both_listed_everywhere() -> bool:
        return all(len(_by_backend(_listing(b))) == 2 for b in (first, second))

    until(both_listed_everywhere, 30, "each backend to list the other's instance")
    rows = _listing(first)
    assert {row["name"] for row in rows} == {"svc/fn"}
    assert len({row["id"] for row in rows}) == 2

    monkeypatch.setenv("ROS_FC_ENDPOINT", second.endpoint)
    monkeypatch.setenv("ROS_FC_ACCESS_KEY_ID", second.info["accessKeyId"])
    monkeypatch.setenv("ROS_FC_ACCESS_KEY_SECRET", second.info["accessKeySecret"])
    shown = CliRunner().invoke(cli, ["fc", "instances"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "Backend" in shown.output and all(row["id"] in shown.output for row in rows)

    second.kill()  # kill -9: it cannot withdraw its rows; they go stale and drop out
    until(lambda: len(_by_backend(_listing(first))) == 1, 30, "the killed backend's instance to drop out")
