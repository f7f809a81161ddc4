"""The shared directory of a service's backends (``--shared-dir``): the same one for all of them,
checked by the marker it holds, whatever path each host mounts it at."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from fcbackend.backend_config import BackendConfig
from fcbackend.store.metadata import MetadataStore
from fcbackend.store_factory import SHARED_MARKER, SharedDirError, check_shared_dir, open_metadata_store
from sqlstore import DatabaseSet


def _meta(tmp_path: Path) -> MetadataStore:
    return open_metadata_store(DatabaseSet(tmp_path, f"sqlite:///{tmp_path / 'shared.db'}"))


def test_the_first_backend_marks_the_directory_and_later_ones_must_name_the_same(tmp_path: Path) -> None:
    meta = _meta(tmp_path)
    mount = tmp_path / "mount"
    check_shared_dir(meta, mount, shared_database=True)
    marker = (mount / SHARED_MARKER).read_text().strip()
    # The same directory mounted at another path on another host: its marker says it is the one.
    elsewhere = tmp_path / "other-host-mount"
    mount.rename(elsewhere)
    check_shared_dir(meta, elsewhere, shared_database=True)
    assert (elsewhere / SHARED_MARKER).read_text().strip() == marker

    with pytest.raises(SharedDirError, match="--shared-dir"):
        check_shared_dir(meta, None, shared_database=True)
    with pytest.raises(SharedDirError, match=f"has no {SHARED_MARKER}"):
        check_shared_dir(meta, tmp_path / "empty", shared_database=True)
    stranger = tmp_path / "another-service"
    stranger.mkdir()
    (stranger / SHARED_MARKER).write_text("0123\n")
    with pytest.raises(SharedDirError, match="holds service id 0123"):
        check_shared_dir(meta, stranger, shared_database=True)


def test_a_shared_database_without_a_shared_directory_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="fcbackend.store_factory"):
        check_shared_dir(_meta(tmp_path), None, shared_database=True)
    assert "stay on this host" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="fcbackend.store_factory"):
        check_shared_dir(_meta(tmp_path / "alone"), None, shared_database=False)
    assert caplog.text == ""


def test_objects_file_systems_and_logs_live_in_the_shared_directory(tmp_path: Path) -> None:
    config = BackendConfig(state_dir=tmp_path / "state", shared_dir=tmp_path / "shared")
    assert config.oss_dir == tmp_path / "shared" / "oss"
    assert config.logs_dir == tmp_path / "shared" / "logs"
    assert config.content_dir == tmp_path / "shared"
    alone = BackendConfig(state_dir=tmp_path / "state", shared_dir=None)
    assert alone.oss_dir == tmp_path / "state" / "oss"
