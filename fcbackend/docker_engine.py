"""The Docker Engine API client: a thin async client over dockerd's Unix socket.

Why httpx over the Unix socket rather than the ``docker`` SDK: the scheduler is asyncio and the SDK
is synchronous (every call would hop to a thread), it pulls in ``requests``/``urllib3`` pins of its
own, and its last releases lag the Engine API. The Engine API is a documented, versioned HTTP API
(we speak v1.41, Docker 20.10+); ``httpx`` is already a dependency, is actively kept, is async and
talks to Unix sockets natively. The few calls we need (create, start, inspect, wait, logs, pause,
remove, list, import) are a page of code.

This module knows nothing of functions or instances; every failure is a :class:`DockerError` with
the HTTP status (0 when dockerd cannot be reached at all).
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
from collections.abc import AsyncIterator
from typing import Any

import httpx

API_VERSION = "v1.41"
DEFAULT_SOCKET = "/var/run/docker.sock"


class DockerError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"Docker Engine API {status}: {message}")
        self.status = status
        self.message = message


def docker_socket_path() -> str:
    """The Engine socket: ``DOCKER_HOST=unix://...`` when set, else /var/run/docker.sock."""
    host = os.environ.get("DOCKER_HOST", "")
    if host.startswith("unix://"):
        return host[len("unix://") :]
    return DEFAULT_SOCKET


class DockerEngine:
    """A thin async client of the Docker Engine API over its Unix socket."""

    def __init__(self, socket_path: str | None = None):
        self.socket_path = socket_path or docker_socket_path()
        self._client = httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(uds=self.socket_path),
            base_url=f"http://docker/{API_VERSION}",
            timeout=httpx.Timeout(60.0, connect=5.0),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=32),
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        ok: tuple[int, ...] = (200, 201, 204, 304),
        timeout: float | None = 60.0,
        **kwargs: Any,
    ) -> Any:
        try:
            response = await self._client.request(method, path, timeout=timeout, **kwargs)
        except httpx.TransportError as exc:
            raise DockerError(0, f"cannot reach dockerd at {self.socket_path}: {exc}") from exc
        if response.status_code not in ok:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise DockerError(response.status_code, message.strip())
        if not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    async def ping(self) -> bool:
        try:
            await self.call("GET", "/_ping", timeout=3.0)
            return True
        except DockerError:
            return False

    async def info(self) -> dict[str, Any]:
        return await self.call("GET", "/info")

    async def create_container(self, name: str, config: dict[str, Any]) -> str:
        created = await self.call("POST", "/containers/create", params={"name": name}, json=config)
        return created["Id"]

    async def start_container(self, container_id: str) -> None:
        await self.call("POST", f"/containers/{container_id}/start")

    async def inspect_container(self, container_id: str) -> dict[str, Any]:
        return await self.call("GET", f"/containers/{container_id}/json")

    async def wait_container(self, container_id: str, timeout: float | None = None) -> int:
        """Block until the container stops; its exit code."""
        result = await self.call("POST", f"/containers/{container_id}/wait", timeout=timeout)
        return int(result.get("StatusCode", -1))

    async def kill_container(self, container_id: str) -> None:
        with contextlib.suppress(DockerError):
            await self.call("POST", f"/containers/{container_id}/kill")

    async def remove_container(self, container_id: str) -> None:
        with contextlib.suppress(DockerError):
            await self.call(
                "DELETE",
                f"/containers/{container_id}",
                params={"force": "true", "v": "true"},
                ok=(200, 204, 404),
            )

    async def pause_container(self, container_id: str) -> None:
        await self.call("POST", f"/containers/{container_id}/pause")

    async def unpause_container(self, container_id: str) -> None:
        await self.call("POST", f"/containers/{container_id}/unpause")

    async def list_containers(self, labels: dict[str, str]) -> list[dict[str, Any]]:
        filters = json.dumps({"label": [f"{k}={v}" for k, v in labels.items()]})
        return await self.call("GET", "/containers/json", params={"all": "true", "filters": filters})

    async def inspect_image(self, image: str) -> dict[str, Any] | None:
        try:
            return await self.call("GET", f"/images/{image}/json")
        except DockerError as exc:
            if exc.status == 404:
                return None
            raise

    async def list_images(self, label: str) -> list[dict[str, Any]]:
        return await self.call("GET", "/images/json", params={"filters": json.dumps({"label": [label]})})

    async def pull_image(self, image: str, timeout: float) -> None:
        name, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "latest")
        await self.call("POST", "/images/create", params={"fromImage": name, "tag": tag}, timeout=timeout)
        if await self.inspect_image(image) is None:
            raise DockerError(404, f"pull of {image} finished but the image is not there")

    async def logs(self, container_id: str, *, follow: bool) -> AsyncIterator[tuple[int, bytes]]:
        """(stream, bytes) frames of a non-TTY container's output: stream 1 = stdout, 2 = stderr."""
        params = {"stdout": "true", "stderr": "true", "follow": "true" if follow else "false"}
        async with self._client.stream(
            "GET", f"/containers/{container_id}/logs", params=params, timeout=None
        ) as response:
            if response.status_code != 200:
                return
            buffer = b""
            async for chunk in response.aiter_raw():
                buffer += chunk
                while len(buffer) >= 8:
                    stream, size = buffer[0], struct.unpack(">I", buffer[4:8])[0]
                    if len(buffer) < 8 + size:
                        break
                    yield stream, buffer[8 : 8 + size]
                    buffer = buffer[8 + size :]
