"""How the ROS providers reach the backend's ROS callbacks service, and what a handle's id is.

A WaitConditionHandle's physical id (what ``Ref`` returns, what a WaitCondition's ``Handle`` holds)
is ``<stack id>/<logical id>``: it names the handle in the callbacks service even from another
stack (a nested stack given the handle as a parameter). A WaitCondition also accepts the handle's
``URL`` (its query names the same pair). INFERRED: ROS does not document the handle's physical id.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from resource_types.base import ProviderContext, ProviderError


def callbacks_client(ctx: ProviderContext) -> Any:
    """``rosengine.clients.ros_callbacks.RosCallbacksClient`` for this operation."""
    return ctx.clients("ros-callbacks")


def handle_id(stack_id: str, logical_id: str) -> str:
    return f"{stack_id}/{logical_id}"


def handle_address(value: Any) -> tuple[str, str]:
    """(stack id, logical id) of a handle from its physical id or its URL."""
    text = str(value or "")
    if text.startswith(("http://", "https://")):
        query = parse_qs(urlsplit(text).query)
        stack, resource = query.get("stackid", [""])[0], query.get("resource", [""])[0]
        if stack and resource:
            return stack, resource
    elif "/" in text:
        stack, _, resource = text.rpartition("/")
        if stack and resource:
            return stack, resource
    raise ProviderError(
        f"Handle {text!r} does not name a WaitConditionHandle: give it {{'Ref': <handle>}} (or the "
        "handle's URL)",
        code="InvalidParameter",
    )
