"""The Ray control plane: the one module that imports Ray.

Why one small module: Ray has no type stubs and a large API; everything the backend needs of it
is here, behind typed methods — connect to a cluster, list its nodes, find or create the node
agent of a node (a named, detached actor pinned to that node, so a restarted API process finds
the same agents), and call the agents. Invocations never pass through here: only control calls
(start, stop, list, health) do.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import socket
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from fcbackend.cluster.agent import (
    AgentCallResult,
    AgentSettings,
    CallReport,
    CrashReport,
    NodeIdentity,
    StartReply,
)
from fcbackend.cluster.control import ControlClient, ControlUnreachable
from fcbackend.cluster.demand import Capacity
from fcbackend.cluster.host import AgentHost, ControlEndpoint
from fcbackend.cluster.node_network import GatewayOffer
from fcbackend.cluster.placement import ClusterUnavailable, Node
from fcbackend.models import FunctionSpec, InstanceRequest

log = logging.getLogger(__name__)
NAMESPACE = "rosengine"
# A new agent builds its drivers and starts its first sandboxes before it answers.
START_TIMEOUT_S = 60.0


@ray.remote(num_cpus=0, max_restarts=0)
class _AgentActor:
    """The Ray actor that hosts one node's agent (:class:`AgentHost`): Ray methods for what is
    not on the cold path; starts and stops go to the agent's control port."""

    def __init__(self, node: NodeIdentity, settings: AgentSettings):
        self.host = AgentHost(node, settings)

    def endpoint(self) -> ControlEndpoint:
        return self.host.endpoint

    def crash_report(self, instance_id: str) -> CrashReport:
        return self.host.run(self.host.agent.crash_report(instance_id))

    def release_owner(self, owner: str) -> int:
        return self.host.run(self.host.agent.release_owner(owner))

    def instances(self) -> list[dict[str, object]]:
        return self.host.agent.instances()

    def ping(self) -> str:
        return self.host.agent.ping()


class AgentHandle:
    """Typed calls to one node's agent: Ray for discovery, health and clean-up, the agent's
    control port for starting and stopping instances."""

    def __init__(self, node: Node, actor: Any):
        self.node = node
        self._actor = actor
        self._control: ControlClient | None = None

    async def _call(self, method: str, *args: Any, timeout: float | None = None) -> Any:
        ref = getattr(self._actor, method).remote(*args)
        if timeout is None:
            return await ref
        return await asyncio.wait_for(_awaitable(ref), timeout)

    async def start(self, timeout: float) -> None:
        """Wait until the agent runs (its pools filling) and learn its control port."""
        endpoint: ControlEndpoint = await self._call("endpoint", timeout=timeout)
        if self._control is not None:
            self._control.close()
        self._control = ControlClient(endpoint.host, endpoint.port, endpoint.key)

    async def _control_call(self, method: str, *args: Any) -> Any:
        if self._control is None:
            await self.start(START_TIMEOUT_S)
        assert self._control is not None
        try:
            return await self._control.call(method, *args)
        except ControlUnreachable:
            # the agent was started again (another port): ask Ray where it listens now, once
            await self.start(START_TIMEOUT_S)
            return await self._control.call(method, *args)

    async def start_instance(
        self, spec: FunctionSpec, instance_id: str, driver: str | None, owner: str, gateway: str
    ) -> StartReply:
        reply: StartReply = await self._control_call(
            "start_instance", spec, instance_id, driver, owner, gateway
        )
        return reply

    async def put_gateway(self, owner: str, offer: GatewayOffer) -> None:
        await self._control_call("put_gateway", owner, offer)

    async def put_code(self, path: str, archive: bytes) -> None:
        await self._control_call("put_code", path, archive)

    async def request(self, instance_id: str, req: InstanceRequest, timeout: float) -> AgentCallResult:
        result: AgentCallResult = await self._control_call("request", instance_id, req, timeout)
        return result

    async def after_call(self, instance_id: str) -> CallReport:
        report: CallReport = await self._control_call("after_call", instance_id)
        return report

    async def stop_instance(self, instance_id: str, graceful: bool, timeout: float) -> Capacity:
        free: Capacity = await asyncio.wait_for(
            self._control_call("stop_instance", instance_id, graceful), timeout
        )
        return free

    async def crash_report(self, instance_id: str, timeout: float) -> CrashReport:
        report: CrashReport = await self._call("crash_report", instance_id, timeout=timeout)
        return report

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
        if target.startswith("ray://") and importlib.util.find_spec("grpc") is None:
            raise ClusterUnavailable(
                f"--cluster {target} goes through Ray Client, which needs grpcio (not installed): "
                "pip install 'ray[client]', or run this process on a Ray node and give --cluster auto"
            )
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
            max_concurrency=16,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node.node_id, soft=False),
        ).remote(NodeIdentity(node.node_id, node.address, node.total), settings)
        return AgentHandle(node, actor)

    def node_ip(self) -> str:
        """This process's address as Ray's nodes know it (where they reach its gateway)."""
        return str(ray.util.get_node_ip_address())

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
