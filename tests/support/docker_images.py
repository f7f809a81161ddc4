"""Helpers shared by the Docker tests and benchmarks/bench_docker.py.

The test image is the host's Python plus the test CA server and job script, built with ``docker
import`` (no registry needed) and cached by content hash: the first build takes ~2–3 s, later
ones are a lookup.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import httpx

from fcbackend.docker_engine import API_VERSION, docker_socket_path
from fcbackend.images.hostfs import build_host_python_image
from fcbackend.models import FunctionSpec

IMAGE_FILES = Path(__file__).resolve().parent / "docker_image"
TEST_IMAGE_REPOSITORY = "rosengine-test/ca-server"


def build_test_image() -> str:
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    return build_host_python_image(
        TEST_IMAGE_REPOSITORY,
        python=python,
        extra_files={
            "/app/server.py": (IMAGE_FILES / "ca_server.py").read_bytes(),
            "/app/job.py": (IMAGE_FILES / "job.py").read_bytes(),
        },
        command=["/usr/bin/python3", "-S", "/app/server.py"],
        labels={"rosengine.test": "1"},
    )


def run(coroutine: Awaitable[Any]) -> Any:
    """No pytest-asyncio here: every driver test runs its own event loop."""
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def make_spec(image: str, **changes: Any) -> FunctionSpec:
    spec = FunctionSpec(
        service="svc",
        function="fn",
        version_id="LATEST",
        qualifier="LATEST",
        runtime="custom-container",
        handler="not-used",
        code_dir=None,
        image=image,
        memory_mb=128,
        timeout_s=10,
    )
    return dataclasses.replace(spec, **changes)


def labelled_containers(label: str, value: str) -> list[dict[str, Any]]:
    """Containers (running or not) labelled ``label=value``, as dockerd lists them; none without
    dockerd."""
    socket_path = docker_socket_path()
    if not os.path.exists(socket_path):
        return []
    filters = json.dumps({"label": [f"{label}={value}"]})
    with _engine(socket_path) as engine:
        listed = engine.get("/containers/json", params={"all": "1", "filters": filters})
    listed.raise_for_status()
    rows: list[dict[str, Any]] = listed.json()
    return rows


def remove_labelled_containers(label: str, value: str) -> None:
    """Force-remove the containers labelled ``label=value``: what a killed backend or node agent
    left in the Docker engine other engineers share."""
    rows = labelled_containers(label, value)
    if rows:
        with _engine(docker_socket_path()) as engine:
            for row in rows:
                engine.delete(f"/containers/{row['Id']}", params={"force": "1", "v": "1"})


def _engine(socket_path: str) -> httpx.Client:
    return httpx.Client(
        transport=httpx.HTTPTransport(uds=socket_path), base_url=f"http://docker/{API_VERSION}", timeout=30
    )
