"""The local environment rosengine runs in: where it keeps its state, and the local account and region.

Why: the stack state store, the FC backend (its database, code, daemon file) and the clients
must all agree on one state directory without configuration: ``$ROS_HOME`` or ``~/.rosengine``.
The FC backend's own directory defaults to ``<state dir>/fc``; its endpoint and credentials are
written to ``<fc dir>/backend.json`` by ``ros fc serve/start`` and read by the clients, unless
``ROS_FC_ENDPOINT`` (with ``ROS_FC_ACCESS_KEY_ID`` / ``ROS_FC_ACCESS_KEY_SECRET``) points
elsewhere.

Backends of one service on several hosts (one PostgreSQL database) also share a directory every
host mounts (``$ROS_SHARED_DIR``: an NFS export, a ReadWriteMany volume): OSS object bytes, NAS
file systems and function logs live there, where every backend reads them.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_REGION = "cn-hangzhou"
DEFAULT_ACCOUNT_ID = "1234567890123456"
SHARED_DIR_VARIABLE = "ROS_SHARED_DIR"


def state_dir() -> Path:
    root = os.environ.get("ROS_HOME")
    path = Path(root).expanduser() if root else Path.home() / ".rosengine"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fc_state_dir() -> Path:
    path = state_dir() / "fc"
    path.mkdir(parents=True, exist_ok=True)
    return path


def region() -> str:
    return os.environ.get("ROS_REGION", DEFAULT_REGION)


def account_id() -> str:
    return os.environ.get("ROS_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)


def shared_dir() -> Path | None:
    """The directory the backends of one service share (``$ROS_SHARED_DIR``), if one is named."""
    value = os.environ.get(SHARED_DIR_VARIABLE)
    return Path(value).expanduser() if value else None
