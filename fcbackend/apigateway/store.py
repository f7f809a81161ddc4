"""What API Gateway routes exist: groups, APIs with a function backend, deployments to stages.

Its own SQLite file (``apigateway.db``) behind a small Protocol, so it can move to a shared
database without the routes changing.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

_SCHEMA = """
CREATE TABLE IF NOT EXISTS groups (group_id TEXT PRIMARY KEY, name TEXT NOT NULL, sub_domain TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS apis (
    api_id TEXT PRIMARY KEY, group_id TEXT NOT NULL, name TEXT NOT NULL, method TEXT NOT NULL,
    path TEXT NOT NULL, service TEXT NOT NULL, function TEXT NOT NULL, qualifier TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deployments (
    group_id TEXT NOT NULL, stage TEXT NOT NULL, api_id TEXT NOT NULL, PRIMARY KEY (group_id, stage, api_id));
"""


@dataclass(frozen=True)
class Group:
    group_id: str
    name: str
    sub_domain: str


@dataclass(frozen=True)
class Api:
    api_id: str
    group_id: str
    name: str
    method: str  # GET, POST, ... or ANY
    path: str  # /users/[id]
    service: str
    function: str
    qualifier: str


class ApiGatewayStore(Protocol):
    def put_group(self, group: Group) -> None: ...
    def delete_group(self, group_id: str) -> None: ...
    def group_by_domain(self, host: str) -> Group | None: ...
    def put_api(self, api: Api) -> None: ...
    def delete_api(self, api_id: str) -> None: ...
    def deploy(self, group_id: str, stage: str, api_id: str) -> None: ...
    def undeploy(self, group_id: str, stage: str, api_id: str) -> None: ...
    def deployed_apis(self, group_id: str, stage: str) -> list[Api]: ...


class SqliteApiGatewayStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def put_group(self, group: Group) -> None:
        self._run(
            "INSERT OR REPLACE INTO groups VALUES (?, ?, ?)", (group.group_id, group.name, group.sub_domain)
        )

    def delete_group(self, group_id: str) -> None:
        self._run("DELETE FROM groups WHERE group_id = ?", (group_id,))

    def group_by_domain(self, host: str) -> Group | None:
        rows = self._run(
            "SELECT group_id, name, sub_domain FROM groups WHERE sub_domain = ? OR group_id = ?", (host, host)
        )
        return Group(*rows[0]) if rows else None

    def put_api(self, api: Api) -> None:
        self._run(
            "INSERT OR REPLACE INTO apis VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                api.api_id,
                api.group_id,
                api.name,
                api.method,
                api.path,
                api.service,
                api.function,
                api.qualifier,
            ),
        )

    def delete_api(self, api_id: str) -> None:
        self._run("DELETE FROM apis WHERE api_id = ?", (api_id,))

    def deploy(self, group_id: str, stage: str, api_id: str) -> None:
        self._run("INSERT OR IGNORE INTO deployments VALUES (?, ?, ?)", (group_id, stage, api_id))

    def undeploy(self, group_id: str, stage: str, api_id: str) -> None:
        self._run(
            "DELETE FROM deployments WHERE group_id = ? AND stage = ? AND api_id = ?",
            (group_id, stage, api_id),
        )

    def deployed_apis(self, group_id: str, stage: str) -> list[Api]:
        rows = self._run(
            "SELECT a.api_id, a.group_id, a.name, a.method, a.path, a.service, a.function, a.qualifier"
            " FROM apis a JOIN deployments d ON d.api_id = a.api_id"
            " WHERE d.group_id = ? AND d.stage = ?",
            (group_id, stage),
        )
        return [Api(*row) for row in rows]
