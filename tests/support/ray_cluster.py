"""A real Ray cluster for the ``multinode`` tests: a head and two worker nodes on this machine,
inside a network namespace that has only loopback.

Why a namespace: Ray advertises the machine's external address to parts of itself even when told
``--node-ip-address=127.0.0.1``; in a namespace with only ``lo`` there is no other address, so no
test traffic can leave loopback. Everything that talks to the cluster runs inside it: the Ray
processes and the backend under ``nsenter --net``, the test's own clients on threads that entered
the namespace (:meth:`RayTestCluster.call`; a socket belongs to the namespace of the thread that
created it).

Processes enter only the namespace's network (``nsenter --net``): the nodes see this machine's
cgroups, as real nodes do, so their sandboxes get memory limits and report memory figures.

The nodes: ``cpu`` (4 CPUs, 6 GB) and ``gpu`` (the same and 2 fake GPUs: Ray's ``--num-gpus`` and the
``gpu_memory_mb`` custom resource, with the agent told the cards' size through
``ROS_NODE_GPUS``); the head takes no instances (0 CPUs) and serves Ray Client (``CLIENT_ADDRESS``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.support.paths import REPO

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
GCS_PORT = 6379
NODE_CPUS = 4  # logical (Ray does not enforce them); memory is what the tests fill
NODE_MEMORY = 6 * 1024**3
GPU_MEMORY_MB = 16384  # per fake card
ADDRESS = f"127.0.0.1:{GCS_PORT}"
CLIENT_PORT = 10001  # Ray Client's server on the head (ray[client]: grpcio)
CLIENT_ADDRESS = f"ray://127.0.0.1:{CLIENT_PORT}"
# The head's Ray Client server starts one server process per client by fork + exec from a process
# full of gRPC threads. With gRPC's fork handlers on (grpcio's default), a fork that lands while
# another of its threads is inside gRPC skips the handlers and the child crashes before it execs
# (SIGSEGV or SIGABRT, nothing in its log): the join fails with "Starting Ray client server failed".
# The child only execs, so it needs no fork handlers (docs/design/cluster.md, Ray Client). A Python
# process of the head that does crash says where in its log (faulthandler).
HEAD_ENV = {"GRPC_ENABLE_FORK_SUPPORT": "0", "PYTHONFAULTHANDLER": "1"}


class RayTestCluster:
    def __init__(self) -> None:
        self.netns = f"rostest{secrets.token_hex(3)}"
        # short: Ray's Unix socket paths live under it
        self.temp_dir = Path(tempfile.mkdtemp(prefix="rr-", dir="/tmp"))
        self.bin = Path(sys.executable).parent
        self.nodes: dict[str, str] = {}  # role (head, cpu, gpu) -> Ray node id
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    # ------------------------------------------------------------------ namespace

    def command(self, argv: list[str]) -> list[str]:
        # nsenter, not `ip netns exec`: that one remounts /sys in a mount namespace of its own,
        # where /sys/fs/cgroup is empty, so the nodes' sandboxes would run without cgroups
        return ["nsenter", f"--net=/var/run/netns/{self.netns}", "--", *argv]

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "RAY_USAGE_STATS_ENABLED": "0",
            "PYTHONPATH": str(REPO),
            **extra,
        }

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on a thread inside the namespace (its sockets reach the cluster)."""
        return self.submit(fn, *args).result()

    def submit(self, fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(8, initializer=self._enter)
        return self._pool.submit(fn, *args)

    def _enter(self) -> None:
        fd = os.open(f"/var/run/netns/{self.netns}", os.O_RDONLY)
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into the test cluster's namespace")
        finally:
            os.close(fd)

    # ------------------------------------------------------------------ cluster

    def start(self) -> RayTestCluster:
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        subprocess.run(self.command(["ip", "link", "set", "lo", "up"]), check=True)
        ray = str(self.bin / "ray")
        common = ["--node-ip-address=127.0.0.1", f"--temp-dir={self.temp_dir}", "--disable-usage-stats"]
        self._ray_start(
            [ray, "start", "--head", f"--port={GCS_PORT}", "--num-cpus=0", "--include-dashboard=false",
             f"--ray-client-server-port={CLIENT_PORT}", '--resources={"ros_head":1}', *common],
            HEAD_ENV,
        )  # fmt: skip
        node = [ray, "start", f"--address={ADDRESS}", f"--num-cpus={NODE_CPUS}", f"--memory={NODE_MEMORY}"]
        gpus = json_resources({"ros_gpu_node": 1, "gpu_memory_mb": 2 * GPU_MEMORY_MB})
        workers = [
            ([*node, '--resources={"ros_cpu_node":1}', *common], {}),
            ([*node, "--num-gpus=2", gpus, *common], {"ROS_NODE_GPUS": f"2:{GPU_MEMORY_MB}"}),
        ]
        for argv, env in workers:  # one at a time: two joining at once time out on 2 cores
            self._ray_start(argv, env)
        self._find_nodes()
        return self

    def _ray_start_async(self, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.command(argv), env=self.env(**env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )

    def _ray_start(self, argv: list[str], env: dict[str, str]) -> None:
        proc = self._ray_start_async(argv, env)
        out, _ = proc.communicate(timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"ray start failed: {out.decode(errors='replace')[-3000:]}")

    def _raylets(self) -> dict[str, tuple[int, str]]:
        """role -> (raylet pid, node id), read from the raylets' command lines."""
        found: dict[str, tuple[int, str]] = {}
        for pid, argv in self._processes():
            if not argv or not argv[0].endswith("/raylet"):
                continue
            options = dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)
            resources = options.get("static_resource_list", "")
            role = next((r for r in ("head", "cpu", "gpu") if f"ros_{r}" in resources), None)
            if role is not None:
                found[role] = (pid, options.get("node_id", ""))
        return found

    def _find_nodes(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            raylets = self._raylets()
            if len(raylets) == 3:
                self.nodes = {role: node for role, (_, node) in raylets.items()}
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"found raylets for {sorted(raylets)} only")
            time.sleep(0.1)

    def _processes(self) -> Iterator[tuple[int, list[str]]]:
        """This cluster's processes: their command lines name its temp dir, or they live in its
        network namespace (the head's Ray Client servers name neither the temp dir nor anything
        else of this cluster's)."""
        marker = str(self.temp_dir)
        namespace = _inode(Path(f"/var/run/netns/{self.netns}"))
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            inside = namespace is not None and _inode(entry / "ns" / "net") == namespace
            if inside or any(marker in a for a in argv):
                yield int(entry.name), [a for a in argv if a]

    def ray_logs(self, *patterns: str, tail: int = 3000) -> str:
        """The end of each of the cluster's Ray log files matching ``patterns`` (glob, in the
        session's logs directory): what a failing test prints so that it explains itself."""
        logs = self.temp_dir / "session_latest" / "logs"
        parts = []
        for pattern in patterns:
            for path in sorted(logs.glob(pattern)):
                text = path.read_text(errors="replace")
                parts.append(f"----- {path.name} ({len(text)} chars) -----\n{text[-tail:]}")
        return "\n".join(parts) or f"(no Ray logs matching {patterns} in {logs})"

    def kill_node(self, role: str) -> None:
        """Kill the node's raylet (SIGKILL): the node is gone, its workers exit."""
        pid, _ = self._raylets()[role]
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        for _ in range(3):
            pids = [pid for pid, _ in self._processes()]
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)  # processes just killed disappear from /proc
        subprocess.run(["ip", "netns", "delete", self.netns], capture_output=True)
        # imported here: this module is a plugin of every test session, Docker's helpers are not needed there
        from fcbackend.instances.docker.container_config import LABEL_BACKEND, backend_label
        from tests.support.docker_images import remove_labelled_containers

        shutil.rmtree(self.temp_dir, ignore_errors=True)
        for node in self.nodes.values():  # the node agents' slots (fcbackend.cluster.agent)
            slots = Path(tempfile.gettempdir()) / f"rosengine-node-{node[:12]}"
            # and the containers the killed agents' Docker drivers left (labelled by those slots)
            remove_labelled_containers(LABEL_BACKEND, backend_label(slots))
            shutil.rmtree(slots, ignore_errors=True)


