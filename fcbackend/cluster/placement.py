"""Where an instance runs: a node of the cluster, chosen here; what runs is the scheduler's call.

Why an :class:`~fcbackend.instances.driver.InstanceDriver`: that is the seam the scheduler already
places local instances through (``driver.start(spec, id)`` → an
:class:`~fcbackend.instances.driver.Instance` it sends requests to). :class:`ClusterDriver` keeps
that contract and starts the instance on a node instead, so the scheduler's decisions (warm
reuse, concurrency, limits, keep-alive, provisioned instances) stay in the API process untouched.
The local drivers are the local placement; this is the cluster one.

A start asks the agent of the node that most likely fits (most room left, by the agents' last
answers); an agent that is full says so and the next node is asked. When no node has room the
start is *pending*: it is retried as instances stop, up to the function's timeout, then fails
with ``ResourceExhausted`` naming what it needed. Invocations go to the instance's relay port
on its node (:class:`RemoteInstance`), never through Ray.

A node is lost when its agent stops answering (a connection to one of its instances broke and
a ping did not come back) or Ray reports it dead: its instances are forgotten (``alive()`` is
False, so the scheduler replaces them on the next call, on another node), a call in flight fails
with :class:`~fcbackend.instances.driver.InstanceLost` naming the node.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fcbackend.cluster.agent import (
    AgentCallResult,
    AgentSettings,
    CallReport,
    CrashReport,
    StartReply,
    pack_directory,
)
from fcbackend.cluster.demand import Capacity, Demand
from fcbackend.cluster.node_network import GatewayOffer, advertise_gateway
from fcbackend.gateway.function_network import FunctionNetwork
from fcbackend.instances.ca_client import CaClient, ConnectionLost
from fcbackend.instances.driver import Instance, InstanceCrashed, InstanceDriver, InstanceLost, InstanceStats
from fcbackend.instances.network import InstanceNetwork
from fcbackend.models import FunctionSpec, InstanceRequest, InstanceResponse, InstanceStartError

log = logging.getLogger(__name__)

# How long a control call may take before its node counts as unreachable.
CONTROL_TIMEOUT_S = 10.0
PING_TIMEOUT_S = 3.0
# The node's report after a request (memory peak, stray output) is best effort: a node that does
# not answer within this long costs the figures, never more than this of the response's time.
REPORT_TIMEOUT_S = 1.0
# A new agent builds its drivers and starts its first sandboxes before it answers.
AGENT_START_TIMEOUT_S = 60.0
# How often a pending start asks the agents again, and how often Ray's node list is read.
PENDING_POLL_S = 0.25
NODE_WATCH_S = 2.0


class ClusterUnavailable(ValueError):
    """The cluster cannot be used (wrong address, none running, Ray not installed): the backend
    refuses to start with the reason (a ValueError, like a --driver that cannot run here)."""


@dataclass(frozen=True)
class Node:
    node_id: str
    address: str
    alive: bool
    total: Capacity

    @property
    def short(self) -> str:
        return f"{self.node_id[:12]} ({self.address})"


class Agent(Protocol):
    """The calls the placement makes to one node's agent (fcbackend.cluster.ray_plane)."""

    async def start(self, timeout: float) -> None: ...

    async def start_instance(
        self, spec: FunctionSpec, instance_id: str, driver: str | None, owner: str, gateway: str
    ) -> StartReply: ...

    async def put_gateway(self, owner: str, offer: GatewayOffer) -> None: ...

    async def stop_instance(self, instance_id: str, graceful: bool, timeout: float) -> Capacity: ...

    async def crash_report(self, instance_id: str, timeout: float) -> CrashReport: ...

    async def release_owner(self, owner: str, timeout: float) -> int: ...

    async def put_code(self, path: str, archive: bytes) -> None: ...

    async def after_call(self, instance_id: str) -> CallReport: ...

    async def request(self, instance_id: str, req: InstanceRequest, timeout: float) -> AgentCallResult: ...

    async def ping(self, timeout: float) -> bool: ...


