"""Where a node agent lives inside its Ray actor: an event loop of its own, and the control port.

Why a thread with its own loop: Ray runs an async actor's methods on a loop it owns and answers
about a millisecond later whenever a method waits; the agent's drivers, relays and control port
run here instead (uvloop, as the backend itself), and the actor's few Ray methods (health,
listing, clean-up) hand their work to this loop and wait for it.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import uvloop

from fcbackend.cluster.agent import AgentSettings, NodeAgent, NodeIdentity
from fcbackend.cluster.control import ControlServer

_T = TypeVar("_T")


@dataclass(frozen=True)
class ControlEndpoint:
    host: str
    port: int
    key: bytes


class AgentHost:
    def __init__(self, node: NodeIdentity, settings: AgentSettings):
        self._loop = uvloop.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="rosengine-agent", daemon=True)
        self._thread.start()
        self._key = secrets.token_bytes(32)
        self.agent: NodeAgent = self.run(self._make(node, settings))
        self._control = ControlServer(self._key, self._dispatch)
        self._port = self.run(self._control.start(node.address))
        self.endpoint = ControlEndpoint(node.address, self._port, self._key)

    @staticmethod
    async def _make(node: NodeIdentity, settings: AgentSettings) -> NodeAgent:
        agent = NodeAgent(node, settings)  # its drivers belong to this loop
        await agent.start()
        return agent

    def run(self, coro: Coroutine[Any, Any, _T], timeout: float | None = None) -> _T:
        """Run ``coro`` on the agent's loop and wait for it (from a Ray method's thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _dispatch(self, method: str, args: tuple[Any, ...]) -> Any:
        if method == "start_instance":
            return await self.agent.start_instance(*args)
        if method == "stop_instance":
            return await self.agent.stop_instance(*args)
        if method == "after_call":
            return self.agent.after_call(*args)
        if method == "request":
            return await self.agent.request(*args)
        if method == "put_gateway":
            return await self.agent.put_gateway(*args)
        if method == "put_code":
            return await self.agent.put_code(*args)
        raise ValueError(f"the node agent has no control method {method!r}")