def _inode(path: Path) -> tuple[int, int] | None:
    """The identity of a namespace file (None: it is gone)."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def json_resources(resources: dict[str, float]) -> str:
    return f"--resources={json.dumps(resources)}"


class ClusterBackend:
    """``python -m fcbackend.server --cluster`` inside the cluster's namespace."""

    def __init__(self, cluster: RayTestCluster, home: Path, *extra: str, address: str = ADDRESS) -> None:
        self.cluster = cluster
        self.home = home
        self.address = address
        self.state_dir = home / "fc"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = home / "backend.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cluster.command(
                [sys.executable, "-m", "fcbackend.server", "--state-dir", str(self.state_dir),
                 "--cluster", address, *extra]
            ),
            env=cluster.env(ROS_HOME=str(home)),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )  # fmt: skip
        self.info: dict[str, Any] = {}
        deadline = time.monotonic() + 120
        while not self._started():
            if time.monotonic() > deadline:
                raise AssertionError(f"the backend did not start: {self.failure_text()}")
            time.sleep(0.1)

    def _started(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"the backend exited: {self.failure_text()}")
        try:
            info = json.loads((self.state_dir / "backend.json").read_text())
        except (OSError, ValueError):
            return False
        if info.get("pid") != self.proc.pid:  # a killed predecessor's file
            return False
        self.info = info
        return True

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def failure_text(self) -> str:
        """The backend's log, and for a Ray Client join the head's Ray Client logs (the proxy and
        each client's own server, whose start is what fails there) and its raylet's."""
        text = self.log_text()[-3000:]
        if self.address.startswith("ray://"):
            text += "\n" + self.cluster.ray_logs("ray_client_server*", tail=6000)
            text += "\n" + self.cluster.ray_logs("raylet.out", "gcs_server.out", tail=1500)
        return text

    @property
    def endpoint(self) -> str:
        return str(self.info["endpoint"])

    def fc2(self) -> Any:
        import fc2

        return fc2.Client(
            endpoint=self.endpoint,
            accessKeyID=self.info["accessKeyId"],
            accessKeySecret=self.info["accessKeySecret"],
            Timeout=120,
        )

    def fc_client(self) -> Any:
        """rosengine's own FC client (what the SDK lacks: lifecycle hooks, the Tail log)."""
        from rosengine.clients.fc import FcClient

        return FcClient(self.endpoint, self.info["accessKeyId"], self.info["accessKeySecret"])

    def ros(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``ros ARGS`` inside the namespace, against this backend."""
        return subprocess.run(
            self.cluster.command([str(self.cluster.bin / "ros"), *args]),
            env=self.cluster.env(ROS_HOME=str(self.home), COLUMNS="200"),  # tables not cut to 80
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO,
        )

    def instances(self) -> list[dict[str, Any]]:
        result = self.ros("fc", "instances", "-o", "json")
        assert result.returncode == 0, result.stderr
        rows: list[dict[str, Any]] = json.loads(result.stdout)
        return rows

    def kill(self) -> None:
        """SIGKILL (``nsenter`` execs the backend: this is its pid)."""
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[RayTestCluster]:
    cluster = RayTestCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()