class ControlPlane(Protocol):
    """What the placement needs of the cluster manager (Ray: fcbackend.cluster.ray_plane)."""

    address: str

    def nodes(self) -> list[Node]: ...

    def agent(self, node: Node, settings: AgentSettings) -> Agent: ...

    def node_ip(self) -> str: ...

    def disconnect(self) -> None: ...


def owner_name(state_dir: str) -> str:
    """A stable name of this API process (host + state dir): what it started on the nodes is
    tagged with it, so its next run stops what this one left."""
    digest = hashlib.sha1(f"{socket.gethostname()}:{state_dir}".encode()).hexdigest()[:16]
    return f"api-{digest}"


class ClusterPlacement:
    def __init__(
        self, plane: ControlPlane, settings: AgentSettings, owner: str, advertise_address: str | None = None
    ):
        self.plane = plane
        self.settings = settings
        self.owner = owner
        # The gateway functions on nodes reach (set by the drivers' network), where they reach it.
        self.gateway: FunctionNetwork | None = None
        self.advertise_address = advertise_address
        self._offer: GatewayOffer | None = None
        self._offer_digest = ""  # what every start names (the node asks for the offer when it lacks it)
        self._offer_servers: list[asyncio.Server] = []
        # The scheduler's way to stop an idle instance with its preStop hook (InstanceDriver.bind_retire).
        self.retire: Callable[[str], Awaitable[bool]] | None = None
        self._nodes: dict[str, Node] = {}
        self._agents: dict[str, Agent] = {}
        self._free: dict[str, Capacity] = {}
        self._lost: dict[str, str] = {}  # node id -> why
        # (node id, driver) -> why that node cannot start instances with that driver
        self._lacking: dict[tuple[str, str | None], str] = {}
        self._instances: dict[str, RemoteInstance] = {}
        self._changed: asyncio.Event | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._attached = False
        self._closed = False

    # ---------------------------------------------------------------- nodes

    async def refresh_nodes(self) -> list[Node]:
        """Read the cluster's nodes (a blocking call to Ray, off the loop) and take them in: new
        ones become usable, dead ones are lost. Returns the usable ones."""
        rows = await asyncio.to_thread(self.plane.nodes)
        for node in rows:
            if node.node_id in self._lost:
                continue
            if not node.alive:
                if node.node_id in self._nodes:
                    self._node_lost(node.node_id, "Ray reports the node dead")
                continue
            self._nodes[node.node_id] = node
            self._free.setdefault(node.node_id, node.total)
        return [n for n in self._nodes.values() if n.node_id not in self._lost]

    def _agent(self, node: Node) -> Agent:
        agent = self._agents.get(node.node_id)
        if agent is None:
            agent = self._agents[node.node_id] = self.plane.agent(node, self.settings)
        return agent

    async def attach(self) -> int:
        """Find (or create) the agents, start their pools, stop what a previous run of this API
        process left on them; returns how many such instances were stopped."""
        if self._attached:
            return 0
        self._attached = True
        nodes = await self.refresh_nodes()
        await self._advertise()

        async def attach_to(node: Node) -> int:
            agent = self._agent(node)
            try:
                await agent.start(AGENT_START_TIMEOUT_S)
                if self._offer is not None:
                    await asyncio.wait_for(agent.put_gateway(self.owner, self._offer), CONTROL_TIMEOUT_S)
                return await agent.release_owner(self.owner, CONTROL_TIMEOUT_S)
            except Exception as exc:  # the node may be dying: placement skips it if it is
                log.warning("node %s: its agent did not start: %s", node.short, exc)
                return 0

        # all nodes at once: a node that is dead but not yet known to be costs one timeout, not one each
        stopped = await asyncio.gather(*(attach_to(node) for node in nodes if node.total.cpu))
        if self._watcher is None:
            self._watcher = asyncio.get_running_loop().create_task(self._watch_nodes())
        return sum(stopped)

    async def _advertise(self) -> None:
        """Open the gateway to the nodes' functions on the address they reach this process at."""
        if self.gateway is None or self._offer is not None:
            return
        host = self.advertise_address
        if not host:
            host = await asyncio.to_thread(self.plane.node_ip)
        try:
            self._offer, self._offer_servers = await advertise_gateway(self.gateway, host)
            self._offer_digest = self._offer.digest
        except OSError as exc:
            log.warning("functions on the cluster's nodes get no gateway: %s", exc)

    async def _watch_nodes(self) -> None:
        while not self._closed:
            await asyncio.sleep(NODE_WATCH_S)
            try:
                await self.refresh_nodes()
            except Exception as exc:
                log.warning("reading the cluster's nodes failed: %s", exc)

    def _node_lost(self, node_id: str, why: str) -> None:
        if node_id in self._lost:
            return
        node = self._nodes.get(node_id)
        self._lost[node_id] = why
        self._agents.pop(node_id, None)
        gone = [inst for inst in self._instances.values() if inst.node_id == node_id]
        log.warning(
            "node %s is lost (%s): %d instances on it are forgotten",
            node.short if node else node_id[:12],
            why,
            len(gone),
        )
        for inst in gone:
            inst.lost = why
        self._notify()

    def node_of(self, node_id: str) -> str:
        node = self._nodes.get(node_id)
        return node.short if node is not None else node_id[:12]

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()

    # ---------------------------------------------------------------- starting

    async def start_instance(
        self, spec: FunctionSpec, instance_id: str, driver: str | None
    ) -> RemoteInstance:
        """Start ``instance_id`` on a node that has room, waiting (pending) up to the function's
        timeout for one; raises :class:`InstanceStartError`."""
        if not self._attached:
            await self.attach()
        demand = Demand.of(spec)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(spec.timeout_s, PENDING_POLL_S)
        if self._changed is None:
            self._changed = asyncio.Event()
        while True:
            nodes = [n for n in self._nodes.values() if n.node_id not in self._lost]
            possible = [n for n in self._with_driver(nodes, driver) if demand.possible(n.total)]
            if not possible:
                nodes = await self.refresh_nodes()
                equipped = self._with_driver(nodes, driver)
                if nodes and not equipped:
                    why = self._lacking[(nodes[0].node_id, driver)]
                    raise InstanceStartError(
                        f"no node of the cluster at {self.plane.address} can run "
                        f"{spec.service}/{spec.function} with the {driver} driver: {why}",
                        "FunctionNotStarted",
                    )
                possible = [n for n in equipped if demand.possible(n.total)]
                if not possible:
                    raise InstanceStartError(
                        f"no node of the cluster at {self.plane.address} can ever run "
                        f"{spec.service}/{spec.function}: it needs {demand.describe()}; the largest "
                        f"node has {_largest(equipped)}",
                        "ResourceExhausted",
                    )
            # the node with the most room left first (by the agents' last answers)
            ordered = sorted(
                possible,
                key=lambda n: (demand.fits(self._free[n.node_id], n.total), _room(self._free[n.node_id])),
                reverse=True,
            )
            known_lacking = len(self._lacking)
            for node in ordered:
                started = await self._try_node(node, spec, instance_id, driver, demand)
                if started is not None:
                    return started
            if len(self._lacking) > known_lacking:
                continue  # nodes without the driver are known now: ask the others
            if await self._make_room(demand, spec):
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise InstanceStartError(
                    f"no node of the cluster at {self.plane.address} had room for "
                    f"{spec.service}/{spec.function} ({demand.describe()}) within "
                    f"{spec.timeout_s:g}s: the instance stayed pending",
                    "ResourceExhausted",
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(PENDING_POLL_S, remaining))

    def _with_driver(self, nodes: list[Node], driver: str | None) -> list[Node]:
        """The nodes not known to lack ``driver`` (a node without a Docker engine, without
        bubblewrap: its agent said so at a start)."""
        return [n for n in nodes if (n.node_id, driver) not in self._lacking]

    async def _make_room(self, demand: Demand, spec: FunctionSpec) -> bool:
        """Stop the longest-idle instance of this process whose node then fits ``demand`` (GPU
        instances last: they are expensive to start again), as the scheduler does at the
        account's instance limit; False when none would help. The scheduler sees it gone
        (``alive()`` False) and forgets it."""
        candidates = []
        for inst in self._instances.values():
            node = self._nodes.get(inst.node_id)
            if node is None or not inst.alive() or inst.in_flight:
                continue
            if demand.fits(self._free[inst.node_id].plus(inst.demand), node.total):
                candidates.append(inst)
        if not candidates:
            return False
        victim = min(candidates, key=lambda i: (i.keep_warm, i.last_used))
        why = f"stopped to make room for {spec.service}/{spec.function}"
        log.info("instance %s on node %s: %s", victim.id, self.node_of(victim.node_id), why)
        # through the scheduler, as an idle instance past its keep-alive: preStop first
        if self.retire is not None and await self.retire(victim.id):
            return True
        victim.evicted = why
        await self.stop_instance(victim, graceful=False)
        return True

    async def _try_node(
        self, node: Node, spec: FunctionSpec, instance_id: str, driver: str | None, demand: Demand
    ) -> RemoteInstance | None:
        agent = self._agent(node)
        gateway = self._offer_digest
        try:
            reply = await asyncio.wait_for(
                agent.start_instance(spec, instance_id, driver, self.owner, gateway), CONTROL_TIMEOUT_S + 120
            )
            for _ in range(2):  # what the node lacks: our code (no shared file system), our gateway
                if not (reply.missing_code or reply.missing_gateway):
                    break
                for path in reply.missing_code:
                    archive = await asyncio.to_thread(pack_directory, Path(path))
                    await agent.put_code(path, archive)
                if reply.missing_gateway and self._offer is not None:
                    await agent.put_gateway(self.owner, self._offer)
                reply = await asyncio.wait_for(
                    agent.start_instance(spec, instance_id, driver, self.owner, gateway),
                    CONTROL_TIMEOUT_S + 120,
                )
        except Exception as exc:
            if not await agent.ping(PING_TIMEOUT_S):
                self._node_lost(node.node_id, f"its agent does not answer ({type(exc).__name__})")
                return None
            raise InstanceStartError(
                f"node {node.short} could not start an instance of {spec.service}/{spec.function}: {exc}"
            ) from exc
        self._free[node.node_id] = reply.free
        if reply.missing_code or reply.missing_gateway:
            kept = ", ".join(reply.missing_code) or "the gateway's address"
            raise InstanceStartError(f"node {node.short} did not keep what was sent to it: {kept}")
        if reply.lacks_driver:
            self._lacking[(node.node_id, driver)] = reply.error
            return None
        if reply.no_capacity:
            return None
        if reply.error:
            raise InstanceStartError(reply.error, reply.error_type or "FunctionNotStarted")
        inst = RemoteInstance(self, reply, demand)
        self._instances[instance_id] = inst
        return inst

    async def stop_instance(self, inst: RemoteInstance, graceful: bool) -> None:
        if self._instances.pop(inst.id, None) is None:
            return  # stopped already (to make room)
        if inst.lost is None:
            agent = self._agents.get(inst.node_id)
            if agent is not None:
                try:
                    self._free[inst.node_id] = await agent.stop_instance(inst.id, graceful, CONTROL_TIMEOUT_S)
                except Exception as exc:
                    log.warning(
                        "stopping instance %s on node %s failed: %s", inst.id, self.node_of(inst.node_id), exc
                    )
        self._notify()

    async def diagnose(self, inst: RemoteInstance, cause: Exception) -> InstanceCrashed:
        """Why a connection to ``inst`` broke: its node is lost, or the instance itself died."""
        if inst.lost is None:
            agent = self._agents.get(inst.node_id)
            report: CrashReport | None = None
            if agent is not None:
                with contextlib.suppress(Exception):
                    report = await agent.crash_report(inst.id, PING_TIMEOUT_S)
            if report is None:
                self._node_lost(
                    inst.node_id, f"its agent does not answer after the connection broke ({cause})"
                )
            elif report.alive:
                return InstanceCrashed(
                    f"the connection to the instance on node {self.node_of(inst.node_id)} broke: {cause}"
                )
            else:
                inst.exited = True
                inst.add_logs(report.logs)
                return InstanceCrashed(report.reason, oom=report.oom, exit_code=report.exit_code)
        return InstanceLost(
            f"node {self.node_of(inst.node_id)} was lost while instance {inst.id} ran on it ({inst.lost})",
            node=inst.node_id,
        )

    async def request_through_agent(
        self, inst: RemoteInstance, req: InstanceRequest, timeout: float
    ) -> InstanceResponse:
        """One request of an instance its node's agent serves itself (no port of its own)."""
        agent = self._agents.get(inst.node_id)
        if agent is None or inst.lost is not None:
            raise await self.diagnose(inst, ConnectionLost("node lost"))
        try:
            result = await asyncio.wait_for(agent.request(inst.id, req, timeout), timeout + CONTROL_TIMEOUT_S)
        except Exception as exc:  # the control connection broke or hung: the node may be gone
            raise await self.diagnose(inst, ConnectionLost(str(exc))) from exc
        if result.crash is not None:
            inst.exited = not result.crash.alive
            inst.add_logs(result.crash.logs)
            raise InstanceCrashed(result.crash.reason, oom=result.crash.oom, exit_code=result.crash.exit_code)
        if result.response is None:
            raise TimeoutError(result.timed_out or f"no response within {timeout:g}s")
        return result.response

    async def after_call(self, inst: RemoteInstance) -> None:
        """Read what the instance's node measured of the request that just ended (memory peak)
        and what it wrote outside responses; one control call, on the warm path."""
        agent = self._agents.get(inst.node_id)
        if agent is None or inst.lost is not None:
            return
        try:
            report = await asyncio.wait_for(agent.after_call(inst.id), REPORT_TIMEOUT_S)
        except Exception as exc:  # the figures are lost, the response is not
            log.debug("instance %s: no report from its node: %s", inst.id, exc)
            return
        inst.memory_peak = report.memory_peak_bytes
        inst.add_logs(report.logs)

    async def close(self) -> None:
        """Stop this process's instances on every node; the agents keep running for others."""
        if self._closed:
            return
        self._closed = True
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(BaseException):
                await self._watcher
        for inst in list(self._instances.values()):
            await self.stop_instance(inst, graceful=False)
        if self.gateway is not None:
            for server in self._offer_servers:
                self.gateway.gateway.forget(server)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.plane.disconnect)


