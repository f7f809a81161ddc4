"""``docker import`` through the Engine API (synchronous: image building is a CLI/test-time job).

Why not the ``docker`` CLI: the client binary may be missing where only the daemon socket is
shared; the API takes the tar stream directly and lets us set CMD/ENV/LABEL in the same call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from fcbackend.docker_engine import API_VERSION, docker_socket_path


class ImageImportError(Exception):
    pass


def _client(socket_path: str | None) -> httpx.Client:
    return httpx.Client(
        transport=httpx.HTTPTransport(uds=socket_path or docker_socket_path()),
        base_url=f"http://docker/{API_VERSION}",
        timeout=httpx.Timeout(600.0, connect=5.0),
    )


def _chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(size):
            yield chunk


def import_tarball(
    tarball: Path, reference: str, *, changes: list[str] | None = None, socket_path: str | None = None
) -> str:
    """Import a root filesystem tarball as image ``reference`` (``repo:tag``); returns its id.

    ``changes`` are Dockerfile instructions applied to the config (``CMD [...]``, ``ENV K=V``,
    ``LABEL k=v``, ``WORKDIR /``).
    """
    repo, _, tag = reference.rpartition(":")
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("fromSrc", "-"),
        ("repo", repo),
        ("tag", tag),
    ]
    params += [("changes", change) for change in changes or []]
    try:
        with _client(socket_path) as client:
            response = client.post(
                "/images/create",
                params=params,
                content=_chunks(tarball),
                headers={"Content-Type": "application/x-tar"},
            )
            if response.status_code != 200:
                raise ImageImportError(
                    f"docker import of {reference} failed: {response.status_code} {response.text}"
                )
            for line in response.text.splitlines():
                message = json.loads(line) if line.strip().startswith("{") else {}
                if message.get("error"):
                    raise ImageImportError(f"docker import of {reference} failed: {message['error']}")
            found = client.get(f"/images/{reference}/json")
    except httpx.TransportError as exc:
        raise ImageImportError(f"cannot reach dockerd: {exc}") from exc
    if found.status_code != 200:
        raise ImageImportError(f"docker import of {reference} reported success but the image is missing")
    return found.json()["Id"]


def inspect_image(reference: str, *, socket_path: str | None = None) -> dict[str, Any] | None:
    try:
        with _client(socket_path) as client:
            response = client.get(f"/images/{reference}/json")
    except httpx.TransportError:
        return None
    return response.json() if response.status_code == 200 else None


def list_images(label: str, *, socket_path: str | None = None) -> list[dict[str, Any]]:
    """Images carrying ``label`` (``key`` or ``key=value``)."""
    with _client(socket_path) as client:
        response = client.get("/images/json", params={"filters": json.dumps({"label": [label]})})
    response.raise_for_status()
    return response.json()
