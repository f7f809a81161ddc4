"""Session affinity (FC 3.0 ``sessionAffinity`` HEADER_FIELD / GENERATED_COOKIE): the requests of
one session go to one instance.

FC's rules (https://www.alibabacloud.com/help/en/functioncompute/fc/user-guide/cookie-affinity):
an instance hosts up to ``sessionConcurrencyPerInstance`` sessions (default 20); a new session
goes to an instance below that number, or to a new instance; a session ends after
``sessionTTLInSeconds`` from its start or ``sessionIdleTimeoutInSeconds`` without requests. While
its instance lives, a session's request waits for that instance rather than going elsewhere; when
the instance is gone the session starts over on another one.

The table is generic over the instance type so the scheduler's bookkeeping stays in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Session(Generic[T]):
    instance: T
    started: float
    last_used: float


@dataclass
class SessionTable(Generic[T]):
    sessions: dict[str, _Session[T]] = field(default_factory=dict)

    def _expire(self, now: float, ttl_s: float, idle_s: float) -> None:
        gone = [
            sid
            for sid, s in self.sessions.items()
            if now - s.started >= ttl_s or (idle_s > 0 and now - s.last_used >= idle_s)
        ]
        for sid in gone:
            del self.sessions[sid]

    def instance_for(self, session_id: str, now: float, ttl_s: float, idle_s: float) -> T | None:
        """The instance a live session is bound to (None for a new or expired session)."""
        self._expire(now, ttl_s, idle_s)
        session = self.sessions.get(session_id)
        return None if session is None else session.instance

    def bind(self, session_id: str, instance: T, now: float) -> None:
        session = self.sessions.get(session_id)
        if session is None or session.instance is not instance:
            self.sessions[session_id] = _Session(instance, now, now)
        else:
            session.last_used = now

    def forget(self, session_id: str) -> None:
        self.sessions.pop(session_id, None)

    def count(self, instance: T) -> int:
        """Sessions bound to ``instance``."""
        return sum(1 for s in self.sessions.values() if s.instance is instance)

    def drop_instance(self, instance: T) -> None:
        for sid in [sid for sid, s in self.sessions.items() if s.instance is instance]:
            del self.sessions[sid]