class RemoteInstance(Instance):
    """An instance on a cluster node, reached at its relay port (``host:port``)."""

    def __init__(self, placement: ClusterPlacement, reply: StartReply, demand: Demand):
        self.id = reply.instance_id
        self.driver_name = reply.driver
        self.node_id = reply.node_id
        self.node = reply.node_id
        self.host = reply.host
        self.port = reply.port
        self.keep_warm = reply.keep_warm
        self.demand = demand
        self.lost: str | None = None  # why its node was lost
        self.evicted: str | None = None  # why the placement stopped it (room for another)
        self.exited = False
        self.in_flight = 0
        self.last_used = time.monotonic()
        self.memory_peak = 0  # of the last request, as its node's cgroup says
        self._logs = bytearray()  # output outside responses, fetched from the node
        self._placement = placement
        # None: the node's agent serves its requests (StartReply.through_agent)
        self._client = None if reply.through_agent else CaClient.tcp(reply.host, reply.port)

    async def request(self, req: InstanceRequest, timeout: float) -> InstanceResponse:
        if self.lost is not None:
            raise await self._placement.diagnose(self, ConnectionLost("node lost"))
        if self.evicted is not None:
            raise InstanceCrashed(f"instance {self.id} was {self.evicted}")
        self.in_flight += 1
        try:
            if self._client is None:
                response = await self._placement.request_through_agent(self, req, timeout)
            else:
                response = await self._client.request(req, timeout=timeout)
            await self._placement.after_call(self)
            return response
        except TimeoutError as exc:
            raise TimeoutError(f"no response within {timeout}s") from exc
        except ConnectionLost as exc:
            raise await self._placement.diagnose(self, exc) from exc
        finally:
            self.in_flight -= 1
            self.last_used = time.monotonic()

    async def stop(self, graceful: bool = True) -> None:
        if self._client is not None:
            await self._client.close()
        await self._placement.stop_instance(self, graceful)

    def alive(self) -> bool:
        return self.lost is None and self.evicted is None and not self.exited

    @property
    def healthy(self) -> bool:
        """A lost or evicted instance gets no new requests (the scheduler replaces it)."""
        return self.alive()

    def ca_client(self) -> CaClient | None:
        return self._client

    def add_logs(self, data: bytes) -> None:
        self._logs += data

    def take_logs(self) -> bytes:
        data = bytes(self._logs)
        self._logs.clear()
        return data

    def memory_peak_bytes(self) -> int:
        return self.memory_peak

    def stats(self) -> InstanceStats:
        return InstanceStats(memory_peak_bytes=self.memory_peak)


