"""File systems: a record in the NAS store (what was asked for, when) and a directory.

Why both: the directory is the data plane (functions write there); the record keeps a file system's
properties for ``describe`` and tells a file system from a directory some unknown server address
created (:func:`fcbackend.nas.paths.mount_source`).
"""

from __future__ import annotations

import json
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from fcbackend.nas.paths import file_system_dir, nas_root
from fcbackend.nas.store import FileSystemRecord, NasStore


class NasError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class NasService:
    def __init__(self, state_dir: Path, store: NasStore):
        self.state_dir = Path(state_dir)
        self.store = store
        nas_root(self.state_dir).mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # picking a new file system's id and making its directory

    def close(self) -> None:
        self.store.close()

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
            self.store.add(FileSystemRecord(file_system_id, json.dumps(properties), time.time()))
        return self.describe(file_system_id)

    def describe(self, file_system_id: str) -> dict[str, Any]:
        record = self.store.get(file_system_id)
        if record is None:
            raise NasError(404, "InvalidFileSystem.NotFound", f"no NAS file system {file_system_id}")
        return {
            "FileSystemId": file_system_id,
            "Properties": json.loads(record.properties),
            "CreateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "Directory": str(file_system_dir(self.state_dir, file_system_id)),
        }

    def list(self) -> list[dict[str, Any]]:
        return [self.describe(i) for i in self.store.ids()]

    def delete(self, file_system_id: str) -> None:
        """Forget the file system and remove its directory with everything in it."""
        self.describe(file_system_id)
        directory = file_system_dir(self.state_dir, file_system_id)
        self.store.delete(file_system_id)
        shutil.rmtree(directory, ignore_errors=True)
