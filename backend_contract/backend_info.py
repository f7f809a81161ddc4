"""The running backend's info file, ``<fc state dir>/backend.json``: how a client finds the backend.

Why here: the backend writes it (``ros fc serve/start``) and every client reads it
(:meth:`rosengine.clients.fc.FcClient.from_environment`, ``ros fc status``); both must agree on its
place and form without importing each other. It holds ``endpoint``, ``pid``, ``driver`` and the
local credentials (``accessKeyId``, ``accessKeySecret``), so it is written with mode 0600.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from backend_contract import local_environment

BACKEND_FILE = "backend.json"


def backend_file(state_dir: Path | None = None) -> Path:
    """Where the info file of the backend serving ``state_dir`` (default: ``<ROS_HOME>/fc``) lives."""
    return (Path(state_dir) if state_dir else local_environment.fc_state_dir()) / BACKEND_FILE


def read_backend_info(state_dir: Path | None = None) -> dict[str, Any] | None:
    """The running backend's ``backend.json`` (None when absent or unreadable)."""
    try:
        data = json.loads(backend_file(state_dir).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_backend_info(state_dir: Path, info: dict[str, Any]) -> None:
    """Atomically write ``backend.json`` (0600: it holds the secret)."""
    path = backend_file(state_dir)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(info, fh, indent=2)
    os.replace(tmp, path)


def remove_backend_info(state_dir: Path, pid: int | None = None) -> None:
    """Remove ``backend.json`` if it still describes ``pid`` (or unconditionally)."""
    info = read_backend_info(state_dir)
    if info is not None and pid is not None and info.get("pid") != pid:
        return
    backend_file(state_dir).unlink(missing_ok=True)