class ClusterDriver(InstanceDriver):
    """Starts instances of one driver kind (``None``: each node's default) on the cluster."""

    supports_gpu = True

    def __init__(self, placement: ClusterPlacement, name: str, node_driver: str | None):
        self.name = name
        self.placement = placement
        self.node_driver = node_driver

    @property
    def network(self) -> InstanceNetwork | None:
        return self.placement.gateway

    @network.setter
    def network(self, value: InstanceNetwork | None) -> None:
        """The API process's gateway: advertised to the nodes, whose agents give their functions
        the way to it (:mod:`fcbackend.cluster.node_network`)."""
        self.placement.gateway = value if isinstance(value, FunctionNetwork) else None

    def available(self) -> tuple[bool, str]:
        return True, f"instances run on the Ray cluster at {self.placement.plane.address}"

    async def start(self, spec: FunctionSpec, instance_id: str) -> Instance:
        return await self.placement.start_instance(spec, instance_id, self.node_driver)

    async def reap_orphans(self) -> int:
        return await self.placement.attach()

    def bind_retire(self, retire: Callable[[str], Awaitable[bool]]) -> None:
        self.placement.retire = retire

    async def close(self) -> None:
        await self.placement.close()


def cluster_drivers(
    placement: ClusterPlacement, default_driver: str | None
) -> tuple[dict[str, InstanceDriver], str]:
    """The scheduler's drivers on a cluster: the nodes' default driver (``--driver`` or each
    node's own choice) under its name, and Docker for custom containers."""
    default_name = default_driver or "sandbox"
    drivers: dict[str, InstanceDriver] = {
        default_name: ClusterDriver(placement, default_name, default_driver)
    }
    if default_name != "docker":
        drivers["docker"] = ClusterDriver(placement, "docker", "docker")
    return drivers, default_name


def _room(free: Capacity) -> tuple[float, int]:
    return (free.cpu, free.memory_mb)


def _largest(nodes: list[Node]) -> str:
    if not nodes:
        return "nothing (no live node)"
    return max(nodes, key=lambda n: _room(n.total)).total.describe()
