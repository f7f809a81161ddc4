"""Placement over nodes that do not all have the same drivers (a node without a Docker engine, one
without bubblewrap): a start goes to a node that has the driver it names, even when another has more
room, and fails clearly when none has it.

No Ray: two node agents in this process behind a control plane of the test's own (the calls Ray
and the control port carry, made directly).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fcbackend.cluster.agent import (
    AgentCallResult,
    AgentSettings,
    CallReport,
    CrashReport,
    NodeAgent,
    NodeIdentity,
    StartReply,
)
from fcbackend.cluster.demand import Capacity
from fcbackend.cluster.node_network import GatewayOffer
from fcbackend.cluster.placement import ClusterPlacement, Node
from fcbackend.models import FunctionSpec, InstanceRequest, InstanceStartError, InvocationRequest
from fcbackend.scheduler import protocol
from tests.support.instances import make_spec, run, write_code

HANDLER = "def handler(event, context):\n    return b'ran on the node with the driver'\n"


class DirectAgent:
    """:class:`fcbackend.cluster.placement.Agent` over a :class:`NodeAgent` in this process."""

    def __init__(self, agent: NodeAgent):
        self.agent = agent

    async def start(self, timeout: float) -> None:
        await self.agent.start()

    async def start_instance(
        self, spec: FunctionSpec, instance_id: str, driver: str | None, owner: str, gateway: str
    ) -> StartReply:
        return await self.agent.start_instance(spec, instance_id, driver, owner, gateway)

    async def put_gateway(self, owner: str, offer: GatewayOffer) -> None:
        await self.agent.put_gateway(owner, offer)

    async def stop_instance(self, instance_id: str, graceful: bool, timeout: float) -> Capacity:
        return await self.agent.stop_instance(instance_id, graceful)

    async def crash_report(self, instance_id: str, timeout: float) -> CrashReport:
        return await self.agent.crash_report(instance_id)

    async def release_owner(self, owner: str, timeout: float) -> int:
        return await self.agent.release_owner(owner)

    async def put_code(self, path: str, archive: bytes) -> None:
        await self.agent.put_code(path, archive)

    async def after_call(self, instance_id: str) -> CallReport:
        return self.agent.after_call(instance_id)

    async def request(self, instance_id: str, req: InstanceRequest, timeout: float) -> AgentCallResult:
        return await self.agent.request(instance_id, req, timeout)

    async def ping(self, timeout: float) -> bool:
        return True


class DirectPlane:
    """:class:`fcbackend.cluster.placement.ControlPlane` over agents in this process."""

    address = "a test's own nodes"

    def __init__(self, agents: list[NodeAgent]):
        self.agents = {agent.node.node_id: agent for agent in agents}

    def nodes(self) -> list[Node]:
        return [Node(a.node.node_id, a.node.address, True, a.node.total) for a in self.agents.values()]

    def agent(self, node: Node, settings: AgentSettings) -> DirectAgent:
        return DirectAgent(self.agents[node.node_id])

    def node_ip(self) -> str:
        return "127.0.0.1"

    def disconnect(self) -> None:
        return None


def test_a_start_goes_to_a_node_with_the_driver_it_names_and_fails_clearly_where_none_has_it(
    tmp_path: Path,
) -> None:
    code = write_code(tmp_path, {"index.py": HANDLER})

    def node(letter: str, cpu: float, memory_mb: int) -> NodeAgent:
        settings = AgentSettings(pool_size=0, prewarm_runtimes=(), state_root=str(tmp_path / letter))
        return NodeAgent(
            NodeIdentity(letter * 56, "127.0.0.1", Capacity(cpu=cpu, memory_mb=memory_mb)), settings
        )

    async def scenario() -> tuple[str, bytes, str, str]:
        roomy, small = node("a", 8, 8192), node("b", 2, 1024)
        without_process = roomy.drivers.pop("process")  # as on a node where it cannot run
        placement = ClusterPlacement(DirectPlane([roomy, small]), AgentSettings(), "api-test")
        try:
            spec = make_spec(code)
            # the roomy node is asked first and says it lacks the driver: the small one runs it
            instance = await placement.start_instance(spec, "i-1", "process")
            request = protocol.invocation_request(spec, InvocationRequest("r-1", payload=b""), "i-1")
            answer = (await instance.request(request, 30)).body
            await instance.stop()
            with pytest.raises(InstanceStartError) as failure:
                await placement.start_instance(make_spec(code), "i-2", "podman")
            return instance.node, answer, failure.value.message, failure.value.error_type
        finally:
            await placement.close()
            await without_process.close()
            await roomy.close()
            await small.close()

    node_id, answer, message, error_type = run(scenario)
    assert node_id == "b" * 56
    assert answer == b"ran on the node with the driver"
    assert (
        "can run" in message and "with the podman driver" in message and "has no 'podman' driver" in message
    )
    assert error_type == "FunctionNotStarted"
