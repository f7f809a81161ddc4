"""``NasClient``: how the NAS providers reach the backend's NAS twin (file systems as directories,
``/2016-08-15/local/nas/file-systems``). On top of :class:`~rosengine.clients.fc.FcClient`: same
endpoint, signing and errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from rosengine.clients.fc import FcClient

_BASE = "/local/nas/file-systems"


class NasClient:
    def __init__(self, fc: FcClient):
        self.fc = fc

    def close(self) -> None:
        """Nothing of its own to release: the FC client it speaks through is closed by its owner."""

    def create_file_system(self, properties: dict[str, Any]) -> dict[str, Any]:
        """``{"FileSystemId", "Properties", "CreateTime", "Directory"}``."""
        return dict(self.fc.request("POST", _BASE, body=properties).json())

    def describe_file_system(self, file_system_id: str) -> dict[str, Any]:
        return dict(self.fc.request("GET", f"{_BASE}/{quote(file_system_id, safe='')}").json())

    def list_file_systems(self) -> list[dict[str, Any]]:
        return list(self.fc.request("GET", _BASE).json().get("FileSystems") or [])

    def delete_file_system(self, file_system_id: str) -> None:
        self.fc.request("DELETE", f"{_BASE}/{quote(file_system_id, safe='')}")
