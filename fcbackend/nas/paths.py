"""Where NAS file systems and mount points live on the host.

Why a module both FC versions use: a mount point's ``serverAddr`` must name the same directory
whether an FC 2.0 service or an FC 3.0 function mounts it, so two functions share a file system.
"""

from __future__ import annotations

import re
from pathlib import Path

NAS_DIR = "nas"
_FILE_SYSTEM_ID = re.compile(r"^(?:(?:extreme|cpfs)-)?[0-9a-z]{6,32}$")


class MountSourceError(ValueError):
    """A mount point that cannot be mapped to a directory (it would leave the NAS directory)."""


def nas_root(state_dir: Path) -> Path:
    return Path(state_dir) / NAS_DIR


def file_system_dir(state_dir: Path, file_system_id: str) -> Path:
    if not _FILE_SYSTEM_ID.match(file_system_id):
        raise MountSourceError(f"{file_system_id!r} is not a NAS file system id")
    return nas_root(state_dir) / file_system_id


def file_system_of(server: str) -> str | None:
    """The file system a mount target domain names (``0a1b2c3d4e-ab12c.cn-hangzhou.nas.aliyuncs.com``
    -> ``0a1b2c3d4e``), or None when the address is not a mount target domain."""
    label = server.split(".", 1)[0]
    file_system, sep, _ = label.rpartition("-")
    if not sep or ".nas.aliyuncs.com" not in server or not _FILE_SYSTEM_ID.match(file_system):
        return None
    return file_system


def mount_source(state_dir: Path, server_addr: str) -> Path:
    """The host directory for ``<server>:/<path>``: inside the file system's directory when the
    server is a mount target of a local file system, else under a directory named after the server
    (a NAS this backend did not create: it starts empty and is kept, as FC 3.0 mounts always did).
    Created when missing."""
    server, _, remote = server_addr.partition(":")
    if not server:
        raise MountSourceError(f"NAS serverAddr {server_addr!r} must look like <mount target domain>:/<path>")
    root = nas_root(state_dir)
    file_system = file_system_of(server)
    base = (
        root / file_system
        if file_system and (root / file_system).is_dir()
        else root / server.replace("/", "_")
    )
    source = base.joinpath(*[p for p in remote.split("/") if p]).resolve()
    if source != base.resolve() and base.resolve() not in source.parents:
        raise MountSourceError(f"NAS path {remote!r} of {server_addr!r} leaves the file system")
    source.mkdir(parents=True, exist_ok=True)
    return source
