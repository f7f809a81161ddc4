"""The Ray control plane: the one module that imports Ray.

Why one small module: Ray has no type stubs and a large API; everything the backend needs of it
is here, behind typed methods — connect to a cluster, list its nodes, find or create the node
agent of a node (a named, detached actor pinned to that node, so a restarted API process finds
the same agents), and call the agents. Invocations never pass through here: only control calls
(start, stop, list, health) do.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from fcbackend.cluster.agent import AgentSettings, CrashReport, NodeAgent, NodeIdentity, StartReply
from fcbackend.cluster.demand import Capacity
from fcbackend.cluster.placement import ClusterUnavailable, Node
from fcbackend.models import FunctionSpec

log = logging.getLogger(__name__)
NAMESPACE = "rosengine"


@ray.remote(num_cpus=0, max_restarts=0)
class _AgentActor:
    """The Ray actor that hosts one :class:`NodeAgent` (async methods: one event loop)."""

    def __init__(self, node: NodeIdentity, settings: AgentSettings):
        self.agent = NodeAgent(node, settings)

    async def start(self) -> None:
        await self.agent.start()

    async def start_instance(
        self, spec: FunctionSpec, instance_id: str, driver: str | None, owner: str
    ) -> StartReply:
        return await self.agent.start_instance(spec, instance_id, driver, owner)

    async def stop_instance(self, instance_id: str, graceful: bool) -> Capacity:
        return await self.agent.stop_instance(instance_id, graceful)

    async def crash_report(self, instance_id: str) -> CrashReport:
        return await self.agent.crash_report(instance_id)

    async def take_logs(self, instance_id: str) -> bytes:
        return self.agent.take_logs(instance_id)

    async def free(self) -> Capacity:
        return self.agent.free()

    async def instances(self) -> list[dict[str, object]]:
        return self.agent.instances()

    async def release_owner(self, owner: str) -> int:
        return await self.agent.release_owner(owner)

    async def ping(self) -> str:
        return self.agent.ping()

    async def close(self) -> None:
        await self.agent.close()


class AgentHandle:
    """Typed calls to one node's agent."""

    def __init__(self, node: Node, actor: Any):
        self.node = node
        self._actor = actor

    async def _call(self, method: str, *args: Any, timeout: float | None = None) -> Any:
        ref = getattr(self._actor, method).remote(*args)
        if timeout is None:
            return await ref
        return await asyncio.wait_for(_awaitable(ref), timeout)

    async def start(self, timeout: float) -> None:
        await self._call("start", timeout=timeout)

    async def start_instance(
        self, spec: FunctionSpec, instance_id: str, driver: str | None, owner: str
    ) -> StartReply:
        reply: StartReply = await self._call("start_instance", spec, instance_id, driver, owner)
        return reply

    async def stop_instance(self, instance_id: str, graceful: bool, timeout: float) -> Capacity:
        free: Capacity = await self._call("stop_instance", instance_id, graceful, timeout=timeout)
        return free

    async def crash_report(self, instance_id: str, timeout: float) -> CrashReport:
        report: CrashReport = await self._call("crash_report", instance_id, timeout=timeout)
        return report

    async def free(self, timeout: float) -> Capacity:
        free: Capacity = await self._call("free", timeout=timeout)
        return free

    async def release_owner(self, owner: str, timeout: float) -> int:
        return int(await self._call("release_owner", owner, timeout=timeout))

    async def instances(self, timeout: float) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = await self._call("instances", timeout=timeout)
        return rows

    async def ping(self, timeout: float) -> bool:
        """Whether the agent answers within ``timeout`` (False: its node is dead or cut off)."""
        try:
            await self._call("ping", timeout=timeout)
        except Exception:
            return False
        return True


async def _awaitable(ref: Any) -> Any:
    return await ref


class RayPlane:
    """A connection to one Ray cluster (this process becomes a Ray driver of it)."""

    def __init__(self, address: str):
        self.address = address

    @classmethod
    def connect(cls, address: str) -> RayPlane:
        """Join the cluster at ``address`` — ``auto`` (the cluster this machine belongs to),
        ``HOST:PORT`` (its GCS) or ``ray://HOST:PORT`` (Ray Client). Raises
        :class:`ClusterUnavailable` with the reason when it cannot."""
        target = address.strip()
        if not target:
            raise ClusterUnavailable("--cluster needs an address: auto, HOST:PORT or ray://HOST:PORT")
        if target != "auto":
            host, port = _host_port(target)
            _probe(host, port, target)
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        try:
            ray.init(
                address=target,
                namespace=NAMESPACE,
                log_to_driver=False,
                logging_level=logging.WARNING,
                configure_logging=False,
                ignore_reinit_error=True,
            )
        except Exception as exc:
            raise ClusterUnavailable(f"cannot join the Ray cluster at {target}: {exc}") from exc
        return cls(target)

    def nodes(self) -> list[Node]:
        rows = []
        for node in ray.nodes():
            rows.append(
                Node(
                    node_id=str(node["NodeID"]),
                    address=str(node.get("NodeManagerAddress") or ""),
                    alive=bool(node.get("Alive")),
                    total=Capacity.of_ray_resources(dict(node.get("Resources") or {})),
                )
            )
        return rows

    def agent(self, node: Node, settings: AgentSettings) -> AgentHandle:
        """The agent of ``node``: the running one (started by any API process) or a new one."""
        name = f"agent-{node.node_id}"
        actor = _AgentActor.options(  # type: ignore[attr-defined]
            name=name,
            namespace=NAMESPACE,
            lifetime="detached",
            get_if_exists=True,
            max_concurrency=1000,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node.node_id, soft=False),
        ).remote(NodeIdentity(node.node_id, node.address, node.total), settings)
        return AgentHandle(node, actor)

    def disconnect(self) -> None:
        if ray.is_initialized():
            ray.shutdown()


def _host_port(target: str) -> tuple[str, int]:
    bare = target.removeprefix("ray://")
    host, sep, port = bare.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ClusterUnavailable(
            f"--cluster {target!r} is not an address: expected auto, HOST:PORT or ray://HOST:PORT"
        )
    return host.strip("[]"), int(port)


def _probe(host: str, port: int, target: str) -> None:
    """Refuse an address nothing listens on at once (Ray itself would retry for a minute)."""
    try:
        with socket.create_connection((host, port), timeout=3.0):
            pass
    except OSError as exc:
        raise ClusterUnavailable(f"no Ray cluster answers at {target}: {exc}") from exc
