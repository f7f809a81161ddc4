"""File systems: a row in ``nas.db`` (what was asked for, when) and a directory.

Why both: the directory is the data plane (functions write there); the row keeps a file system's
properties for ``describe`` and tells a file system from a directory some unknown server address
created (:func:`fcbackend.nas.paths.mount_source`).
"""

from __future__ import annotations

import json
import secrets
import shutil
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from fcbackend.nas.paths import file_system_dir, nas_root

_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_systems (
    id TEXT PRIMARY KEY, properties TEXT NOT NULL, created REAL NOT NULL);
"""


class NasError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class NasService:
    def __init__(self, state_dir: Path):
        self.state_dir = Path(state_dir)
        nas_root(self.state_dir).mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            str(self.state_dir / "nas.db"), check_same_thread=False, isolation_level=None
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def create(self, properties: dict[str, Any]) -> dict[str, Any]:
        kind = str(properties.get("FileSystemType") or "standard")
        prefix = "" if kind == "standard" else f"{kind}-"
        with self._lock:
            while True:
                file_system_id = prefix + secrets.token_hex(5)
                directory = file_system_dir(self.state_dir, file_system_id)
                if not directory.exists():
                    break
            directory.mkdir(parents=True)
            directory.chmod(0o777)  # shared storage: whichever user a function runs as may write
            self._conn.execute(
                "INSERT INTO file_systems VALUES (?, ?, ?)",
                (file_system_id, json.dumps(properties), time.time()),
            )
        return self.describe(file_system_id)

    def describe(self, file_system_id: str) -> dict[str, Any]:
        with self._lock:
            row = self._conn.execute(
                "SELECT properties, created FROM file_systems WHERE id = ?", (file_system_id,)
            ).fetchone()
        if row is None:
            raise NasError(404, "InvalidFileSystem.NotFound", f"no NAS file system {file_system_id}")
        return {
            "FileSystemId": file_system_id,
            "Properties": json.loads(row[0]),
            "CreateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row[1])),
            "Directory": str(file_system_dir(self.state_dir, file_system_id)),
        }

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            ids = [r[0] for r in self._conn.execute("SELECT id FROM file_systems ORDER BY created")]
        return [self.describe(i) for i in ids]

    def delete(self, file_system_id: str) -> None:
        """Forget the file system and remove its directory with everything in it."""
        self.describe(file_system_id)
        directory = file_system_dir(self.state_dir, file_system_id)
        with self._lock:
            self._conn.execute("DELETE FROM file_systems WHERE id = ?", (file_system_id,))
        shutil.rmtree(directory, ignore_errors=True)
