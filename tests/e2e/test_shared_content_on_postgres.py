"""What every backend of one service must read, with two real backends on one PostgreSQL database
and different state directories (as on two hosts): code and layer packages live in the database;
OSS object bytes, NAS file systems and function logs in the shared directory every host mounts
(``--shared-dir`` / ``ROS_SHARED_DIR``). A backend that would keep them elsewhere is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from rosengine.clients.fc import FcClient
from rosengine.clients.fc3 import Fc3Client
from rosengine.clients.nas import NasClient
from rosengine.clients.oss import OssClient
from tests.support.fc_api import zip_b64
from tests.support.paths import REPO
from tests.support.pg_backends import Backend
from tests.support.waiting import until

pytestmark = [pytest.mark.multinode, pytest.mark.timeout(240)]

LAYER_HANDLER = (
    "import shared\n\n"
    "def handler(event, context):\n"
    "    print('ran with the layer: ' + shared.WORD)\n"
    "    return 'layer says ' + shared.WORD\n"
)


@pytest.fixture
def shared_backends(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Backend, Backend, str, Path]]:
    shared = tmp_path / "shared"  # one directory, as every host would mount it
    env = {"ROS_SHARED_DIR": str(shared)}
    started: list[Backend] = []
    try:
        started.append(Backend(tmp_path / "host-a", postgres_url, env))
        started.append(Backend(tmp_path / "host-b", postgres_url, env))
        yield started[0], started[1], postgres_url, shared
    finally:
        for backend in started:
            backend.stop()


def _fc(backend: Backend) -> FcClient:
    return FcClient(backend.endpoint, backend.info["accessKeyId"], backend.info["accessKeySecret"])


def test_a_layer_published_on_one_backend_serves_a_function_on_the_other(
    shared_backends: tuple[Backend, Backend, str, Path],
) -> None:
    first, second, url, _ = shared_backends
    with _fc(first) as on_first, _fc(second) as on_second:
        layer = on_first.publish_layer_version(
            "words",
            code={"zipFile": zip_b64({"python/shared.py": "WORD = 'shared'\n"})},
            compatibleRuntime=["python3.10"],
        )
        on_second.create_service("svc")
        on_second.create_function(
            "svc", "fn", code={"zipFile": zip_b64({"index.py": LAYER_HANDLER})},
            runtime="python3.10", handler="index.handler", layers=[layer["arn"]],
        )  # fmt: skip
        assert on_second.invoke_function("svc", "fn", b"{}").body == b"layer says shared"
        assert on_first.invoke_function("svc", "fn", b"{}").body == b"layer says shared"
    with psycopg.connect(url) as conn:
        (packages,) = conn.execute("SELECT count(*) FROM code_contents").fetchone()
    assert packages >= 2  # the layer's and the function's zips, in the database


def test_objects_file_systems_and_logs_written_through_one_backend_are_read_through_the_other(
    shared_backends: tuple[Backend, Backend, str, Path],
) -> None:
    first, second, _, shared = shared_backends
    keys = (first.info["accessKeyId"], first.info["accessKeySecret"])
    with OssClient(first.endpoint, *keys) as oss_first, OssClient(second.endpoint, *keys) as oss_second:
        oss_first.create_bucket("team-bucket")
        oss_first.put_object("team-bucket", "report.txt", b"written through the first backend")
        assert oss_second.get_object("team-bucket", "report.txt") == b"written through the first backend"
    assert not (first.state_dir / "oss").exists() and (shared / "oss").is_dir()
    # The objects' metadata is in the database, not in an SQLite file on the shared directory.
    assert not (shared / "oss" / ".meta" / "objects.db").exists()

    with _fc(first) as on_first, _fc(second) as on_second:
        created = NasClient(on_first).create_file_system({"ProtocolType": "NFS"})
        seen = NasClient(on_second).describe_file_system(created["FileSystemId"])
        assert seen["Directory"] == created["Directory"]
        assert Path(seen["Directory"]).is_relative_to(shared)

        layer = on_first.publish_layer_version(
            "words", code={"zipFile": zip_b64({"python/shared.py": "WORD = 'logged'\n"})},
            compatibleRuntime=["python3.10"],
        )  # fmt: skip
        on_first.create_service("svc")
        on_first.create_function(
            "svc", "fn", code={"zipFile": zip_b64({"index.py": LAYER_HANDLER})},
            runtime="python3.10", handler="index.handler", layers=[layer["arn"]],
        )  # fmt: skip
        on_first.invoke_function("svc", "fn", b"{}")
    with Fc3Client(second.endpoint, *keys) as fc3_second:

        def logged_on_the_other() -> bool:
            data, _ = fc3_second.read_logs("svc$fn")
            return b"ran with the layer: logged" in data

        until(logged_on_the_other, 30, "the function's log to be readable through the other backend")


def _start(home: Path, url: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A backend started in the foreground: one that is refused exits at once with the reason."""
    state = home / "fc"
    state.mkdir(parents=True)
    return subprocess.run(
        [sys.executable, "-m", "fcbackend.server", "--state-dir", str(state), "--driver", "process"],
        env={**os.environ, "ROS_HOME": str(home), "ROS_DATABASE_URL": url, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def test_a_backend_without_the_shared_directory_or_with_another_is_refused_at_start(
    shared_backends: tuple[Backend, Backend, str, Path], tmp_path: Path
) -> None:
    _, _, url, _ = shared_backends
    without = _start(tmp_path / "host-c", url, {})
    assert without.returncode == 1 and "Traceback" not in without.stderr
    assert "shared directory" in without.stderr and "--shared-dir" in without.stderr, without.stderr
    elsewhere = _start(tmp_path / "host-d", url, {"ROS_SHARED_DIR": str(tmp_path / "not-the-mount")})
    assert elsewhere.returncode == 1 and "Traceback" not in elsewhere.stderr
    assert "has no .rosengine-service" in elsewhere.stderr, elsewhere.stderr
