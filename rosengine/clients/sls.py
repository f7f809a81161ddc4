"""``SlsClient``: the Simple Log Service client the ``ALIYUN::SLS::*`` providers use.

Why our own client rather than ``aliyun-log-python-sdk``: providers run in parallel threads and
want a thread-safe, pooled client (httpx) with typed errors, like
:class:`rosengine.clients.fc.FcClient`; the official SDK is what the tests drive the twin with.
Every request is signed with :mod:`backend_contract.sls_signing` (version 1), the code the twin
verifies with.

Where the service is: the local backend, found exactly as the FC client finds it
(``ROS_FC_ENDPOINT`` or the running backend's ``backend.json``). Requests go to that endpoint with
``Host: [<project>.]<region>.log.aliyuncs.com`` — the host SLS takes the project from, and by
which the backend hands the request to its SLS twin.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx

from backend_contract import sls_signing
from rosengine.clients.transport import http_transport


class SlsApiError(Exception):
    """An error answer from SLS: HTTP status, SLS's error code, message, request id."""

    def __init__(self, status: int, code: str, message: str, request_id: str = ""):
        super().__init__(f"{code}: {message}" if code else message)
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id


class SlsNotFound(SlsApiError):
    """A 404: the project, logstore, index, machine group or config does not exist."""


class SlsClient:
    """Thread-safe SLS client. Methods return the API's JSON (camelCase dicts)."""

    def __init__(
        self,
        endpoint: str,
        access_key_id: str,
        access_key_secret: str,
        security_token: str = "",
        *,
        region: str = "cn-hangzhou",
        timeout: float = 30.0,
    ):
        self.endpoint = endpoint.rstrip("/")
        if not self.endpoint.startswith(("http://", "https://")):
            self.endpoint = "http://" + self.endpoint
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.security_token = security_token
        self.region = region
        transport = http_transport(self.endpoint)
        self._http = httpx.Client(
            base_url=self.endpoint, timeout=timeout, transport=transport, trust_env=False
        )

    @classmethod
    def from_environment(cls, *, region: str | None = None) -> SlsClient:
        """A client for the backend the FC client would use (never started by a client)."""
        from backend_contract import local_environment
        from rosengine.clients.fc import FcClient

        with FcClient.from_environment() as fc:
            return cls(
                fc.endpoint,
                fc.access_key_id,
                fc.access_key_secret,
                fc.security_token,
                region=region or local_environment.region(),
            )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SlsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def log_host(self) -> str:
        return f"{self.region}.log.aliyuncs.com"

    # -- transport ---------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        project: str | None,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        data = b"" if body is None else json.dumps(body).encode()
        headers: dict[str, str] = {"host": f"{project}.{self.log_host}" if project else self.log_host}
        if body is not None:
            headers["content-type"] = "application/json"
        sls_signing.sign_v1(
            method,
            path,
            params,
            headers,
            data,
            self.access_key_id,
            self.access_key_secret,
            self.security_token,
        )
        try:
            response = self._http.request(
                method, quote(path, safe="/"), content=data or None, headers=headers, params=params
            )
        except httpx.HTTPError as exc:
            raise SlsApiError(0, "", f"the SLS endpoint at {self.endpoint} did not answer: {exc}") from exc
        if response.status_code >= 400:
            try:
                error = response.json()
            except ValueError:
                error = {}
            error_class = SlsNotFound if response.status_code == 404 else SlsApiError
            raise error_class(
                response.status_code,
                str(error.get("errorCode") or ""),
                str(error.get("errorMessage") or response.text[:500]),
                response.headers.get("x-log-requestid", ""),
            )
        if not response.content:
            return {}
        return response.json()

    # -- projects ----------------------------------------------------------------------------

    def create_project(self, name: str, description: str = "", **fields: Any) -> None:
        self._call("POST", name, "/", {"projectName": name, "description": description, **fields})

    def get_project(self, name: str) -> dict[str, Any]:
        return dict(self._call("GET", name, "/"))

    def update_project(self, name: str, description: str) -> None:
        self._call("PUT", name, "/", {"description": description})

    def delete_project(self, name: str) -> None:
        self._call("DELETE", name, "/")

    def list_projects(self) -> list[dict[str, Any]]:
        return list(self._call("GET", None, "/", params={"offset": "0", "size": "500"})["projects"])

    # -- logstores ---------------------------------------------------------------------------

    def create_logstore(self, project: str, name: str, **fields: Any) -> None:
        self._call("POST", project, "/logstores", {"logstoreName": name, **fields})

    def get_logstore(self, project: str, name: str) -> dict[str, Any]:
        return dict(self._call("GET", project, f"/logstores/{name}"))

    def update_logstore(self, project: str, name: str, **fields: Any) -> dict[str, Any]:
        return dict(self._call("PUT", project, f"/logstores/{name}", {"logstoreName": name, **fields}))

    def delete_logstore(self, project: str, name: str) -> None:
        self._call("DELETE", project, f"/logstores/{name}")

    def list_logstores(self, project: str) -> list[str]:
        return list(
            self._call("GET", project, "/logstores", params={"offset": "0", "size": "500"})["logstores"]
        )

    # -- indexes -----------------------------------------------------------------------------

    def create_index(self, project: str, logstore: str, index: dict[str, Any]) -> None:
        self._call("POST", project, f"/logstores/{logstore}/index", index)

    def update_index(self, project: str, logstore: str, index: dict[str, Any]) -> None:
        self._call("PUT", project, f"/logstores/{logstore}/index", index)

    def get_index(self, project: str, logstore: str) -> dict[str, Any]:
        return dict(self._call("GET", project, f"/logstores/{logstore}/index"))

    def delete_index(self, project: str, logstore: str) -> None:
        self._call("DELETE", project, f"/logstores/{logstore}/index")

    # -- logs --------------------------------------------------------------------------------

    def get_logs(
        self, project: str, logstore: str, start: int, end: int, query: str = "", *, line: int = 100
    ) -> list[dict[str, str]]:
        body = {"from": start, "to": end, "query": query, "line": line, "offset": 0, "reverse": False}
        return list(self._call("POST", project, f"/logstores/{logstore}/logs", body)["data"])

    # -- machine groups and Logtail configs (records) ----------------------------------------

    def create_machine_group(self, project: str, group: dict[str, Any]) -> None:
        self._call("POST", project, "/machinegroups", group)

    def get_machine_group(self, project: str, name: str) -> dict[str, Any]:
        return dict(self._call("GET", project, f"/machinegroups/{name}"))

    def update_machine_group(self, project: str, name: str, group: dict[str, Any]) -> None:
        self._call("PUT", project, f"/machinegroups/{name}", group)

    def delete_machine_group(self, project: str, name: str) -> None:
        self._call("DELETE", project, f"/machinegroups/{name}")

    def create_logtail_config(self, project: str, config: dict[str, Any]) -> None:
        self._call("POST", project, "/configs", config)

    def get_logtail_config(self, project: str, name: str) -> dict[str, Any]:
        return dict(self._call("GET", project, f"/configs/{name}"))

    def update_logtail_config(self, project: str, name: str, config: dict[str, Any]) -> None:
        self._call("PUT", project, f"/configs/{name}", config)

    def delete_logtail_config(self, project: str, name: str) -> None:
        self._call("DELETE", project, f"/configs/{name}")

    def applied_machine_groups(self, project: str, config: str) -> list[str]:
        return list(self._call("GET", project, f"/configs/{config}/machinegroups")["machinegroups"])
