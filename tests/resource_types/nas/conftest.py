"""A real backend for the NAS twin (its file systems are directories functions mount)."""

from tests.support.live_stack import events, live_stack, stack_engine

__all__ = ["events", "live_stack", "stack_engine"]
