"""A function's NAS config as the drivers' mounts (FunctionSpec.mounts: source, target, read-only).

FC 2.0 (a service's ``nasConfig``) and FC 3.0 (a function's) share the shape
``{"userId", "groupId", "mountPoints": [{"serverAddr": "<domain>:/<path>", "mountDir": "/mnt/x"}]}``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from fcbackend.api.errors import invalid
from fcbackend.nas.paths import MountSourceError, mount_source


def nas_mounts(state_dir: Path, nas_config: Any) -> list[tuple[str, str, bool]]:
    """(host directory, mountDir, read-only) per mount point; a bad one is a 400."""
    from fcbackend.fc3.spec import check_mount_dir  # FC's mount roots (/mnt, /home, /data, ...)

    points = ((nas_config or {}).get("mountPoints") or []) if isinstance(nas_config, dict) else []
    out: list[tuple[str, str, bool]] = []
    for index, point in enumerate(points):
        if not isinstance(point, dict):
            raise invalid(f"nasConfig.mountPoints[{index}] must be an object")
        where = f"nasConfig.mountPoints[{index}].mountDir"
        pure = PurePosixPath(check_mount_dir(str(point.get("mountDir") or ""), where))
        try:
            source = mount_source(state_dir, str(point.get("serverAddr") or ""))
        except MountSourceError as exc:
            raise invalid(f"nasConfig.mountPoints[{index}].serverAddr: {exc}") from None
        out.append((str(source), str(pure), False))
    return out
