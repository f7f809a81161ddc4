"""The SLS twin's operations, over an :class:`~fcbackend.sls.store.SlsStore`.

Why apart from the HTTP layer: the API (:mod:`fcbackend.sls.api`), FC's log shipping
(:mod:`fcbackend.sls.fc_logs`) and the FC API's ``logConfig`` check all use these, and none of
them needs to know about requests. Documents are the shapes the API returns (what
``aliyun-log-python-sdk``'s response classes read); names are checked as SLS checks them
(https://www.alibabacloud.com/help/en/sls/user-guide/manage-a-project and
https://www.alibabacloud.com/help/en/sls/user-guide/manage-a-logstore): a project 3-63 lower-case
letters, digits and hyphens, a logstore or other object 3-63 lower-case letters, digits, hyphens
and underscores, both starting and ending with a letter or digit.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fcbackend.sls.errors import (
    SlsError,
    index_not_exist,
    logstore_not_exist,
    parameter_invalid,
    project_not_exist,
)
from fcbackend.sls.query import compile_query
from fcbackend.sls.store import LogEntry, SlsStore

_PROJECT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]")
_OBJECT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9_-]{1,61})[a-z0-9]")
# Machine groups and Logtail configs: SLS allows upper case and up to 128 characters there.
_RECORD_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{1,126})[A-Za-z0-9]")
MAX_LINES = 100
MACHINE_GROUP, LOGTAIL_CONFIG = "machinegroup", "config"


def check_project_name(name: Any) -> str:
    if not isinstance(name, str) or _PROJECT_NAME.fullmatch(name) is None:
        raise parameter_invalid(
            f"project name {name!r} is invalid: 3-63 lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )
    return name


def check_object_name(what: str, name: Any) -> str:
    if not isinstance(name, str) or _OBJECT_NAME.fullmatch(name) is None:
        raise parameter_invalid(
            f"{what} name {name!r} is invalid: 3-63 lower-case letters, digits, hyphens and underscores, "
            "starting and ending with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class LogQuery:
    """One GetLogs request: ``start <= __time__ < end``, newest first when ``reverse``."""

    start: int
    end: int
    query: str = ""
    topic: str | None = None
    line: int = MAX_LINES
    offset: int = 0
    reverse: bool = False


@dataclass(frozen=True)
class LogPage:
    logs: list[dict[str, str]]
    processed_rows: int
    elapsed_ms: int


def log_document(entry: LogEntry) -> dict[str, str]:
    """A log as GetLogs returns it: the fields plus ``__time__``, ``__source__``, ``__topic__``
    and ``__tag__:<name>`` for each tag (a repeated key keeps its last value)."""
    doc: dict[str, str] = {
        "__time__": str(entry.time),
        "__source__": entry.source,
        "__topic__": entry.topic,
    }
    if entry.time_ns:
        doc["__time_ns_part__"] = str(entry.time_ns)
    for key, value in entry.tags:
        doc[f"__tag__:{key}"] = value
    for key, value in entry.fields:
        doc[key] = value
    return doc


class SlsService:
    def __init__(
        self, store: SlsStore, *, region: str, account_id: str, now: Callable[[], float] = time.time
    ):
        self.store = store
        self.region = region
        self.account_id = account_id
        self.now = now
        # Called before logs are read, so a reader sees what writers buffered (FC's log shipping).
        self.read_barriers: list[Callable[[], None]] = []

    def arn(self, project: str = "*", kind: str = "", name: str = "") -> str:
        """The RAM resource of an SLS object (``acs:log:<region>:<account>:project/<p>[/<kind>/<n>]``)."""
        base = f"acs:log:{self.region}:{self.account_id}:project/{project}"
        return f"{base}/{kind}/{name}" if kind else base

    def _stamp(self) -> int:
        return int(self.now())

    # -- projects ------------------------------------------------------------------------------

    def create_project(self, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        check_project_name(name)
        given = body.get("projectName")
        if given is not None and given != name:
            raise parameter_invalid(
                f"projectName {given!r} in the body differs from the project {name!r} in Host"
            )
        description = body.get("description", "")
        if not isinstance(description, str) or len(description) > 64:
            raise parameter_invalid("description must be a string of at most 64 characters")
        now = str(self._stamp())
        doc = {
            "projectName": name,
            "description": description,
            "region": self.region,
            "owner": self.account_id,
            "status": "Normal",
            "createTime": now,
            "lastModifyTime": now,
            "resourceGroupId": str(body.get("resourceGroupId") or ""),
            "dataRedundancyType": str(body.get("dataRedundancyType") or "LRS"),
        }
        if not self.store.insert_project(name, doc):
            raise SlsError(400, "ProjectAlreadyExist", f"Project {name} already exist")
        return doc

    def get_project(self, name: str) -> dict[str, Any]:
        doc = self.store.get_project(name)
        if doc is None:
            raise project_not_exist(name)
        return doc

    def update_project(self, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        doc = self.get_project(name)
        description = body.get("description", doc["description"])
        if not isinstance(description, str) or len(description) > 64:
            raise parameter_invalid("description must be a string of at most 64 characters")
        doc.update(description=description, lastModifyTime=str(self._stamp()))
        self.store.put_project(name, doc)
        return doc

    def delete_project(self, name: str) -> None:
        if not self.store.delete_project(name):
            raise project_not_exist(name)

    def list_projects(self, name_filter: str = "", offset: int = 0, size: int = 100) -> dict[str, Any]:
        projects = [p for p in self.store.list_projects() if name_filter in p["projectName"]]
        page = projects[offset : offset + size]
        return {"count": len(page), "total": len(projects), "projects": page}

    # -- logstores -----------------------------------------------------------------------------

    def create_logstore(self, project: str, body: Mapping[str, Any]) -> dict[str, Any]:
        self.get_project(project)
        name = check_object_name("logstore", body.get("logstoreName"))
        ttl = _int(body, "ttl", 30, 1, 3650)
        shards = _int(body, "shardCount", 2, 1, 256)
        now = self._stamp()
        doc: dict[str, Any] = {
            "logstoreName": name,
            "ttl": ttl,
            "shardCount": shards,
            "enable_tracking": bool(body.get("enable_tracking", False)),
            "autoSplit": bool(body.get("autoSplit", True)),
            "maxSplitShard": _int(body, "maxSplitShard", 64, 1, 256),
            "appendMeta": bool(body.get("appendMeta", False)),
            "telemetryType": str(body.get("telemetryType") or ""),
            "mode": str(body.get("mode") or "standard"),
            "enableModify": bool(body.get("enableModify", False)),
            "createTime": now,
            "lastModifyTime": now,
        }
        for optional in ("hot_ttl", "encrypt_conf", "infrequentAccessTTL"):
            if optional in body:
                doc[optional] = body[optional]
        if not self.store.insert_logstore(project, name, doc):
            raise SlsError(400, "LogStoreAlreadyExist", f"logstore {name} already exists")
        return doc

    def get_logstore(self, project: str, name: str) -> dict[str, Any]:
        doc = self.store.get_logstore(project, name)
        if doc is None:
            self.get_project(project)
            raise logstore_not_exist(project, name)
        return doc

    def update_logstore(self, project: str, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        doc = self.get_logstore(project, name)
        for key, default, low, high in (
            ("ttl", doc["ttl"], 1, 3650),
            ("maxSplitShard", doc["maxSplitShard"], 1, 256),
        ):
            doc[key] = _int(body, key, default, low, high)
        for flag in ("enable_tracking", "autoSplit", "appendMeta", "enableModify"):
            if flag in body:
                doc[flag] = bool(body[flag])
        for optional in ("hot_ttl", "encrypt_conf", "infrequentAccessTTL", "telemetryType", "mode"):
            if optional in body:
                doc[optional] = body[optional]
        doc["lastModifyTime"] = self._stamp()
        self.store.put_logstore(project, name, doc)
        return doc

    def delete_logstore(self, project: str, name: str) -> None:
        if not self.store.delete_logstore(project, name):
            self.get_project(project)
            raise logstore_not_exist(project, name)

    def list_logstores(
        self, project: str, name_filter: str = "", offset: int = 0, size: int = 500
    ) -> dict[str, Any]:
        self.get_project(project)
        names = [
            d["logstoreName"] for d in self.store.list_logstores(project) if name_filter in d["logstoreName"]
        ]
        page = names[offset : offset + size]
        return {"count": len(page), "total": len(names), "logstores": page}

    def logstore_exists(self, project: str, name: str) -> bool:
        return self.store.get_logstore(project, name) is not None

    # -- indexes -------------------------------------------------------------------------------

    def create_index(self, project: str, logstore: str, body: Mapping[str, Any]) -> None:
        self.get_logstore(project, logstore)
        if self.store.get_index(project, logstore) is not None:
            raise SlsError(400, "IndexAlreadyExist", f"log store index of {logstore} is already created")
        self.store.put_index(project, logstore, _index_document(body, self._stamp()))

    def update_index(self, project: str, logstore: str, body: Mapping[str, Any]) -> None:
        self.get_index(project, logstore)
        self.store.put_index(project, logstore, _index_document(body, self._stamp()))

    def get_index(self, project: str, logstore: str) -> dict[str, Any]:
        self.get_logstore(project, logstore)
        doc = self.store.get_index(project, logstore)
        if doc is None:
            raise index_not_exist(logstore)
        return doc

    def delete_index(self, project: str, logstore: str) -> None:
        self.get_logstore(project, logstore)
        if not self.store.delete_index(project, logstore):
            raise index_not_exist(logstore)

    # -- logs ----------------------------------------------------------------------------------

    def put_logs(self, project: str, logstore: str, entries: Sequence[LogEntry]) -> None:
        self.get_logstore(project, logstore)
        if entries:
            self.store.append_logs(project, logstore, entries)

    def get_logs(self, project: str, logstore: str, request: LogQuery) -> LogPage:
        """One page of matching logs; the whole time range is searched (``processed_rows``)."""
        started = time.monotonic()
        for barrier in self.read_barriers:
            barrier()
        self.get_logstore(project, logstore)
        if self.store.get_index(project, logstore) is None:
            raise SlsError(400, "IndexConfigNotExist", f"logstore {logstore} without index config")
        if request.start > request.end:
            raise parameter_invalid(f"from ({request.start}) is after to ({request.end})")
        if not 0 <= request.line <= MAX_LINES:
            raise parameter_invalid(f"line must be between 0 and {MAX_LINES}")
        if request.offset < 0:
            raise parameter_invalid("offset must not be negative")
        matches = compile_query(request.query)
        found: list[dict[str, str]] = []
        skipped = scanned = 0
        for stored in self.store.scan_logs(
            project, logstore, request.start, request.end, topic=request.topic, newest_first=request.reverse
        ):
            scanned += 1
            if len(found) >= request.line or not matches(stored.entry, stored.text):
                continue
            if skipped < request.offset:
                skipped += 1
                continue
            found.append(log_document(stored.entry))
        return LogPage(found, scanned, int((time.monotonic() - started) * 1000))

    # -- records: machine groups and logtail configs (stored, not acted upon) -----------------

    def create_record(
        self, kind: str, project: str, name_field: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        self.get_project(project)
        name = body.get(name_field)
        if not isinstance(name, str) or _RECORD_NAME.fullmatch(name) is None:
            raise parameter_invalid(
                f"{name_field} {name!r} is invalid: 3-128 letters, digits, '.', '_' and '-', "
                "starting and ending with a letter or digit"
            )
        now = self._stamp()
        doc = {**body, "createTime": now, "lastModifyTime": now}
        if not self.store.insert_record(kind, project, name, doc):
            code = "MachineGroupAlreadyExist" if kind == MACHINE_GROUP else "ConfigAlreadyExist"
            raise SlsError(400, code, f"{kind} {name} already exists")
        return doc

    def get_record(self, kind: str, project: str, name: str) -> dict[str, Any]:
        self.get_project(project)
        doc = self.store.get_record(kind, project, name)
        if doc is None:
            code = "MachineGroupNotExist" if kind == MACHINE_GROUP else "ConfigNotExist"
            raise SlsError(404, code, f"{kind} {name} does not exist")
        return doc

    def update_record(self, kind: str, project: str, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        doc = self.get_record(kind, project, name)
        doc = {**body, "createTime": doc.get("createTime"), "lastModifyTime": self._stamp()}
        self.store.put_record(kind, project, name, doc)
        return doc

    def delete_record(self, kind: str, project: str, name: str) -> None:
        self.get_record(kind, project, name)
        self.store.delete_record(kind, project, name)

    def list_records(self, kind: str, project: str) -> list[dict[str, Any]]:
        self.get_project(project)
        return self.store.list_records(kind, project)


def _int(body: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise parameter_invalid(f"{key} must be an integer from {low} to {high}, got {value!r}")
    return value


def _index_document(body: Mapping[str, Any], now: int) -> dict[str, Any]:
    """An index as given, checked where a mistake would be silent: ``line`` and ``keys`` must be
    objects, each key's ``type`` one SLS knows."""
    line = body.get("line")
    keys = body.get("keys")
    if line is None and not keys:
        raise parameter_invalid("an index needs a full-text index ('line') or field indexes ('keys')")
    if line is not None and not isinstance(line, dict):
        raise parameter_invalid("'line' must be an object")
    if keys is not None:
        if not isinstance(keys, dict):
            raise parameter_invalid("'keys' must be an object of field name to index settings")
        for name, setting in keys.items():
            kind = setting.get("type", "text") if isinstance(setting, dict) else None
            if kind not in ("text", "long", "double", "json"):
                raise parameter_invalid(f"keys.{name}.type must be one of text, long, double, json")
    doc = dict(body)
    doc.setdefault("ttl", 30)
    doc["lastModifyTime"] = now
    return doc
