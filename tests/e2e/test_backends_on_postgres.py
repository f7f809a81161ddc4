"""Two real backends (``python -m fcbackend.server`` processes, separate state directories, as on
two hosts) on one PostgreSQL database are one FC service: the same keys, a function created on
one answers on the other, async invocations run once across both, and when one is killed with
SIGKILL the other finishes its work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fc2.fc_exceptions import FcError

from tests.support.paths import REPO
from tests.support.pg_backends import Backend, backends
from tests.support.waiting import until

__all__ = ["backends"]  # the fixture

pytestmark = [pytest.mark.multinode, pytest.mark.timeout(240)]

HANDLER = (
    "import time\n\ndef handler(event, context):\n    time.sleep(float(event or b'0'))\n    return event\n"
)


def _async_rows(url: str) -> list[tuple[str, str, int]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT request_id, status, attempts FROM async_events ORDER BY request_id"
        ).fetchall()


def _submit_async(backend: Backend, sleep_s: str) -> str:
    """Submit one async invocation; its request id."""
    response = backend.client().invoke_function(
        "svc", "fn", payload=sleep_s.encode(), headers={"x-fc-invocation-type": "Async"}
    )
    return str(response.headers["x-fc-request-id"])


def _create_function(backend: Backend, code_dir: Path) -> None:
    code_dir.mkdir()
    (code_dir / "index.py").write_text(HANDLER)
    client = backend.client()
    client.create_service("svc")
    client.create_function("svc", "fn", "python3", "index.handler", codeDir=str(code_dir), timeout=60)


def test_two_backends_on_one_database_are_one_service(
    backends: tuple[Backend, Backend, str], tmp_path: Path
) -> None:
    first, second, url = backends
    # The same keys: the second backend adopted the first one's root pair from the database.
    assert first.info["accessKeyId"] == second.info["accessKeyId"]
    assert first.info["accessKeySecret"] == second.info["accessKeySecret"]
    _create_function(first, tmp_path / "code")
    # Created on the first, listed and invoked on the second (which never received the zip).
    assert [f["functionName"] for f in second.client().list_functions("svc").data["functions"]] == ["fn"]
    assert second.client().invoke_function("svc", "fn", payload=b"0").data == b"0"
    # Async invocations submitted to both run exactly once in all.
    ids = sorted(_submit_async(first if i % 2 else second, "0") for i in range(20))

    def all_succeeded() -> bool:
        rows = _async_rows(url)
        return len(rows) == len(ids) and all(status == "Succeeded" for _, status, _ in rows)

    until(all_succeeded, 60, "every async invocation to succeed")
    assert [(r, n) for r, _, n in _async_rows(url)] == [(r, 1) for r in ids]
    with psycopg.connect(url) as conn:
        recorded = conn.execute(
            "SELECT request_id, count(*) FROM invocation_log WHERE request_id = ANY(%s) GROUP BY request_id",
            (ids,),
        ).fetchall()
    assert sorted(recorded) == [(r, 1) for r in ids]  # each ran once, on one backend or the other


def test_a_backend_killed_with_sigkill_leaves_its_async_work_to_the_other(
    backends: tuple[Backend, Backend, str], tmp_path: Path
) -> None:
    victim, survivor, url = backends
    _create_function(victim, tmp_path / "code")
    ids = [_submit_async(victim, "3") for _ in range(4)]

    def victim_runs_them() -> bool:
        return sum(status == "Running" for _, status, _ in _async_rows(url)) >= 1

    until(victim_runs_them, 30, "the first backend to start running the invocations")
    victim.kill()

    def all_succeeded() -> bool:
        rows = _async_rows(url)
        return len(rows) == len(ids) and all(status == "Succeeded" for _, status, _ in rows)

    until(all_succeeded, 90, "the surviving backend to finish the killed one's invocations")
    # What the killed backend was running ran again (at-least-once), on the survivor.
    assert any(attempts >= 2 for _, _, attempts in _async_rows(url))
    assert survivor.client().invoke_function("svc", "fn", payload=b"0").data == b"0"


def test_a_wrong_database_url_is_refused_at_start(postgres_server: Any, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fcbackend.server", "--state-dir", str(tmp_path / "fc")],
        env={
            **os.environ,
            "ROS_DATABASE_URL": postgres_server.url(password="wrong"),
            "PYTHONPATH": str(REPO),
        },
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 1
    assert "password authentication failed" in result.stderr and "wrong" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_backend_whose_database_goes_away_answers_503_then_recovers(tmp_path: Path) -> None:
    """A database server of its own (stopping the session's would disturb other tests)."""
    from tests.support.postgres import PostgresServer

    server = PostgresServer()
    backend = None
    try:
        backend = Backend(tmp_path / "host", server.new_database())
        backend.client().create_service("kept")
        server.stop()
        with pytest.raises(FcError) as caught:
            backend.client().list_services()
        assert caught.value.status_code == 503 and caught.value.err_code == "ServiceUnavailable"
        assert "database is unavailable" in caught.value.message
        server.start()

        def answers() -> bool:
            try:
                backend.client().list_services()
            except FcError as exc:
                assert exc.status_code == 503, exc.message  # only "not yet" is expected
                return False
            return True

        until(answers, 30, "the backend to reconnect")
        assert [s["serviceName"] for s in backend.client().list_services().data["services"]] == ["kept"]
    finally:
        if backend is not None:
            backend.stop()
        server.destroy()
