"""Configuration of one FC backend process and the files it shares with its clients.

Why a module of its own: ``ros fc serve``, the daemon manager, the API and the clients must agree
on where things live under the FC state directory:

* ``credentials.json`` — the generated local access key pair (mode 0600), reused across restarts so
  clients configured once keep working;
* ``backend.json`` — written by a running backend, read by its clients
  (:mod:`backend_contract.backend_info`);
* ``fc.db`` (metadata), ``code/`` and ``unpacked/`` (content-addressed code), ``logs/``, ``oss/``.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend_contract import local_environment

CREDENTIALS_FILE = "credentials.json"
API_VERSION = "2016-08-15"

# Limits from docs/reference/fc-runtime.md#limits (sizes in bytes).
MAX_SYNC_PAYLOAD = 32 * 1024 * 1024
MAX_ASYNC_PAYLOAD = 128 * 1024
MAX_CODE_ZIP = 100 * 1024 * 1024
MAX_OSS_CODE_ZIP = 500 * 1024 * 1024
MAX_UNPACKED_CODE = 500 * 1024 * 1024
MAX_ZIP_ENTRIES = 100_000
LOG_TAIL_BYTES = 4096


@dataclass
class BackendConfig:
    """Settings of one backend process. ``driver=None`` lets the scheduler pick (sandbox where
    bubblewrap works, else process); ``auth=False`` accepts unsigned requests (``--no-auth``)."""

    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 0
    driver: str | None = None
    auth: bool = True
    access_key_id: str = ""
    access_key_secret: str = ""
    region: str = field(default_factory=local_environment.region)
    account_id: str = field(default_factory=local_environment.account_id)
    # How often buffered invocation records and logs are written out (seconds): also how long a
    # sync invocation's record can wait in memory, i.e. what a kill -9 can lose.
    flush_interval_s: float = 0.2
    # Where the stores live: None is one SQLite file per store group in the state directory
    # (fc.db, async.db, timers.db); a URL (sqlite:///path/file.db) puts them all in that database.
    database_url: str | None = None
    # Where instances run: None on this machine; "auto", "HOST:PORT" or "ray://HOST:PORT" on the
    # nodes of that Ray cluster (fcbackend.cluster, docs/design/cluster.md).
    cluster: str | None = None
    # The directory every backend of a shared database mounts (--shared-dir, $ROS_SHARED_DIR):
    # OSS object bytes, NAS file systems and function logs live there instead of the state dir.
    shared_dir: Path | None = field(default_factory=local_environment.shared_dir)
    # The address the cluster's nodes reach this process at (its gateway, for their functions):
    # --advertise-address or ROS_ADVERTISE_ADDRESS; None: its Ray node address.
    advertise_address: str | None = None

    @classmethod
    def for_state_dir(cls, state_dir: Path | None = None, **overrides: Any) -> BackendConfig:
        """A config for ``state_dir`` (default: ``<ROS_HOME>/fc``) with its saved credentials."""
        directory = Path(state_dir) if state_dir else local_environment.fc_state_dir()
        directory.mkdir(parents=True, exist_ok=True)
        key_id, secret = load_or_create_credentials(directory)
        cfg = cls(state_dir=directory, access_key_id=key_id, access_key_secret=secret)
        for name, value in overrides.items():
            if value is not None:
                setattr(cfg, name, value)
        return cfg

    @property
    def content_dir(self) -> Path:
        """Where content every backend of the service must read lives: the shared directory when
        one is named, else this backend's state directory."""
        return self.shared_dir if self.shared_dir is not None else self.state_dir

    @property
    def oss_dir(self) -> Path:
        return self.content_dir / "oss"

    @property
    def logs_dir(self) -> Path:
        return self.content_dir / "logs"


def _random_token(length: int, alphabet: str) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def load_or_create_credentials(state_dir: Path) -> tuple[str, str]:
    """Return the backend's access key pair, generating and saving one on first use."""
    path = state_dir / CREDENTIALS_FILE
    try:
        data = json.loads(path.read_text())
        return str(data["accessKeyId"]), str(data["accessKeySecret"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    key_id = "LTAI" + _random_token(20, string.ascii_letters + string.digits)
    secret = _random_token(30, string.ascii_letters + string.digits)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"accessKeyId": key_id, "accessKeySecret": secret}, fh)
    try:
        os.link(tmp, path)  # first writer wins when two processes race
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    data = json.loads(path.read_text())
    return str(data["accessKeyId"]), str(data["accessKeySecret"])
