"""``Fc3Client``: the typed FC 3.0 (API 2023-03-30) client the CLI and the ``ALIYUN::FC3::*``
providers use.

Why our own client (the official ``alibabacloud-fc20230330`` SDK drives the backend in tests):
providers call from many threads at once and want a connection-pooling, thread-safe client with
the same typed errors as the FC 2.0 client (:class:`rosengine.clients.fc.FcApiError`,
``FcNotFound`` for 404s), so one provider helper turns either into a stack event. Requests are
signed ACS3-HMAC-SHA256 with :mod:`backend_contract.acs3_signing`, the code the backend verifies
with. Path parameters are percent-encoded whole (``/`` and ``:`` included), as the SDK does.

Where the backend is: the same as :class:`rosengine.clients.fc.FcClient` (``ROS_FC_ENDPOINT`` or
the local daemon's ``backend.json``); one backend serves both APIs.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from backend_contract import acs3_signing
from rosengine.clients.fc import FcApiError, FcBackendUnavailable, FcClient, FcNotFound, InvokeResult
from rosengine.clients.transport import http_transport

API_VERSION = "2023-03-30"
_PREFIX = f"/{API_VERSION}"


def _q(value: str | int) -> str:
    return quote(str(value), safe="")


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _error_from(response: httpx.Response) -> FcApiError:
    request_id = response.headers.get("x-fc-request-id", "")
    code, message = "", response.text[:500]
    try:
        body = response.json()
        if isinstance(body, dict):
            code = str(body.get("Code") or body.get("ErrorCode") or "")
            message = str(body.get("Message") or body.get("ErrorMessage") or message)
            request_id = str(body.get("RequestId") or request_id)
    except ValueError:
        pass
    code = code or response.headers.get("x-fc-error-type", "") or f"HTTP{response.status_code}"
    cls = FcNotFound if response.status_code == 404 else FcApiError
    return cls(response.status_code, code, message, request_id)


class Fc3Client:
    """Thread-safe FC 3.0 client. Methods return the API's JSON (camelCase dicts)."""

    def __init__(
        self, endpoint: str, access_key_id: str = "", access_key_secret: str = "", *, timeout: float = 120.0
    ):
        self.endpoint = endpoint.rstrip("/")
        if not self.endpoint.startswith(("http://", "https://")):
            self.endpoint = "https://" + self.endpoint
        self.host = urlsplit(self.endpoint).netloc
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        # TCP_NODELAY: see FcClient (headers and body are written separately).
        transport = http_transport(
            self.endpoint, limits=httpx.Limits(max_connections=64, max_keepalive_connections=32)
        )
        self._http = httpx.Client(base_url=self.endpoint, timeout=timeout, transport=transport)

    @classmethod
    def from_environment(cls) -> Fc3Client:
        """A client for the backend :meth:`FcClient.from_environment` finds (never started by a client)."""
        with FcClient.from_environment() as fc2:
            return cls(fc2.endpoint, fc2.access_key_id, fc2.access_key_secret)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Fc3Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------------

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
        """One signed request to ``/2023-03-30<path>`` (``path`` already percent-encoded);
        raises FcApiError on >= 400."""
        full = _PREFIX + path
        content = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        query = urlencode(
            {
                k: ("true" if v is True else "false" if v is False else v)
                for k, v in (params or {}).items()
                if v is not None
            },
            quote_via=quote,
        )
        signed = {
            "host": self.host,
            "x-acs-version": API_VERSION,
            "x-acs-date": acs3_signing.acs3_date(),
            "x-acs-signature-nonce": secrets.token_hex(16),
            "accept": "application/json",
        }
        if content:
            signed["content-type"] = content_type
        for key, value in (headers or {}).items():
            signed[key.lower()] = str(value)
        if self.access_key_id:
            acs3_signing.sign_acs3(
                method=method,
                raw_path=full,
                query=query,
                headers=signed,
                body=content,
                access_key_id=self.access_key_id,
                access_key_secret=self.access_key_secret,
                signed=(*acs3_signing.DEFAULT_SIGNED, *(k for k in signed if k.startswith("x-fc-"))),
            )
        url = full + (f"?{query}" if query else "")
        try:
            response = self._http.request(method, url, content=content, headers=signed)
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
        query = {"limit": 100, **(params or {})}
        while True:
            page = self._json("GET", path, params=query)
            yield from page.get(key) or []
            token = page.get("nextToken")
            if not token:
                return
            query["nextToken"] = token

    # -- functions -------------------------------------------------------------------------------

    def create_function(self, name: str, **config: Any) -> dict[str, Any]:
        return self._json("POST", "/functions", body={"functionName": name, **_drop_none(config)})

    def get_function(self, name: str, qualifier: str | None = None) -> dict[str, Any]:
        return self._json("GET", f"/functions/{_q(name)}", params={"qualifier": qualifier})

    def update_function(self, name: str, **config: Any) -> dict[str, Any]:
        return self._json("PUT", f"/functions/{_q(name)}", body=_drop_none(config))

    def delete_function(self, name: str) -> None:
        self.request("DELETE", f"/functions/{_q(name)}")

    def list_functions(
        self, prefix: str | None = None, fc_version: str | None = None
    ) -> list[dict[str, Any]]:
        return list(self._pages("/functions", "functions", {"prefix": prefix, "fcVersion": fc_version}))

    def get_function_code(self, name: str, qualifier: str | None = None) -> dict[str, Any]:
        return self._json("GET", f"/functions/{_q(name)}/code", params={"qualifier": qualifier})

    def disable_invocation(self, name: str, reason: str = "", abort_ongoing: bool = False) -> dict[str, Any]:
        body = {"reason": reason, "abortOngoingRequest": abort_ongoing}
        return self._json("POST", f"/functions/{_q(name)}/invoke/disable", body=body)

    def enable_invocation(self, name: str) -> dict[str, Any]:
        return self._json("POST", f"/functions/{_q(name)}/invoke/enable")

    # -- invoke ----------------------------------------------------------------------------------

    def invoke_function(
        self,
        name: str,
        payload: bytes | str = b"",
        qualifier: str | None = None,
        invocation_type: str = "Sync",
        log_type: str | None = None,
        task_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> InvokeResult:
        """Invoke; function errors come back as ``error_type`` (FC answers 200), platform errors
        (throttling, missing function) raise FcApiError. An async call's task id is in
        ``headers["x-fc-async-task-id"]``."""
        extra = {"x-fc-invocation-type": invocation_type, **(headers or {})}
        if log_type:
            extra["x-fc-log-type"] = log_type
        if task_id:
            extra["x-fc-async-task-id"] = task_id
        data = payload.encode() if isinstance(payload, str) else payload
        response = self.request(
            "POST",
            f"/functions/{_q(name)}/invocations",
            raw=data,
            params={"qualifier": qualifier},
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

    # -- versions and aliases --------------------------------------------------------------------

    def publish_version(self, name: str, description: str | None = None) -> dict[str, Any]:
        return self._json(
            "POST", f"/functions/{_q(name)}/versions", body=_drop_none({"description": description})
        )

    def list_versions(self, name: str, direction: str = "BACKWARD") -> list[dict[str, Any]]:
        return list(self._pages(f"/functions/{_q(name)}/versions", "versions", {"direction": direction}))

    def delete_version(self, name: str, version_id: str | int) -> None:
        self.request("DELETE", f"/functions/{_q(name)}/versions/{_q(version_id)}")

    def create_alias(self, name: str, alias: str, **body: Any) -> dict[str, Any]:
        return self._json(
            "POST", f"/functions/{_q(name)}/aliases", body={"aliasName": alias, **_drop_none(body)}
        )

    def get_alias(self, name: str, alias: str) -> dict[str, Any]:
        return self._json("GET", f"/functions/{_q(name)}/aliases/{_q(alias)}")

    def update_alias(self, name: str, alias: str, **body: Any) -> dict[str, Any]:
        return self._json("PUT", f"/functions/{_q(name)}/aliases/{_q(alias)}", body=_drop_none(body))

    def delete_alias(self, name: str, alias: str) -> None:
        self.request("DELETE", f"/functions/{_q(name)}/aliases/{_q(alias)}")

    def list_aliases(self, name: str) -> list[dict[str, Any]]:
        return list(self._pages(f"/functions/{_q(name)}/aliases", "aliases"))

    # -- triggers --------------------------------------------------------------------------------

    def create_trigger(self, name: str, **body: Any) -> dict[str, Any]:
        return self._json("POST", f"/functions/{_q(name)}/triggers", body=_drop_none(body))

    def get_trigger(self, name: str, trigger: str) -> dict[str, Any]:
        return self._json("GET", f"/functions/{_q(name)}/triggers/{_q(trigger)}")

    def update_trigger(self, name: str, trigger: str, **body: Any) -> dict[str, Any]:
        return self._json("PUT", f"/functions/{_q(name)}/triggers/{_q(trigger)}", body=_drop_none(body))

    def delete_trigger(self, name: str, trigger: str) -> None:
        self.request("DELETE", f"/functions/{_q(name)}/triggers/{_q(trigger)}")

    def list_triggers(self, name: str) -> list[dict[str, Any]]:
        return list(self._pages(f"/functions/{_q(name)}/triggers", "triggers"))

    # -- layers ----------------------------------------------------------------------------------

    def create_layer_version(self, layer: str, **body: Any) -> dict[str, Any]:
        return self._json("POST", f"/layers/{_q(layer)}/versions", body=_drop_none(body))

    def get_layer_version(self, layer: str, version: int | str) -> dict[str, Any]:
        return self._json("GET", f"/layers/{_q(layer)}/versions/{_q(version)}")

    def get_layer_version_by_arn(self, arn: str) -> dict[str, Any]:
        return self._json("GET", f"/layerarn/{_q(arn)}")

    def delete_layer_version(self, layer: str, version: int | str) -> None:
        self.request("DELETE", f"/layers/{_q(layer)}/versions/{_q(version)}")

    def list_layer_versions(self, layer: str) -> list[dict[str, Any]]:
        return list(
            self._json("GET", f"/layers/{_q(layer)}/versions", params={"limit": 100}).get("layers") or []
        )

    def put_layer_acl(self, layer: str, public: bool) -> None:
        self.request("PUT", f"/layers/{_q(layer)}/acl", params={"acl": "1" if public else "0"})

    # -- configs ---------------------------------------------------------------------------------

    def put_async_invoke_config(self, name: str, qualifier: str | None = None, **body: Any) -> dict[str, Any]:
        return self._json(
            "PUT",
            f"/functions/{_q(name)}/async-invoke-config",
            params={"qualifier": qualifier},
            body=_drop_none(body),
        )

    def get_async_invoke_config(self, name: str, qualifier: str | None = None) -> dict[str, Any]:
        return self._json(
            "GET", f"/functions/{_q(name)}/async-invoke-config", params={"qualifier": qualifier}
        )

    def delete_async_invoke_config(self, name: str, qualifier: str | None = None) -> None:
        self.request("DELETE", f"/functions/{_q(name)}/async-invoke-config", params={"qualifier": qualifier})

    def put_concurrency_config(self, name: str, reserved: int) -> dict[str, Any]:
        return self._json("PUT", f"/functions/{_q(name)}/concurrency", body={"reservedConcurrency": reserved})

    def get_concurrency_config(self, name: str) -> dict[str, Any]:
        return self._json("GET", f"/functions/{_q(name)}/concurrency")

    def delete_concurrency_config(self, name: str) -> None:
        self.request("DELETE", f"/functions/{_q(name)}/concurrency")

    def put_provision_config(self, name: str, qualifier: str | None = None, **body: Any) -> dict[str, Any]:
        return self._json(
            "PUT",
            f"/functions/{_q(name)}/provision-config",
            params={"qualifier": qualifier},
            body=_drop_none(body),
        )

    def get_provision_config(self, name: str, qualifier: str | None = None) -> dict[str, Any]:
        return self._json("GET", f"/functions/{_q(name)}/provision-config", params={"qualifier": qualifier})

    def delete_provision_config(self, name: str, qualifier: str | None = None) -> None:
        self.request("DELETE", f"/functions/{_q(name)}/provision-config", params={"qualifier": qualifier})

    # -- async tasks -----------------------------------------------------------------------------

    def get_async_task(self, name: str, task_id: str, qualifier: str | None = None) -> dict[str, Any]:
        return self._json(
            "GET", f"/functions/{_q(name)}/async-tasks/{_q(task_id)}", params={"qualifier": qualifier}
        )

    def list_async_tasks(self, name: str, **params: Any) -> list[dict[str, Any]]:
        return list(self._pages(f"/functions/{_q(name)}/async-tasks", "tasks", params))

    def stop_async_task(self, name: str, task_id: str) -> None:
        self.request("PUT", f"/functions/{_q(name)}/async-tasks/{_q(task_id)}/stop")

    # -- custom domains, VPC bindings, tags, instances --------------------------------------------

    def create_custom_domain(self, domain: str, **body: Any) -> dict[str, Any]:
        return self._json("POST", "/custom-domains", body={"domainName": domain, **_drop_none(body)})

    def get_custom_domain(self, domain: str) -> dict[str, Any]:
        return self._json("GET", f"/custom-domains/{_q(domain)}")

    def update_custom_domain(self, domain: str, **body: Any) -> dict[str, Any]:
        return self._json("PUT", f"/custom-domains/{_q(domain)}", body=_drop_none(body))

    def delete_custom_domain(self, domain: str) -> None:
        self.request("DELETE", f"/custom-domains/{_q(domain)}")

    def create_vpc_binding(self, name: str, vpc_id: str) -> None:
        self.request("POST", f"/functions/{_q(name)}/vpc-bindings", body={"vpcId": vpc_id})

    def list_vpc_bindings(self, name: str) -> list[str]:
        return list(self._json("GET", f"/functions/{_q(name)}/vpc-bindings").get("vpcIds") or [])

    def delete_vpc_binding(self, name: str, vpc_id: str) -> None:
        self.request("DELETE", f"/functions/{_q(name)}/vpc-bindings/{_q(vpc_id)}")

    def tag_function(self, arn: str, tags: dict[str, str]) -> None:
        body = {
            "ResourceId": [arn],
            "ResourceType": "function",
            "Tag": [{"Key": k, "Value": v} for k, v in tags.items()],
        }
        self.request("POST", "/tags-v2", body=body)

    def untag_function(self, arn: str, keys: list[str]) -> None:
        params = {"ResourceId": json.dumps([arn]), "ResourceType": "function", "TagKey": json.dumps(keys)}
        self.request("DELETE", "/tags-v2", params=params)

    def list_instances(self, name: str, qualifier: str | None = None) -> list[dict[str, Any]]:
        data = self._json("GET", f"/functions/{_q(name)}/instances", params={"qualifier": qualifier})
        return list(data.get("instances") or [])

    # -- rosengine extensions (/local/): both FC versions, named as people write them --------------

    def local(self, path: str, **params: Any) -> dict[str, Any]:
        return self._json("GET", f"/local/{path}", params=params)

    def read_logs(self, name: str, offset: int = 0) -> tuple[bytes, int]:
        """Log bytes from ``offset`` (negative: from the end) and the offset to continue from."""
        response = self.request("GET", f"/local/logs/{_q(name)}", params={"offset": offset})
        return response.content, int(response.headers.get("x-rosengine-log-offset", "0"))

    def trigger_event(self, name: str, trigger: str, event: bytes = b"") -> httpx.Response:
        return self.request(
            "POST",
            f"/local/trigger-events/{_q(name)}/{_q(trigger)}",
            raw=event,
            content_type="application/octet-stream",
        )
