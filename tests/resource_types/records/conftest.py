"""A real backend for the record twins (API Gateway routes are published to it)."""

from tests.support.live_stack import events, live_stack, stack_engine

__all__ = ["events", "live_stack", "stack_engine"]
