"""The NAS twin's pieces: file systems as directories, mount addresses mapped to them, NAS configs
turned into mounts, and how a plain process gets its mounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fcbackend.api.errors import FcError
from fcbackend.instances.launchers import private_mount_argv
from fcbackend.nas.mounts import nas_mounts
from fcbackend.nas.paths import MountSourceError, file_system_of, mount_source
from fcbackend.nas.service import NasError, NasService
from fcbackend.store_factory import open_nas_store
from sqlstore import DatabaseSet

OpenNas = Callable[[], NasService]


@pytest.fixture
def open_nas(tmp_path: Path) -> Iterator[OpenNas]:
    """Opens the NAS twin on ``tmp_path`` as the backend does; each call is a (re)started backend."""
    opened: list[DatabaseSet] = []

    def open_service() -> NasService:
        databases = DatabaseSet(tmp_path)
        opened.append(databases)
        return NasService(tmp_path, open_nas_store(databases))

    yield open_service
    for databases in opened:
        databases.close()


def test_a_file_system_is_a_directory_until_it_is_deleted(tmp_path: Path, open_nas: OpenNas) -> None:
    service = open_nas()
    created = service.create({"ProtocolType": "NFS", "StorageType": "Capacity"})
    directory = Path(created["Directory"])
    assert directory == tmp_path / "nas" / created["FileSystemId"] and directory.is_dir()
    (directory / "kept.txt").write_text("data")
    service.close()
    again = open_nas()  # a restarted backend sees the same file systems
    assert [f["FileSystemId"] for f in again.list()] == [created["FileSystemId"]]
    again.delete(created["FileSystemId"])
    assert not directory.exists()
    with pytest.raises(NasError) as missing:
        again.describe(created["FileSystemId"])
    assert missing.value.status == 404
    extreme = again.create({"FileSystemType": "extreme"})
    assert extreme["FileSystemId"].startswith("extreme-")


def test_mount_addresses_name_their_file_system(tmp_path: Path, open_nas: OpenNas) -> None:
    service = open_nas()
    fs = service.create({})["FileSystemId"]
    domain = f"{fs}-ab12c.cn-hangzhou.nas.aliyuncs.com"
    assert file_system_of(domain) == fs and file_system_of("nas.example.com") is None
    assert mount_source(tmp_path, f"{domain}:/data/x") == (tmp_path / "nas" / fs / "data" / "x").resolve()
    assert mount_source(tmp_path, f"{domain}:/") == (tmp_path / "nas" / fs).resolve()
    other = mount_source(tmp_path, "0123456789-xyz12.cn-hangzhou.nas.aliyuncs.com:/")  # not ours: its own
    assert other.name == "0123456789-xyz12.cn-hangzhou.nas.aliyuncs.com" and other.is_dir()
    with pytest.raises(MountSourceError):
        mount_source(tmp_path, f"{domain}:/../../etc")
    with pytest.raises(MountSourceError):
        mount_source(tmp_path, ":/x")


def test_nas_configs_become_mounts_and_bad_ones_are_refused(tmp_path: Path, open_nas: OpenNas) -> None:
    fs = open_nas().create({})["FileSystemId"]
    config = {
        "mountPoints": [
            {"serverAddr": f"{fs}-aaaaa.cn-hangzhou.nas.aliyuncs.com:/app", "mountDir": "/mnt/auto"}
        ]
    }
    ((source, target, read_only),) = nas_mounts(tmp_path, config)
    assert source.endswith(f"/nas/{fs}/app") and target == "/mnt/auto" and not read_only
    assert nas_mounts(tmp_path, None) == [] and nas_mounts(tmp_path, {"userId": -1}) == []
    for bad in (
        {"serverAddr": "x.nas.aliyuncs.com:/", "mountDir": "/etc"},
        {"serverAddr": "", "mountDir": "/mnt/a"},
    ):
        with pytest.raises(FcError) as refused:
            nas_mounts(tmp_path, {"mountPoints": [bad]})
        assert refused.value.status == 400 and "nasConfig.mountPoints[0]" in refused.value.message


def test_a_plain_process_gets_its_mounts_in_a_private_namespace() -> None:
    argv = private_mount_argv(
        (("/srv/nas/fs1", "/mnt/auto", False), ("/srv/oss/b", "/data/b", True)), ["python3", "boot.py"]
    )
    assert argv[:5] == [argv[0], "--mount", "--propagation", "private", "--"] and argv[0].endswith("unshare")
    script = argv[7]
    assert (
        "mount -t tmpfs -o mode=755 tmpfs /mnt" in script
        and "mount -t tmpfs -o mode=755 tmpfs /data" in script
    )
    assert "mount --bind /srv/nas/fs1 /mnt/auto" in script
    assert "mount -o remount,bind,ro /data/b" in script and script.endswith('exec "$@"')
    assert argv[-2:] == ["python3", "boot.py"]
