"""A real backend for the ROS types (its ROS callbacks service answers signals and responses)."""

from tests.support.live_stack import events, live_stack, stack_engine

__all__ = ["events", "live_stack", "stack_engine"]
