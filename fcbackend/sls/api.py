"""The SLS HTTP API as ``aliyun-log-python-sdk`` calls it, as one ASGI application.

Every request: the project from the first label of ``Host`` (:mod:`fcbackend.sls.hosts`), the
body read whole (bounded), the signature checked (:mod:`fcbackend.sls.signature`), the action
authorized through :class:`~fcbackend.access.Authorizer` (``log:<Action>`` on
``acs:log:<region>:<account>:project/<p>[/logstore/<l>]``), then one operation of
:class:`~fcbackend.sls.service.SlsService`. Answers are JSON with an ``x-log-requestid`` header;
errors ``{"errorCode", "errorMessage"}`` with a 4xx status (the SDK retries 5xx answers ten times).

Routes (project-level unless marked):

===========================================  ==============================================
``GET /`` (no project in Host)               ListProject
``POST|GET|PUT|DELETE /``                    Create/Get/Update/DeleteProject
``GET|POST /logstores``                      ListLogstores, CreateLogstore
``GET|PUT|DELETE /logstores/<ls>``           Get/Update/DeleteLogstore; ``GET ?type=log`` is the
                                             older GetLogs form
``GET /logstores/<ls>/shards``               ListShards
``POST /logstores/<ls>/shards/lb|route``     PutLogs (protobuf, lz4/deflate)
``POST /logstores/<ls>/logs``                GetLogs (the SDK's current form, JSON body)
``POST|GET|PUT|DELETE /logstores/<ls>/index``  Create/Get/Update/DeleteIndex
``/machinegroups[/<name>]``, ``/configs[/<name>]``  machine groups and Logtail configs, stored
                                             as records (nothing collects logs from machines)
``PUT /machinegroups/<g>/configs/<c>``       ApplyConfigToMachineGroup (recorded)
===========================================  ==============================================

Any other path answers ``404 NotEmulated`` naming the operation.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from fcbackend.access import AccessDenied, Authorizer, Caller
from fcbackend.sls.errors import SlsError, parameter_invalid, post_body_invalid
from fcbackend.sls.hosts import SlsHost, sls_host
from fcbackend.sls.service import (
    LOGTAIL_CONFIG,
    MACHINE_GROUP,
    LogPage,
    LogQuery,
    SlsService,
)
from fcbackend.sls.signature import SlsAuthenticator
from fcbackend.sls.wire import MAX_RAW_BODY, decode_log_group, decompress

MAX_JSON_BODY = 1024 * 1024
_log = logging.getLogger("fcbackend.sls")


@dataclass
class SlsRequest:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    host: SlsHost
    request_id: str
    caller: Caller | None = None

    @property
    def project(self) -> str:
        if self.host.project is None:
            raise parameter_invalid("this operation needs a project: send Host: <project>.<endpoint>")
        return self.host.project

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise post_body_invalid("The request body is not valid JSON object.") from None
        if not isinstance(data, dict):
            raise post_body_invalid("The request body is not valid JSON object.")
        return data

    def int_param(self, name: str, default: int) -> int:
        value = self.params.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise parameter_invalid(f"{name} must be an integer, got {value!r}") from None


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] | None = None

    @classmethod
    def json(cls, data: Any, headers: dict[str, str] | None = None) -> Answer:
        return cls(200, json.dumps(data).encode(), {"content-type": "application/json", **(headers or {})})


Handler = Callable[[SlsRequest], Answer]


def _request_id() -> str:
    return secrets.token_hex(12).upper()


def _flag(value: Any) -> bool:
    return str(value).lower() == "true" if not isinstance(value, bool) else value


class SlsApi:
    """The ASGI application of the SLS twin (see the module docstring)."""

    def __init__(self, service: SlsService, authenticator: SlsAuthenticator, authorizer: Authorizer):
        self.service = service
        self.authenticator = authenticator
        self.authorizer = authorizer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = _request_id()
        try:
            answer = await self._answer(scope, receive, request_id)
        except SlsError as err:
            answer = Answer(
                err.status,
                json.dumps({"errorCode": err.code, "errorMessage": err.message}).encode(),
                {"content-type": "application/json"},
            )
        except Exception as exc:  # a bug: a 4xx, so that the SDK does not retry it ten times
            _log.exception("SLS request %s %s failed", scope.get("method"), scope.get("path"))
            answer = Answer(
                400,
                json.dumps({"errorCode": "InternalError", "errorMessage": f"internal error: {exc}"}).encode(),
                {"content-type": "application/json"},
            )
        headers = [
            (b"x-log-requestid", request_id.encode()),
            (b"content-length", str(len(answer.body)).encode()),
        ]
        headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (answer.headers or {}).items()]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})

    async def _answer(self, scope: Scope, receive: Receive, request_id: str) -> Answer:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = sls_host(headers.get("host", ""))
        if host is None:
            raise SlsError(400, "InvalidHost", f"Host header {headers.get('host', '')} is invalid.")
        method: str = scope["method"]
        path: str = scope["path"]
        limit = MAX_RAW_BODY + 1024 if "/shards/" in path else MAX_JSON_BODY
        body = await _read_body(receive, limit)
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        request = SlsRequest(method, path, params, headers, body, host, request_id)
        action, resource, handler = self._route(request)
        request.caller = self.authenticator.caller(method, path, params, headers, body)
        try:
            self.authorizer.authorize(request.caller, action, resource)
        except AccessDenied as exc:
            raise SlsError(
                401,
                "Unauthorized",
                f"denied by sts or ram, action: {action}, resource: {resource} ({exc.reason})",
            ) from None
        return handler(request)

    # -- routing -------------------------------------------------------------------------------

    def _route(self, r: SlsRequest) -> tuple[str, str, Handler]:
        """(RAM action, RAM resource, handler) of a request; raises 404 NotEmulated."""
        s = self.service
        parts = [p for p in r.path.split("/") if p]
        m = r.method
        if r.host.project is None:
            if not parts and m == "GET":
                return "log:ListProject", s.arn("*"), self._list_projects
            raise self._not_emulated(r)
        p = r.host.project
        if not parts:
            table: dict[str, tuple[str, Handler]] = {
                "POST": ("log:CreateProject", self._create_project),
                "GET": ("log:GetProject", lambda q: Answer.json(s.get_project(q.project))),
                "PUT": ("log:UpdateProject", self._update_project),
                "DELETE": ("log:DeleteProject", self._delete_project),
            }
            if m in table:
                return table[m][0], s.arn(p), table[m][1]
        elif parts[0] == "logstores":
            return self._route_logstores(r, p, parts[1:])
        elif parts[0] in ("machinegroups", "configs"):
            return self._route_records(r, p, parts)
        raise self._not_emulated(r)

    def _route_logstores(self, r: SlsRequest, p: str, rest: list[str]) -> tuple[str, str, Handler]:
        s, m = self.service, r.method
        if not rest:
            if m == "GET":
                return "log:ListLogStores", s.arn(p, "logstore", "*"), self._list_logstores
            if m == "POST":
                return "log:CreateLogStore", s.arn(p, "logstore", "*"), self._create_logstore
            raise self._not_emulated(r)
        ls = rest[0]
        arn = s.arn(p, "logstore", ls)
        tail = rest[1:]
        if not tail:
            if m == "GET" and r.params.get("type") == "log":
                return "log:GetLogStoreLogs", arn, lambda q: self._get_logs_v1(q, ls)
            if m == "GET" and "type" in r.params:
                raise SlsError(
                    404, "NotEmulated", f"not emulated locally: sls GetLogstore type={r.params['type']}"
                )
            table: dict[str, tuple[str, Handler]] = {
                "GET": ("log:GetLogStore", lambda q: Answer.json(s.get_logstore(p, ls))),
                "PUT": ("log:UpdateLogStore", lambda q: Answer.json(s.update_logstore(p, ls, q.json()))),
                "DELETE": ("log:DeleteLogStore", lambda q: _done(s.delete_logstore, p, ls)),
            }
            if m in table:
                return table[m][0], arn, table[m][1]
        elif tail == ["shards"] and m == "GET":
            return "log:ListShards", arn, lambda q: self._list_shards(p, ls)
        elif tail[0] == "shards" and len(tail) == 2 and tail[1] in ("lb", "route") and m == "POST":
            return "log:PostLogStoreLogs", arn, lambda q: self._put_logs(q, ls)
        elif tail == ["logs"] and m == "POST":
            return "log:GetLogStoreLogs", arn, lambda q: self._get_logs_v2(q, ls)
        elif tail == ["index"]:
            table = {
                "POST": ("log:CreateIndex", lambda q: _done(s.create_index, p, ls, q.json())),
                "PUT": ("log:UpdateIndex", lambda q: _done(s.update_index, p, ls, q.json())),
                "GET": ("log:GetIndex", lambda q: Answer.json(s.get_index(p, ls))),
                "DELETE": ("log:DeleteIndex", lambda q: _done(s.delete_index, p, ls)),
            }
            if m in table:
                return table[m][0], arn, table[m][1]
        raise self._not_emulated(r)

    def _route_records(self, r: SlsRequest, p: str, parts: list[str]) -> tuple[str, str, Handler]:
        s, m = self.service, r.method
        kind = MACHINE_GROUP if parts[0] == "machinegroups" else LOGTAIL_CONFIG
        noun = "MachineGroup" if kind == MACHINE_GROUP else "Config"
        name_field = "groupName" if kind == MACHINE_GROUP else "configName"
        arn_kind = "machinegroup" if kind == MACHINE_GROUP else "logtailconfig"
        if len(parts) == 1:
            if m == "POST":
                return (
                    f"log:Create{noun}",
                    s.arn(p, arn_kind, "*"),
                    lambda q: _done(s.create_record, kind, p, name_field, q.json()),
                )
            if m == "GET":
                return (
                    f"log:List{noun}",
                    s.arn(p, arn_kind, "*"),
                    lambda q: self._list_records(q, kind, name_field),
                )
        elif len(parts) == 2:
            name = parts[1]
            arn = s.arn(p, arn_kind, name)
            table: dict[str, tuple[str, Handler]] = {
                "GET": (f"log:Get{noun}", lambda q: Answer.json(_public(s.get_record(kind, p, name)))),
                "PUT": (f"log:Update{noun}", lambda q: _done(s.update_record, kind, p, name, q.json())),
                "DELETE": (f"log:Delete{noun}", lambda q: _done(s.delete_record, kind, p, name)),
            }
            if m in table:
                return table[m][0], arn, table[m][1]
        elif len(parts) == 3 and kind == LOGTAIL_CONFIG and parts[2] == "machinegroups" and m == "GET":
            return (
                "log:GetAppliedMachineGroups",
                s.arn(p, arn_kind, parts[1]),
                lambda q: self._applied(p, parts[1]),
            )
        elif len(parts) == 4 and kind == MACHINE_GROUP and parts[2] == "configs" and m in ("PUT", "DELETE"):
            group, config = parts[1], parts[3]
            action = "log:ApplyConfigToGroup" if m == "PUT" else "log:RemoveConfigFromGroup"
            return (
                action,
                s.arn(p, "machinegroup", group),
                lambda q: self._apply(p, group, config, m == "PUT"),
            )
        raise self._not_emulated(r)

    def _not_emulated(self, r: SlsRequest) -> SlsError:
        return SlsError(404, "NotEmulated", f"not emulated locally: sls {r.method} {r.path}")

    # -- handlers ------------------------------------------------------------------------------

    def _list_projects(self, r: SlsRequest) -> Answer:
        data = self.service.list_projects(
            r.params.get("projectName", ""), r.int_param("offset", 0), r.int_param("size", 100)
        )
        return Answer.json(data)

    def _create_project(self, r: SlsRequest) -> Answer:
        self.service.create_project(r.project, r.json())
        return Answer()

    def _update_project(self, r: SlsRequest) -> Answer:
        self.service.update_project(r.project, r.json())
        return Answer()

    def _delete_project(self, r: SlsRequest) -> Answer:
        self.service.delete_project(r.project)
        return Answer()

    def _list_logstores(self, r: SlsRequest) -> Answer:
        data = self.service.list_logstores(
            r.project, r.params.get("logstoreName", ""), r.int_param("offset", 0), r.int_param("size", 500)
        )
        return Answer.json(data)

    def _create_logstore(self, r: SlsRequest) -> Answer:
        self.service.create_logstore(r.project, r.json())
        return Answer()

    def _list_shards(self, project: str, logstore: str) -> Answer:
        doc = self.service.get_logstore(project, logstore)
        count = int(doc["shardCount"])
        step = (1 << 128) // count
        shards = [
            {
                "shardID": i,
                "status": "readwrite",
                "inclusiveBeginKey": f"{i * step:032x}",
                "exclusiveEndKey": f"{(i + 1) * step if i + 1 < count else (1 << 128) - 1:032x}",
                "createTime": doc["createTime"],
            }
            for i in range(count)
        ]
        return Answer.json(shards)

    def _put_logs(self, r: SlsRequest, logstore: str) -> Answer:
        content_type = r.headers.get("content-type", "")
        if content_type.split(";")[0].strip() != "application/x-protobuf":
            raise SlsError(415, "InvalidContentType", f"Content-Type {content_type} is unsupported.")
        raw = decompress(r.body, r.headers.get("x-log-compresstype", ""), r.headers.get("x-log-bodyrawsize"))
        self.service.put_logs(r.project, logstore, decode_log_group(raw))
        return Answer()

    def _get_logs_v2(self, r: SlsRequest, logstore: str) -> Answer:
        body = r.json()
        page = self.service.get_logs(r.project, logstore, _log_query(body))
        meta = {
            "progress": "Complete",
            "count": len(page.logs),
            "processedRows": page.processed_rows,
            "elapsedMillisecond": page.elapsed_ms,
            "hasSQL": False,
            "whereQuery": str(body.get("query") or ""),
            "aggQuery": "",
            "cpuSec": 0,
            "cpuCores": 0,
            "keys": sorted({k for log in page.logs for k in log}),
            "isAccurate": True,
            "mode": 0,
        }
        data = json.dumps({"meta": meta, "data": page.logs}).encode()
        headers = {"content-type": "application/json", "x-log-progress": "Complete"}
        if "lz4" in r.headers.get("accept-encoding", "").lower() and data:
            import lz4.block

            headers.update({"x-log-compresstype": "lz4", "x-log-bodyrawsize": str(len(data))})
            data = lz4.block.compress(data, store_size=False)
        return Answer(200, data, headers)

    def _get_logs_v1(self, r: SlsRequest, logstore: str) -> Answer:
        page: LogPage = self.service.get_logs(r.project, logstore, _log_query(r.params))
        return Answer.json(
            page.logs,
            {
                "x-log-progress": "Complete",
                "x-log-count": str(len(page.logs)),
                "x-log-processed-rows": str(page.processed_rows),
                "x-log-elapsed-millisecond": str(page.elapsed_ms),
                "x-log-has-sql": "False",
            },
        )

    def _list_records(self, r: SlsRequest, kind: str, name_field: str) -> Answer:
        names = [str(d.get(name_field)) for d in self.service.list_records(kind, r.project)]
        offset, size = r.int_param("offset", 0), r.int_param("size", 500)
        page = names[offset : offset + size]
        key = "machinegroups" if kind == MACHINE_GROUP else "configs"
        return Answer.json({"count": len(page), "total": len(names), key: page})

    def _applied(self, project: str, config: str) -> Answer:
        doc = self.service.get_record(LOGTAIL_CONFIG, project, config)
        groups = list(doc.get("_appliedMachineGroups") or [])
        return Answer.json({"count": len(groups), "machinegroups": groups})

    def _apply(self, project: str, group: str, config: str, apply: bool) -> Answer:
        self.service.get_record(MACHINE_GROUP, project, group)
        doc = self.service.get_record(LOGTAIL_CONFIG, project, config)
        groups = [g for g in doc.get("_appliedMachineGroups") or [] if g != group]
        if apply:
            groups.append(group)
        self.service.store.put_record(
            LOGTAIL_CONFIG, project, config, {**doc, "_appliedMachineGroups": groups}
        )
        return Answer()


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def _done(operation: Callable[..., object], *args: Any) -> Answer:
    """Run an operation whose success is an empty 200 answer."""
    operation(*args)
    return Answer()


def _log_query(values: dict[str, Any]) -> LogQuery:
    """GetLogs parameters, from the JSON body (current form) or the query string (older form)."""

    def number(name: str, default: int | None = None) -> int:
        value = values.get(name, default)
        if value is None:
            raise parameter_invalid(f"{name} is required")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise parameter_invalid(f"{name} must be an integer, got {value!r}") from None

    topic = values.get("topic")
    return LogQuery(
        start=number("from"),
        end=number("to"),
        query=str(values.get("query") or ""),
        topic=str(topic) if topic not in (None, "") else None,
        line=number("line", 100),
        offset=number("offset", 0),
        reverse=_flag(values.get("reverse", False)),
    )


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise SlsError(400, "RequestTimeout", "the client went away before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise SlsError(413, "PostBodyTooLarge", f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


AsgiHandler = Callable[[Scope, Receive, Send], Awaitable[None]]
