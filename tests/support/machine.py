"""What this machine offers the tests that need more than Python: Docker, bubblewrap, an NVIDIA GPU,
Node.js, a PostgreSQL server.

Each probe runs once, on first use, and answers ``(usable, why)``; ``tests/conftest.py`` turns the
markers ``docker``, ``bwrap``, ``gpu`` and ``node`` into skips that carry the ``why``.
"""

from __future__ import annotations

import functools
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path


@functools.cache
def docker_usable() -> tuple[bool, str]:
    from fcbackend.instances.docker.driver import DockerDriver

    with tempfile.TemporaryDirectory(prefix="rosengine-docker-probe-") as state:
        return DockerDriver(Path(state)).available()


@functools.cache
def bwrap_usable() -> tuple[bool, str]:
    from fcbackend.instances.sandbox import bubblewrap_works

    return bubblewrap_works()


@functools.cache
def gpu_usable() -> tuple[bool, str]:
    binary = shutil.which("nvidia-smi")
    if binary is None:
        return False, "nvidia-smi is not installed (no NVIDIA driver here)"
    try:
        listed = subprocess.run([binary, "-L"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"nvidia-smi does not run: {exc}"
    if listed.returncode != 0 or not listed.stdout.strip():
        return False, f"nvidia-smi -L lists no GPU: {(listed.stderr or listed.stdout).strip()}"
    return True, listed.stdout.strip()


@functools.cache
def node_usable() -> tuple[bool, str]:
    if shutil.which("node") is None:
        return False, "node is not on PATH (the ROS CDK runs on jsii, which needs Node.js)"
    return True, "node is on PATH"


@functools.cache
def postgres_usable() -> tuple[bool, str]:
    if postgres_bin_dir() is None:
        return (
            False,
            "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb; apt-get install postgresql)",
        )
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError as exc:
        return False, f"psycopg is not installed (pip install -e '.[cluster]'): {exc}"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return False, "running as root and there is no postgres user to run the server as"
    return True, "PostgreSQL binaries and psycopg present"


def postgres_bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@functools.cache
def ray_netns_usable() -> tuple[bool, str]:
    """Ray installed, and a network namespace with only loopback can be made here (root and
    ``ip netns``): the Ray test cluster runs in one so that none of its traffic leaves loopback."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        return False, "Ray is not installed (pip install -e '.[cluster]')"
    if os.geteuid() != 0:
        return False, "making a network namespace (ip netns add) needs root"
    ip = shutil.which("ip")
    if ip is None:
        return False, "no `ip` command (apt-get install iproute2)"
    name = f"rosprobe{os.getpid()}"
    made = subprocess.run([ip, "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        return False, f"`ip netns add` failed: {made.stderr.strip()}"
    subprocess.run([ip, "netns", "delete", name], capture_output=True)
    return True, "Ray and ip netns present"
