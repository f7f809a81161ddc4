"""What API Gateway routes exist: groups, APIs with a function backend, deployments to stages.

Behind a small Protocol, with an implementation on the shared database layer (``apigateway.db``
by default, opened by ``fcbackend.store_factory``), so the routes do not care where it lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlstore import Database, Migration, Schema

SCHEMA = Schema(
    "apigateway",
    (
        # IF NOT EXISTS: a database from before the migrations ledger has exactly these tables.
        Migration(
            1,
            "groups, apis, deployments",
            """
            CREATE TABLE IF NOT EXISTS groups (
                group_id TEXT PRIMARY KEY, name TEXT NOT NULL, sub_domain TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS apis (
                api_id TEXT PRIMARY KEY, group_id TEXT NOT NULL, name TEXT NOT NULL, method TEXT NOT NULL,
                path TEXT NOT NULL, service TEXT NOT NULL, function TEXT NOT NULL, qualifier TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS deployments (
                group_id TEXT NOT NULL, stage TEXT NOT NULL, api_id TEXT NOT NULL,
                PRIMARY KEY (group_id, stage, api_id));
            """,
        ),
    ),
)


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
    def close(self) -> None: ...


class SqliteApiGatewayStore:
    """:class:`ApiGatewayStore` in an SQLite database; thread-safe (the database's sessions
    serialise its users)."""

    _API_COLUMNS = ("api_id", "group_id", "name", "method", "path", "service", "function", "qualifier")

    def __init__(self, database: Database) -> None:
        self.database = database
        database.migrate(SCHEMA)
        dialect = database.dialect
        self._put_group = dialect.upsert("groups", ("group_id", "name", "sub_domain"), ("group_id",))
        self._put_api = dialect.upsert("apis", self._API_COLUMNS, ("api_id",))
        self._deploy = dialect.insert_new(
            "deployments", ("group_id", "stage", "api_id"), ("group_id", "stage", "api_id")
        )

    def close(self) -> None:
        self.database.close()

    def _read(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self.database.reading() as session:
            return [tuple(row) for row in session.execute(sql, args).fetchall()]

    def _write(self, sql: str, args: tuple[Any, ...]) -> None:
        with self.database.transaction() as session:
            session.execute(sql, args)

    def put_group(self, group: Group) -> None:
        self._write(self._put_group, (group.group_id, group.name, group.sub_domain))

    def delete_group(self, group_id: str) -> None:
        self._write("DELETE FROM groups WHERE group_id = ?", (group_id,))

    def group_by_domain(self, host: str) -> Group | None:
        rows = self._read(
            "SELECT group_id, name, sub_domain FROM groups WHERE sub_domain = ? OR group_id = ?", (host, host)
        )
        return Group(*rows[0]) if rows else None

    def put_api(self, api: Api) -> None:
        self._write(
            self._put_api,
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
        self._write("DELETE FROM apis WHERE api_id = ?", (api_id,))

    def deploy(self, group_id: str, stage: str, api_id: str) -> None:
        self._write(self._deploy, (group_id, stage, api_id))

    def undeploy(self, group_id: str, stage: str, api_id: str) -> None:
        self._write(
            "DELETE FROM deployments WHERE group_id = ? AND stage = ? AND api_id = ?",
            (group_id, stage, api_id),
        )

    def deployed_apis(self, group_id: str, stage: str) -> list[Api]:
        """In the order of their ids, so that a request two APIs match equally well always finds
        the same one."""
        rows = self._read(
            "SELECT a.api_id, a.group_id, a.name, a.method, a.path, a.service, a.function, a.qualifier"
            " FROM apis a JOIN deployments d ON d.api_id = a.api_id"
            " WHERE d.group_id = ? AND d.stage = ? ORDER BY a.api_id",
            (group_id, stage),
        )
        return [Api(*row) for row in rows]
