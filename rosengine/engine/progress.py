"""How an operation reports progress to whoever watches (the CLI's live view, tests).

Why a listener and not printing: the engine runs under the CLI, under tests and (later) under an
API server; each renders events its own way. Listeners are called on the engine's coordinating
thread, after the event is committed to the state store.
"""

from __future__ import annotations

from typing import Protocol

from rosengine.state.models import EventRecord


class ProgressListener(Protocol):
    def on_event(self, event: EventRecord) -> None: ...


class NullListener:
    def on_event(self, event: EventRecord) -> None:
        return None


class CollectingListener:
    """Keeps every event (tests, and the CLI's final summary)."""

    def __init__(self) -> None:
        self.events: list[EventRecord] = []

    def on_event(self, event: EventRecord) -> None:
        self.events.append(event)
