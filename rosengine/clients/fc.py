"""``FcClient``: the typed FC 2.0 client the CLI and the resource providers use.

Why our own client rather than the official SDK: providers run many calls in parallel threads and
need a thread-safe, connection-pooling client (httpx) with typed errors; the SDK is used in tests
to prove the backend speaks real FC. Every request is signed as FC 2.0 signs it
(docs/reference/fc-api.md#request-signing), using :mod:`backend_contract.fc_signing`, the same code the
backend verifies with.

Where the backend is: ``ROS_FC_ENDPOINT`` (+ ``ROS_FC_ACCESS_KEY_ID``/``ROS_FC_ACCESS_KEY_SECRET``)
or the local daemon's ``<fc state dir>/backend.json``. A client never starts the backend: that is
the CLI's job (:func:`rosengine.cli.local_backend.ensure_local_backend`).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from backend_contract import fc_signing
from rosengine.clients.transport import http_transport

API_VERSION = "2016-08-15"
_PREFIX = f"/{API_VERSION}"


class FcApiError(Exception):
    """An error answer from the FC API (status, FC error code, message, request id)."""

    def __init__(self, status: int, error_code: str, message: str, request_id: str = ""):
        super().__init__(f"{error_code}: {message}" if error_code else message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.request_id = request_id


class FcNotFound(FcApiError):
    """A 404: the service, function, trigger, alias, version, ... does not exist."""


class FcBackendUnavailable(FcApiError):
    """No backend answered at the endpoint."""


@dataclass
class InvokeResult:
    status: int
    headers: dict[str, str]
    body: bytes
    error_type: str | None
    request_id: str

    @property
    def log(self) -> str:
        """The decoded ``X-Fc-Log-Result`` (present when the call asked for the Tail log)."""
        import base64

        raw = self.headers.get("x-fc-log-result")
        return base64.b64decode(raw).decode("utf-8", "replace") if raw else ""


def _svc(service: str, qualifier: str | None) -> str:
    return quote(f"{service}.{qualifier}" if qualifier else service, safe="")


def _q(value: str) -> str:
    return quote(str(value), safe="")


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


class FcClient:
    """Thread-safe FC 2.0 client. Methods return the API's JSON (camelCase dicts)."""

    def __init__(
        self,
        endpoint: str,
        access_key_id: str = "",
        access_key_secret: str = "",
        security_token: str = "",
        *,
        timeout: float = 120.0,
    ):
        self.endpoint = endpoint.rstrip("/")
        if not self.endpoint.startswith(("http://", "https://")):
            self.endpoint = "https://" + self.endpoint
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.security_token = security_token
        transport = http_transport(
            self.endpoint, limits=httpx.Limits(max_connections=64, max_keepalive_connections=32)
        )
        self._http = httpx.Client(base_url=self.endpoint, timeout=timeout, transport=transport)

    @classmethod
    def from_environment(cls) -> FcClient:
        """A client for ``ROS_FC_ENDPOINT`` or the running local backend (``backend.json``);
        :class:`FcBackendUnavailable` when there is neither."""
        endpoint = os.environ.get("ROS_FC_ENDPOINT")
        if endpoint:
            return cls(
                endpoint,
                os.environ.get("ROS_FC_ACCESS_KEY_ID", ""),
                os.environ.get("ROS_FC_ACCESS_KEY_SECRET", ""),
                os.environ.get("ROS_FC_SECURITY_TOKEN", ""),
            )
        from backend_contract.backend_info import read_backend_info

        info = read_backend_info()
        if info is None:
            raise FcBackendUnavailable(
                0,
                "BackendNotRunning",
                "no FC backend is running: start one with `ros fc start` or set ROS_FC_ENDPOINT",
            )
        return cls(
            str(info["endpoint"]), str(info.get("accessKeyId", "")), str(info.get("accessKeySecret", ""))
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------------

    def _headers(
        self, method: str, path: str, content_type: str, extra: dict[str, str] | None
    ) -> dict[str, str]:
        headers = {"date": fc_signing.http_date(), "content-type": content_type}
        if self.security_token:
            headers["x-fc-security-token"] = self.security_token
        for key, value in (extra or {}).items():
            headers[key.lower()] = str(value)
        if self.access_key_id:
            from urllib.parse import unquote

            headers["authorization"] = fc_signing.authorization(
                self.access_key_id, self.access_key_secret, method, unquote(path), headers
            )
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> httpx.Response:
        """Send one signed request to ``/2016-08-15<path>``; raises FcApiError on >= 400."""
        full = _PREFIX + path
        content = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        signed = self._headers(method, full, content_type, headers)
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._http.request(method, full, content=content, params=query, headers=signed)
        except httpx.ConnectError as exc:
            raise FcBackendUnavailable(
                0, "BackendUnavailable", f"cannot reach the FC backend at {self.endpoint}: {exc}"
            ) from exc
        except httpx.TimeoutException as exc:
            raise FcApiError(
                0, "Timeout", f"the FC backend at {self.endpoint} did not answer in time"
            ) from exc
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.request(method, path, **kwargs)
        if not response.content:
            return {}
        data = response.json()
        return data if isinstance(data, dict) else {"value": data}

    def _pages(self, path: str, key: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        query = dict(params or {})
        while True:
            page = self._json("GET", path, params=query)
            yield from page.get(key) or []
            token = page.get("nextToken")
            if not token:
                return
            query["nextToken"] = token

    # -- services --------------------------------------------------------------------------------

    def create_service(self, name: str, **config: Any) -> dict[str, Any]:
        return self._json("POST", "/services", body={"serviceName": name, **_drop_none(config)})

    def get_service(self, name: str, qualifier: str | None = None) -> dict[str, Any]:
        return self._json("GET", f"/services/{_svc(name, qualifier)}")

    def update_service(self, name: str, *, if_match: str | None = None, **config: Any) -> dict[str, Any]:
        return self._json(
            "PUT",
            f"/services/{_q(name)}",
            body=_drop_none(config),
            headers={"if-match": if_match} if if_match else None,
        )

    def delete_service(self, name: str, *, if_match: str | None = None) -> None:
        self.request("DELETE", f"/services/{_q(name)}", headers={"if-match": if_match} if if_match else None)

    def list_services(self, prefix: str | None = None, **params: Any) -> list[dict[str, Any]]:
        return list(self._pages("/services", "services", {"prefix": prefix, **params}))

    # -- functions -------------------------------------------------------------------------------

    def create_function(
        self, service: str, name: str, code: dict[str, Any] | None = None, **config: Any
    ) -> dict[str, Any]:
        body = {"functionName": name, **_drop_none(config)}
        if code is not None:
            body["code"] = code
        return self._json("POST", f"/services/{_q(service)}/functions", body=body)

    def get_function(self, service: str, name: str, qualifier: str | None = None) -> dict[str, Any]:
        return self._json("GET", f"/services/{_svc(service, qualifier)}/functions/{_q(name)}")

    def update_function(
        self,
        service: str,
        name: str,
        code: dict[str, Any] | None = None,
        *,
        if_match: str | None = None,
        **config: Any,
    ) -> dict[str, Any]:
        body = _drop_none(config)
        if code is not None:
            body["code"] = code
        return self._json(
            "PUT",
            f"/services/{_q(service)}/functions/{_q(name)}",
            body=body,
            headers={"if-match": if_match} if if_match else None,
        )

    def delete_function(self, service: str, name: str, *, if_match: str | None = None) -> None:
        self.request(
            "DELETE",
            f"/services/{_q(service)}/functions/{_q(name)}",
            headers={"if-match": if_match} if if_match else None,
        )

    def list_functions(
        self, service: str, qualifier: str | None = None, prefix: str | None = None, **params: Any
    ) -> list[dict[str, Any]]:
        return list(
            self._pages(
                f"/services/{_svc(service, qualifier)}/functions", "functions", {"prefix": prefix, **params}
            )
        )

    def get_function_code(self, service: str, name: str, qualifier: str | None = None) -> dict[str, Any]:
        return self._json("GET", f"/services/{_svc(service, qualifier)}/functions/{_q(name)}/code")

    def download_function_code(self, service: str, name: str, qualifier: str | None = None) -> bytes:
        url = self.get_function_code(service, name, qualifier)["url"]
        response = self._http.get(url)
        if response.status_code >= 400:
            raise _error_from(response)
        return response.content

    # -- invoke ----------------------------------------------------------------------------------

    def invoke_function(
        self,
        service: str,
        name: str,
        payload: bytes | str = b"",
        qualifier: str | None = None,
        invocation_type: str = "Sync",
        log_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> InvokeResult:
        """Invoke; function errors come back as ``error_type`` (FC answers 200), platform errors
        (throttling, missing function) raise FcApiError."""
        extra = {"x-fc-invocation-type": invocation_type, **(headers or {})}
        if log_type:
            extra["x-fc-log-type"] = log_type
        data = payload.encode() if isinstance(payload, str) else payload
        response = self.request(
            "POST",
            f"/services/{_svc(service, qualifier)}/functions/{_q(name)}/invocations",
            raw=data,
            headers=extra,
            content_type="application/octet-stream",
        )
        hdrs = {k.lower(): v for k, v in response.headers.items()}
        return InvokeResult(
            response.status_code,
            hdrs,
            response.content,
            hdrs.get("x-fc-error-type"),
            hdrs.get("x-fc-request-id", ""),
        )

    # -- triggers --------------------------------------------------------------------------------

    def create_trigger(self, service: str, function: str, **body: Any) -> dict[str, Any]:
        return self._json(
            "POST", f"/services/{_q(service)}/functions/{_q(function)}/triggers", body=_drop_none(body)
        )

    def get_trigger(self, service: str, function: str, name: str) -> dict[str, Any]:
        return self._json("GET", f"/services/{_q(service)}/functions/{_q(function)}/triggers/{_q(name)}")

    def update_trigger(self, service: str, function: str, name: str, **body: Any) -> dict[str, Any]:
        return self._json(
            "PUT",
            f"/services/{_q(service)}/functions/{_q(function)}/triggers/{_q(name)}",
            body=_drop_none(body),
        )

    def delete_trigger(self, service: str, function: str, name: str) -> None:
        self.request("DELETE", f"/services/{_q(service)}/functions/{_q(function)}/triggers/{_q(name)}")

    def list_triggers(self, service: str, function: str, prefix: str | None = None) -> list[dict[str, Any]]:
        return list(
            self._pages(
                f"/services/{_q(service)}/functions/{_q(function)}/triggers", "triggers", {"prefix": prefix}
            )
        )

    # -- versions and aliases --------------------------------------------------------------------

    def publish_version(self, service: str, description: str | None = None) -> dict[str, Any]:
        return self._json(
            "POST", f"/services/{_q(service)}/versions", body=_drop_none({"description": description})
        )

    def delete_version(self, service: str, version_id: str | int) -> None:
        self.request("DELETE", f"/services/{_q(service)}/versions/{_q(str(version_id))}")

    def list_versions(self, service: str, direction: str = "BACKWARD") -> list[dict[str, Any]]:
        return list(self._pages(f"/services/{_q(service)}/versions", "versions", {"direction": direction}))

    def create_alias(self, service: str, alias_name: str, **body: Any) -> dict[str, Any]:
        return self._json(
            "POST", f"/services/{_q(service)}/aliases", body={"aliasName": alias_name, **_drop_none(body)}
        )

    def get_alias(self, service: str, alias_name: str) -> dict[str, Any]:
        return self._json("GET", f"/services/{_q(service)}/aliases/{_q(alias_name)}")

    def update_alias(self, service: str, alias_name: str, **body: Any) -> dict[str, Any]:
        return self._json("PUT", f"/services/{_q(service)}/aliases/{_q(alias_name)}", body=_drop_none(body))

    def delete_alias(self, service: str, alias_name: str) -> None:
        self.request("DELETE", f"/services/{_q(service)}/aliases/{_q(alias_name)}")

    def list_aliases(self, service: str) -> list[dict[str, Any]]:
        return list(self._pages(f"/services/{_q(service)}/aliases", "aliases"))

    # -- layers ----------------------------------------------------------------------------------

    def publish_layer_version(self, name: str, **body: Any) -> dict[str, Any]:
        return self._json("POST", f"/layers/{_q(name)}/versions", body=_drop_none(body))

    def get_layer_version(self, name: str, version: int | str) -> dict[str, Any]:
        return self._json("GET", f"/layers/{_q(name)}/versions/{_q(str(version))}")

    def delete_layer_version(self, name: str, version: int | str) -> None:
        self.request("DELETE", f"/layers/{_q(name)}/versions/{_q(str(version))}")

    def list_layer_versions(self, name: str) -> list[dict[str, Any]]:
        return list(self._pages(f"/layers/{_q(name)}/versions", "layers"))

    def list_layers(self, prefix: str | None = None) -> list[dict[str, Any]]:
        return list(self._pages("/layers", "layers", {"prefix": prefix}))

    # -- provision / on-demand / async invoke configs ----------------------------------------------

    def _fn_path(self, service: str, function: str, qualifier: str | None) -> str:
        return f"/services/{_svc(service, qualifier)}/functions/{_q(function)}"

    def put_provision_config(
        self, service: str, function: str, qualifier: str, target: int, **extra: Any
    ) -> dict[str, Any]:
        return self._json(
            "PUT",
            self._fn_path(service, function, qualifier) + "/provision-config",
            body={"target": target, **_drop_none(extra)},
        )

    def get_provision_config(self, service: str, function: str, qualifier: str) -> dict[str, Any]:
        return self._json("GET", self._fn_path(service, function, qualifier) + "/provision-config")

    def delete_provision_config(self, service: str, function: str, qualifier: str) -> None:
        self.request("DELETE", self._fn_path(service, function, qualifier) + "/provision-config")

    def list_provision_configs(
        self, service: str | None = None, qualifier: str | None = None
    ) -> list[dict[str, Any]]:
        return list(
            self._pages(
                "/provision-configs", "provisionConfigs", {"serviceName": service, "qualifier": qualifier}
            )
        )

    def put_on_demand_config(
        self, service: str, function: str, qualifier: str, maximum_instance_count: int
    ) -> dict[str, Any]:
        return self._json(
            "PUT",
            self._fn_path(service, function, qualifier) + "/on-demand-config",
            body={"maximumInstanceCount": maximum_instance_count},
        )

    def get_on_demand_config(self, service: str, function: str, qualifier: str) -> dict[str, Any]:
        return self._json("GET", self._fn_path(service, function, qualifier) + "/on-demand-config")

    def delete_on_demand_config(self, service: str, function: str, qualifier: str) -> None:
        self.request("DELETE", self._fn_path(service, function, qualifier) + "/on-demand-config")

    def put_async_invoke_config(
        self, service: str, function: str, config: dict[str, Any], qualifier: str | None = "LATEST"
    ) -> dict[str, Any]:
        return self._json(
            "PUT", self._fn_path(service, function, qualifier) + "/async-invoke-config", body=config
        )

    def get_async_invoke_config(
        self, service: str, function: str, qualifier: str | None = "LATEST"
    ) -> dict[str, Any]:
        return self._json("GET", self._fn_path(service, function, qualifier) + "/async-invoke-config")

    def delete_async_invoke_config(
        self, service: str, function: str, qualifier: str | None = "LATEST"
    ) -> None:
        self.request("DELETE", self._fn_path(service, function, qualifier) + "/async-invoke-config")

    def list_async_invoke_configs(self, service: str, function: str) -> list[dict[str, Any]]:
        return list(self._pages(self._fn_path(service, function, None) + "/async-invoke-configs", "configs"))

    # -- async tasks (served by the async queue's routes) ----------------------------------------

    def get_stateful_async_invocation(
        self, service: str, function: str, invocation_id: str, qualifier: str | None = None
    ) -> dict[str, Any]:
        return self._json(
            "GET",
            self._fn_path(service, function, qualifier) + f"/stateful-async-invocations/{_q(invocation_id)}",
        )

    def list_stateful_async_invocations(
        self, service: str, function: str, qualifier: str | None = None, **params: Any
    ) -> list[dict[str, Any]]:
        return list(
            self._pages(
                self._fn_path(service, function, qualifier) + "/stateful-async-invocations",
                "invocations",
                params,
            )
        )

    def stop_stateful_async_invocation(
        self, service: str, function: str, invocation_id: str, qualifier: str | None = None
    ) -> None:
        self.request(
            "PUT",
            self._fn_path(service, function, qualifier) + f"/stateful-async-invocations/{_q(invocation_id)}",
        )

    # -- custom domains, tags, account -------------------------------------------------------------

    def create_custom_domain(self, domain_name: str, **body: Any) -> dict[str, Any]:
        return self._json("POST", "/custom-domains", body={"domainName": domain_name, **_drop_none(body)})

    def get_custom_domain(self, domain_name: str) -> dict[str, Any]:
        return self._json("GET", f"/custom-domains/{_q(domain_name)}")

    def update_custom_domain(self, domain_name: str, **body: Any) -> dict[str, Any]:
        return self._json("PUT", f"/custom-domains/{_q(domain_name)}", body=_drop_none(body))

    def delete_custom_domain(self, domain_name: str) -> None:
        self.request("DELETE", f"/custom-domains/{_q(domain_name)}")

    def list_custom_domains(self, prefix: str | None = None) -> list[dict[str, Any]]:
        return list(self._pages("/custom-domains", "customDomains", {"prefix": prefix}))

    def tag_resource(self, resource_arn: str, tags: dict[str, str]) -> None:
        self.request("POST", "/tag", body={"resourceArn": resource_arn, "tags": tags})

    def untag_resource(self, resource_arn: str, tag_keys: list[str], all: bool = False) -> None:
        self.request("DELETE", "/tag", body={"resourceArn": resource_arn, "tagKeys": tag_keys, "all": all})

    def get_resource_tags(self, resource_arn: str) -> dict[str, str]:
        return dict(self._json("GET", "/tag", params={"resourceArn": resource_arn}).get("tags") or {})

    def get_account_settings(self) -> dict[str, Any]:
        return self._json("GET", "/account-settings")

    def list_instances(
        self, service: str, function: str, qualifier: str | None = None
    ) -> list[dict[str, Any]]:
        path = self._fn_path(service, function, qualifier or "LATEST") + "/instances"
        return list(self._json("GET", path).get("instances") or [])

    def exec_instance(
        self,
        service: str,
        function: str,
        instance_id: str,
        command: list[str],
        *,
        qualifier: str | None = None,
        stdin: bytes | Iterable[bytes] | None = None,
        tty: bool = False,
        idle_timeout: float | None = None,
        on_output: Callable[[int, bytes], None] | None = None,
    ) -> ExecResult:
        """Run ``command`` inside a running instance (``InstanceExec``: a signed WebSocket).

        ``stdin``: bytes or an iterable of chunks, sent as they come (from a thread) and then
        closed; None runs the command without stdin. ``on_output(stream, data)`` (1 stdout,
        2 stderr) receives output as it arrives; without it, output is collected in the result.
        Raises :class:`FcApiError` when the backend refuses (404 ``InstanceNotFound``, 400).
        """
        from urllib.parse import urlencode

        from websockets.exceptions import ConnectionClosed, InvalidStatus
        from websockets.sync.client import connect

        path = (
            _PREFIX
            + self._fn_path(service, function, qualifier or "LATEST")
            + f"/instances/{_q(instance_id)}/exec"
        )
        query: list[tuple[str, str]] = [("command", part) for part in command]
        query += [
            ("stdin", str(stdin is not None).lower()),
            ("stdout", "true"),
            ("stderr", "true"),
            ("tty", str(tty).lower()),
        ]
        if idle_timeout is not None:
            query.append(("idleTimeout", f"{idle_timeout:g}"))
        headers = self._headers("GET", path, "application/json", None)
        url = self.endpoint.replace("http", "ws", 1) + path + "?" + urlencode(query)
        result = ExecResult()
        collect = on_output or (
            lambda stream, data: (result.stdout if stream == 1 else result.stderr).extend(data)
        )
        try:
            ws = connect(url, additional_headers=headers, proxy=None, max_size=None)
        except InvalidStatus as exc:
            refusal = httpx.Response(
                exc.response.status_code,
                content=bytes(exc.response.body or b""),
                headers={"x-fc-request-id": exc.response.headers.get("x-fc-request-id", "")},
            )
            raise _error_from(refusal) from exc
        except OSError as exc:
            raise FcBackendUnavailable(
                0, "BackendUnavailable", f"cannot reach the FC backend at {self.endpoint}: {exc}"
            ) from exc
        with ws:
            if stdin is not None:
                chunks = [stdin] if isinstance(stdin, bytes | bytearray) else stdin
                threading.Thread(target=_send_stdin, args=(ws, chunks), daemon=True).start()
            try:
                for message in ws:
                    data = message.encode("utf-8") if isinstance(message, str) else message
                    if not data:
                        continue
                    channel, payload = data[0], data[1:]
                    if channel in (1, 2):
                        collect(channel, payload)
                    elif channel == 3:
                        result.error = _json_or_text(payload)
            except ConnectionClosed:
                pass
        code = ws.close_code
        if result.error is not None:
            result.exit_code = int(result.error.get("exitCode", -1))
        elif code not in (1000, None):
            result.exit_code = -1
            result.error = {
                "status": "Failure",
                "reason": "ConnectionClosed",
                "message": f"the connection closed with code {code}: {ws.close_reason}",
            }
        return result

    # -- rosengine extensions (/local/) --------------------------------------------------------------

    def backend_status(self) -> dict[str, Any]:
        return self._json("GET", "/local/status")

    def local_instances(self) -> list[dict[str, Any]]:
        return list(self._json("GET", "/local/instances").get("instances") or [])

    def list_invocations(
        self, service: str | None = None, function: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        params = {"serviceName": service, "functionName": function, "limit": limit}
        return list(self._json("GET", "/local/invocations", params=params).get("invocations") or [])

    def read_logs(self, service: str, function: str, offset: int = 0) -> tuple[bytes, int]:
        """Log bytes from ``offset`` (negative: from the end) and the offset to continue from."""
        response = self.request("GET", f"/local/logs/{_q(service)}/{_q(function)}", params={"offset": offset})
        return response.content, int(response.headers.get("x-rosengine-log-offset", "0"))


@dataclass
class ExecResult:
    """What :meth:`FcClient.exec_instance` returns: the exit code (-1 when the session ended
    without one: idle timeout, lost connection), output collected when no callback took it, and
    the server's error/status document when there was one."""

    exit_code: int = 0
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    error: dict[str, Any] | None = None


def _send_stdin(ws: Any, chunks: Iterable[bytes]) -> None:
    """Stream stdin chunks on channel 0, then an empty channel-0 message: end of file. Runs in a
    daemon thread: an error reading the caller's input ends stdin, it is not raised."""
    from websockets.exceptions import ConnectionClosed

    try:
        for chunk in chunks:
            if chunk:
                ws.send(b"\x00" + bytes(chunk))
    except ConnectionClosed:
        return
    except Exception:
        pass
    with contextlib.suppress(ConnectionClosed):
        ws.send(b"\x00")


def _json_or_text(payload: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(payload)
    except ValueError:
        doc = None
    return (
        doc if isinstance(doc, dict) else {"status": "Failure", "message": payload.decode("utf-8", "replace")}
    )


def _error_from(response: httpx.Response) -> FcApiError:
    request_id = response.headers.get("x-fc-request-id", "")
    code, message = "", response.text[:500]
    try:
        body = response.json()
        if isinstance(body, dict):
            code = str(body.get("ErrorCode") or body.get("errorCode") or body.get("Code") or "")
            message = str(
                body.get("ErrorMessage") or body.get("errorMessage") or body.get("Message") or message
            )
    except ValueError:
        pass
    if not code:
        code = response.headers.get("x-fc-error-type", "") or f"HTTP{response.status_code}"
    cls = FcNotFound if response.status_code == 404 else FcApiError
    return cls(response.status_code, code, message, request_id)
